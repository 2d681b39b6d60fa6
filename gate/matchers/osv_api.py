"""osv.dev's API as the advisory source (``--osv-api [URL]``), instead of a local database.

https://google.github.io/osv.dev/api/:

* ``POST /v1/querybatch`` with ``{"queries": [{"package": {"name", "ecosystem"}, "version"}]}``
  (at most 1000 queries a request) answers, per query in order, ``{"vulns": [{"id",
  "modified"}], "next_page_token"}``; a result with ``next_page_token`` is asked again with
  ``page_token`` for the rest.
* ``GET /v1/vulns/{id}`` returns the full OSV record.

The records are then matched locally exactly as a local database's are (osv.dev answered which
records name the package; gate's own evaluation decides, so both sources give the same
findings). Network failures, HTTP errors after retries (429 and 5xx, with backoff) and
malformed answers are :class:`~gate.errors.AdvisoryDatabaseError` naming the URL: exit 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gate import __version__
from gate.errors import AdvisoryDatabaseError
from gate.matchers.advisory_index import DatabaseInfo
from gate.matchers.ecosystems import normalize_name, parse_ecosystem
from gate.matchers.osv import Advisory, parse_advisory
from gate.models import InstalledPackage

DEFAULT_API_URL = "https://api.osv.dev"
BATCH_SIZE = 1000
_MAX_PAGES = 50


def _now() -> str:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


class OsvApiSource:
    """An :class:`~gate.matchers.matching.AdvisorySource` backed by osv.dev's API."""

    def __init__(self, url: str, *, timeout: float = 30.0, retries: int = 3) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"gate/{__version__}"
        retry = Retry(
            total=retries,
            backoff_factor=0.5,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._by_key: dict[tuple[str, str], list[Advisory]] = {}
        self.queries = 0
        self.info = DatabaseInfo(
            source=f"osv.dev API {self.url}",
            records=0,
            withdrawn=0,
            newest_modified=None,
            downloaded_at=_now(),
            built_at=_now(),
            ecosystems=(),
        )

    # -- HTTP ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        import requests

        where = f"osv.dev API {self.url}{path}"
        try:
            response = self.session.request(
                method, self.url + path, json=body, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise AdvisoryDatabaseError(f"{where}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise AdvisoryDatabaseError(f"{where}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise AdvisoryDatabaseError(f"{where}: the answer is not JSON") from None

    # -- AdvisorySource ------------------------------------------------------------------

    def prepare(self, packages: Sequence[InstalledPackage]) -> None:
        queries: dict[tuple[str, str, str], tuple[str, str]] = {}
        for installed in packages:
            package = installed.package
            eco = parse_ecosystem(package.ecosystem)
            pairs = [(package.name, package.version)]
            if package.source_name and eco.names_source_packages:
                pairs.append((package.source_name, package.source_version or package.version))
            for name, version in pairs:
                queries[(package.ecosystem, name, version)] = (
                    eco.base,
                    normalize_name(eco.base, name),
                )
        ids_by_key = self._query(list(queries), queries)
        wanted = sorted({i for ids in ids_by_key.values() for i in ids})
        records = self._fetch(wanted)
        for key, ids in ids_by_key.items():
            self._by_key[key] = [records[i] for i in sorted(ids) if i in records]
        modified = [a.modified for a in records.values() if a.modified]
        self.info = DatabaseInfo(
            source=self.info.source,
            records=len(records),
            withdrawn=0,
            newest_modified=max(modified) if modified else None,
            downloaded_at=_now(),
            built_at=self.info.built_at,
            ecosystems=tuple(sorted({k[0] for k in ids_by_key})),
        )

    def _query(
        self,
        order: list[tuple[str, str, str]],
        keys: dict[tuple[str, str, str], tuple[str, str]],
    ) -> dict[tuple[str, str], set[str]]:
        found: dict[tuple[str, str], set[str]] = {}
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            pending: list[tuple[tuple[str, str, str], str | None]] = [(q, None) for q in chunk]
            for _page in range(_MAX_PAGES):
                if not pending:
                    break
                body = {"queries": [_query_doc(q, token) for q, token in pending]}
                self.queries += len(pending)
                answer = self._call("POST", "/v1/querybatch", body)
                results = answer.get("results") if isinstance(answer, dict) else None
                if not isinstance(results, list) or len(results) != len(pending):
                    raise AdvisoryDatabaseError(
                        f"osv.dev API {self.url}/v1/querybatch: expected {len(pending)} "
                        "results in order"
                    )
                more: list[tuple[tuple[str, str, str], str | None]] = []
                for (query, _token), result in zip(pending, results, strict=True):
                    ids = found.setdefault(keys[query], set())
                    for vuln in (result or {}).get("vulns") or []:
                        if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                            ids.add(vuln["id"])
                    token = (result or {}).get("next_page_token")
                    if isinstance(token, str) and token:
                        more.append((query, token))
                pending = more
            else:
                raise AdvisoryDatabaseError(
                    f"osv.dev API {self.url}/v1/querybatch: more than {_MAX_PAGES} pages"
                )
        return found

    def _fetch(self, ids: Sequence[str]) -> dict[str, Advisory]:
        from urllib.parse import quote

        def one(ident: str) -> Advisory | None:
            doc = self._call("GET", f"/v1/vulns/{quote(ident, safe='')}")
            advisory = parse_advisory(doc, f"osv.dev API {self.url}/v1/vulns/{ident}")
            return None if advisory.withdrawn else advisory

        with ThreadPoolExecutor(max_workers=8) as pool:
            fetched = list(pool.map(one, ids))
        return {a.id: a for a in fetched if a is not None}

    def candidates(self, base: str, names: Iterable[str]) -> list[Advisory]:
        seen: dict[str, Advisory] = {}
        for name in names:
            for advisory in self._by_key.get((base, normalize_name(base, name)), ()):
                seen.setdefault(advisory.id, advisory)
        return list(seen.values())


def _query_doc(query: tuple[str, str, str], token: str | None) -> dict[str, Any]:
    ecosystem, name, version = query
    doc: dict[str, Any] = {"package": {"name": name, "ecosystem": ecosystem}, "version": version}
    if token:
        doc["page_token"] = token
    return doc


__all__ = ["DEFAULT_API_URL", "OsvApiSource"]
