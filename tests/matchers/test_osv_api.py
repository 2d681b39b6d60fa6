"""``--osv-api``: osv.dev's /v1/querybatch and /v1/vulns/{id}, played by a local server that
answers from real advisory files with the shapes of osv.dev's API documentation."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from gate.analyzers.interface import ScanTarget
from gate.analyzers.vulnerabilities import VulnerabilitiesAnalyzer
from gate.errors import AdvisoryDatabaseError
from gate.matchers.database import DatabaseChoice
from gate.matchers.ecosystems import normalize_name
from gate.models import CheckResult

from .helpers import PYPA, http_server, inventory, pypi, read_json, send_json


class FakeOsv:
    """Answers querybatch like osv.dev: the ids of records naming the package whose version
    list contains the version, one page of at most ``page`` ids at a time."""

    def __init__(self, records: list[dict[str, Any]], page: int = 2) -> None:
        self.records = {r["id"]: r for r in records}
        self.page = page
        self.batches: list[list[dict[str, Any]]] = []
        self.fetched: list[str] = []
        self.fail_first = 0

    def querybatch(self, handler: BaseHTTPRequestHandler) -> None:
        if self.fail_first:
            self.fail_first -= 1
            send_json(handler, {"code": 14, "message": "unavailable"}, status=503)
            return
        queries = read_json(handler)["queries"]
        self.batches.append(queries)
        results = []
        for q in queries:
            name = normalize_name("PyPI", q["package"]["name"])
            ids = sorted(
                r["id"]
                for r in self.records.values()
                for a in r["affected"]
                if normalize_name("PyPI", a["package"]["name"]) == name
                and q["version"] in a.get("versions", [])
            )
            start = int(q.get("page_token") or 0)
            chunk = ids[start : start + self.page]
            result: dict[str, Any] = {
                "vulns": [{"id": i, "modified": self.records[i]["modified"]} for i in chunk]
            }
            if start + self.page < len(ids):
                result["next_page_token"] = str(start + self.page)
            results.append(result if chunk else {})
        send_json(handler, {"results": results})

    def vuln(self, handler: BaseHTTPRequestHandler) -> None:
        ident = handler.path.rsplit("/", 1)[1]
        self.fetched.append(ident)
        if ident not in self.records:
            send_json(handler, {"code": 5, "message": "Bug not found."}, status=404)
            return
        send_json(handler, self.records[ident])


def _records(*packages: str) -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text()) for name in packages for p in sorted((PYPA / name).glob("*.json"))
    ]


def run(url: str, packages: list[Any]) -> CheckResult:
    target = ScanTarget(
        options={
            "inventory": inventory(packages),
            "database": DatabaseChoice(osv_api=url, api_timeout=5),
        }
    )
    return VulnerabilitiesAnalyzer().run(target)


def test_batch_query_pages_and_records_give_the_local_database_findings(
    shared_data: Path,
) -> None:
    fake = FakeOsv(_records("jinja2", "urllib3"))
    routes = {("POST", "/v1/querybatch"): fake.querybatch, ("GET", "/v1/vulns/"): fake.vuln}
    packages = [pypi("Jinja2", "2.10"), pypi("urllib3", "1.24.1")]
    with http_server(routes) as url:
        api = run(url, packages)
    local = VulnerabilitiesAnalyzer().run(
        ScanTarget(
            options={
                "inventory": inventory(packages),
                "database": DatabaseChoice(vuln_db=(PYPA / "jinja2", PYPA / "urllib3")),
            }
        )
    )
    assert [f.vulnerability_id for f in api.findings] == [
        f.vulnerability_id for f in local.findings
    ]
    assert len(api.findings) == 9
    # urllib3 1.24.1 is in 7 records: pages of 2 need 4 rounds for that query.
    assert len(fake.batches) == 4
    assert fake.batches[0][0] == {
        "package": {"name": "Jinja2", "ecosystem": "PyPI"},
        "version": "2.10",
    }
    assert fake.batches[1][0]["page_token"] == "2"
    assert sorted(fake.fetched) == sorted(set(fake.fetched))  # each record fetched once
    assert api.metadata["advisory_db"] == f"osv.dev API {url}"
    assert api.metadata["advisory_db_age_days"] == 0


def test_server_errors_are_retried(shared_data: Path) -> None:
    fake = FakeOsv(_records("jinja2"))
    fake.fail_first = 2
    routes = {("POST", "/v1/querybatch"): fake.querybatch, ("GET", "/v1/vulns/"): fake.vuln}
    with http_server(routes) as url:
        result = run(url, [pypi("jinja2", "2.10")])
    assert len(result.findings) == 2


def test_an_unreachable_or_broken_api_is_exit_2_naming_it() -> None:
    def garbage(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "5")
        handler.end_headers()
        handler.wfile.write(b"<html")

    with (
        http_server({("POST", "/v1/querybatch"): garbage}) as url,
        pytest.raises(AdvisoryDatabaseError, match="not JSON"),
    ):
        run(url, [pypi("jinja2", "2.10")])
    with http_server({}) as url:
        pass  # the server is gone: connection refused
    with pytest.raises(AdvisoryDatabaseError, match=r"osv\.dev API http://127\.0\.0\.1"):
        run(url, [pypi("jinja2", "2.10")])
