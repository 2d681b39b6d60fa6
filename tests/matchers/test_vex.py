"""OpenVEX statements: not_affected suppresses visibly in every report; the rest of the spec's
rules (justification required, timeline, products and subcomponents)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from gate.errors import InputError
from gate.matchers.vex import load_vex
from gate.models import Check, FindingStatus
from gate.pipeline import GateRequest, run_gate
from gate.policy.loader import load_policy
from gate.reporters.console import ConsoleReporter
from gate.reporters.json_report import JsonReporter
from gate.reporters.sarif import SarifReporter

from .helpers import PYPA, inventory, pypi

CONTEXT = "https://openvex.dev/ns/v0.2.0"


def vex_doc(*statements: dict[str, Any], timestamp: str = "2024-01-01T00:00:00Z") -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "@id": "https://example.invalid/vex/app-1",
        "author": "Security Team",
        "timestamp": timestamp,
        "version": 1,
        "statements": list(statements),
    }


def statement(vuln: str, product: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "vulnerability": {"name": vuln},
        "products": [{"@id": product}],
        "status": status,
        **extra,
    }


def write(tmp_path: Path, doc: dict[str, Any], name: str = "app.vex.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def gate_run(tmp_path: Path, *vex: Path) -> Any:
    context = tmp_path / "ctx"
    context.mkdir(exist_ok=True)
    request = GateRequest(
        policy=load_policy(None),
        policy_path="default",
        context_dir=context,
        checks=(Check.VULNERABILITIES,),
        today=dt.date(2024, 10, 12),
        extra={
            "inventory": inventory([pypi("jinja2", "2.10")]),
            "vuln_db": (PYPA / "jinja2",),
            "vex": vex,
        },
    )
    return run_gate(request)


def test_not_affected_suppresses_visibly_in_every_report(tmp_path: Path) -> None:
    doc = vex_doc(
        statement(
            "CVE-2019-10906",
            "pkg:pypi/jinja2@2.10",
            "not_affected",
            justification="vulnerable_code_not_in_execute_path",
            impact_statement="the sandbox is not used",
        ),
        # An alias names the same finding: PYSEC-2021-66 is CVE-2020-28493.
        statement(
            "PYSEC-2021-66",
            "pkg:pypi/jinja2",
            "not_affected",
            justification="vulnerable_code_not_present",
        ),
    )
    report = gate_run(tmp_path, write(tmp_path, doc))
    statuses = {e.finding.vulnerability_id: e for e in report.decision.findings}
    sandbox = statuses["CVE-2019-10906"]
    assert sandbox.status is FindingStatus.SUPPRESSED
    assert sandbox.reason.startswith("VEX not_affected (vulnerable_code_not_in_execute_path)")
    assert "the sandbox is not used" in sandbox.reason
    assert statuses["CVE-2020-28493"].status is FindingStatus.SUPPRESSED
    others = [
        e
        for e in report.decision.findings
        if e.status is not FindingStatus.SUPPRESSED and e.finding.vulnerability_id
    ]
    assert others == []  # jinja2 2.10 has exactly these two in the database

    sarif = json.loads(SarifReporter().render(report))
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    (suppression,) = results["CVE-2019-10906"]["suppressions"]
    assert suppression["kind"] == "external" and "VEX not_affected" in suppression["justification"]
    as_json = json.loads(JsonReporter().render(report))
    by_id = {f["vulnerability_id"]: f for f in as_json["findings"]}
    assert by_id["CVE-2019-10906"]["status"] == "suppressed"
    assert by_id["CVE-2019-10906"]["properties"]["vex_justification"] == (
        "vulnerable_code_not_in_execute_path"
    )
    console = ConsoleReporter().render(report)
    assert "suppressed  medium CVE-2019-10906" in console
    assert "VEX not_affected (vulnerable_code_not_in_execute_path)" in console
    assert any(
        n.kind == "vex-not-affected" and n.count == 2 for r in report.checks for n in r.notes
    )


def test_later_statements_override_earlier_ones(tmp_path: Path) -> None:
    doc = vex_doc(
        statement(
            "CVE-2019-10906",
            "pkg:pypi/jinja2@2.10",
            "not_affected",
            justification="component_not_present",
            timestamp="2024-01-01T00:00:00Z",
        ),
        statement(
            "CVE-2019-10906",
            "pkg:pypi/jinja2@2.10",
            "affected",
            action_statement="upgrade",
            timestamp="2024-02-01T00:00:00Z",
        ),
    )
    report = gate_run(tmp_path, write(tmp_path, doc))
    finding = next(
        e for e in report.decision.findings if e.finding.vulnerability_id == "CVE-2019-10906"
    )
    assert finding.status is not FindingStatus.SUPPRESSED
    assert finding.finding.properties["vex_status"] == "affected"


def test_a_statement_for_another_version_or_package_does_not_apply(tmp_path: Path) -> None:
    doc = vex_doc(
        statement(
            "CVE-2019-10906",
            "pkg:pypi/jinja2@2.11",
            "not_affected",
            justification="component_not_present",
        ),
        statement(
            "CVE-2020-28493",
            "pkg:npm/jinja2",
            "not_affected",
            justification="component_not_present",
        ),
    )
    report = gate_run(tmp_path, write(tmp_path, doc))
    assert all(e.status is not FindingStatus.SUPPRESSED for e in report.decision.findings)


def test_an_image_product_with_subcomponents(tmp_path: Path) -> None:
    from gate.matchers.vex import apply_vex
    from gate.models import Finding

    digest = "sha256:" + "1" * 64
    doc = vex_doc(
        {
            "vulnerability": {"name": "CVE-2019-10906"},
            "products": [
                {"@id": f"pkg:oci/app@{digest}", "subcomponents": [{"@id": "pkg:pypi/jinja2"}]}
            ],
            "status": "not_affected",
            "justification": "inline_mitigations_already_exist",
        }
    )
    statements = load_vex(write(tmp_path, doc))
    report = gate_run(tmp_path)
    findings: list[Finding] = [e.finding for e in report.decision.findings]
    applied, count = apply_vex(findings, statements, image_digest=digest)
    assert count == 1
    suppressed = [f for f in applied if f.properties.get("vex_status") == "not_affected"]
    assert [f.vulnerability_id for f in suppressed] == ["CVE-2019-10906"]
    other, none = apply_vex(findings, statements, image_digest="sha256:" + "2" * 64)
    assert none == 0 and other == findings


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"statements": []}, "is not OpenVEX"),
        (
            vex_doc(statement("CVE-1", "pkg:pypi/x", "not_affected")),
            "not_affected needs a justification or impact_statement",
        ),
        (vex_doc(statement("CVE-1", "pkg:pypi/x", "wontfix")), "status: 'wontfix'"),
        (
            vex_doc(statement("CVE-1", "pkg:pypi/x", "not_affected", justification="because")),
            "not an OpenVEX justification",
        ),
        (vex_doc({"vulnerability": {"name": "CVE-1"}, "status": "fixed"}), "at least one product"),
    ],
)
def test_invalid_documents_are_refused(tmp_path: Path, doc: dict[str, Any], message: str) -> None:
    path = write(tmp_path, doc)
    with pytest.raises(InputError, match=message) as caught:
        load_vex(path)
    assert str(path) in str(caught.value)


def test_openvex_v0_0_x_string_forms(tmp_path: Path) -> None:
    doc = vex_doc(
        {
            "vulnerability": "CVE-2019-10906",
            "products": ["pkg:pypi/jinja2@2.10"],
            "status": "not_affected",
            "justification": "component_not_present",
        }
    )
    (only,) = load_vex(write(tmp_path, doc))
    assert only.vulnerabilities == frozenset({"CVE-2019-10906"})
    assert only.products[0].ident == "pkg:pypi/jinja2@2.10"
