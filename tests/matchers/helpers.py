"""Helpers of the matcher tests: real package databases read into inventories, OSV records
derived from Alpine's secdb, and a small HTTP server on 127.0.0.1 playing osv.dev.

The dpkg and apk readers here are deliberately minimal (name, version, source/origin): they only
feed real package names and versions to the matcher; the product's inventory parsers live in
gate.analyzers (issue 4 part 1).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gate.models import InstalledPackage, Inventory, OSInfo, PackageRef

ADVISORIES = Path(__file__).resolve().parents[3] / "shared" / "data" / "advisories"
PYPA = ADVISORIES / "pypa-advisory-database-json"
GO = ADVISORIES / "golang-vulndb-osv"
GRYPE_OSV = ADVISORIES / "grype-db-transformer-testdata/grype/db/v6/build/transformers/osv/testdata"


def stanzas(text: str, sep: str = ":") -> Iterator[dict[str, str]]:
    """Blank-line separated ``Key: value`` stanzas (dpkg status) / ``K:value`` (apk)."""
    current: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if current:
                yield current
            current, last = {}, ""
            continue
        if line[0] in " \t" and last:
            current[last] += "\n" + line.strip()
            continue
        key, _, value = line.partition(sep)
        last = key.strip()
        current.setdefault(last, value.strip())
    if current:
        yield current


def dpkg_packages(status: Path, ecosystem: str, layer: Any = None) -> list[InstalledPackage]:
    found = []
    for s in stanzas(status.read_text(encoding="utf-8", errors="replace")):
        if "Package" not in s or "install ok installed" not in s.get("Status", ""):
            continue
        source = s.get("Source", "").split()
        src_name = source[0] if source else s["Package"]
        # "Source: glibc (2.36-9)": the source version differs from the binary's.
        src_version = source[1].strip("()") if len(source) > 1 else s["Version"]
        found.append(
            InstalledPackage(
                PackageRef(
                    s["Package"],
                    s["Version"],
                    ecosystem,
                    source_name=src_name,
                    source_version=src_version,
                ),
                found_in="/var/lib/dpkg/status",
                layer=layer,
            )
        )
    return found


def apk_packages(installed: Path, ecosystem: str) -> list[InstalledPackage]:
    found = []
    for s in stanzas(installed.read_text(encoding="utf-8", errors="replace"), sep=":"):
        if "P" not in s:
            continue
        found.append(
            InstalledPackage(
                PackageRef(
                    s["P"], s["V"], ecosystem, source_name=s.get("o"), source_version=s["V"]
                ),
                found_in="/lib/apk/db/installed",
            )
        )
    return found


def pypi(name: str, version: str, path: str | None = None) -> InstalledPackage:
    return InstalledPackage(
        PackageRef(name, version, "PyPI", purl=f"pkg:pypi/{name.lower()}@{version}"),
        found_in=path or f"/usr/lib/python3/site-packages/{name}-{version}.dist-info/METADATA",
        kind="language",
    )


def inventory(packages: list[InstalledPackage], os_info: OSInfo | None = None) -> Inventory:
    return Inventory(source="test", os=os_info, packages=tuple(packages))


def secdb_to_osv(secdb: Path) -> list[dict[str, Any]]:
    """Alpine secdb -> OSV, the way osv.dev's Alpine importer publishes it: one record per
    (CVE, package) with ``introduced: "0"`` and the secfix version as ``fixed``, ecosystem
    ``Alpine:vX.Y`` (the secdb's ``distroversion``). A fix listed under ``"0"`` means the
    branch was never affected: no record."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(secdb.read_text(encoding="utf-8"), Loader=loader)
    release = doc["distroversion"]
    records = []
    for item in doc["packages"]:
        pkg = item["pkg"]
        for fixed, cves in (pkg.get("secfixes") or {}).items():
            if str(fixed) == "0":
                continue
            for cve in cves or []:
                cve_id = str(cve).split()[0]
                records.append(
                    {
                        "id": f"ALPINE-{cve_id}-{pkg['name']}-{release}",
                        "modified": "2020-01-01T00:00:00Z",
                        "upstream": [cve_id],
                        "affected": [
                            {
                                "package": {"ecosystem": f"Alpine:{release}", "name": pkg["name"]},
                                "ranges": [
                                    {
                                        "type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": str(fixed)}],
                                    }
                                ],
                            }
                        ],
                    }
                )
    return records


Handler = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def http_server(routes: dict[tuple[str, str], Handler]) -> Iterator[str]:
    """Serve ``routes`` ((method, path prefix) -> handler) on 127.0.0.1; yields the base URL."""

    class _Handler(BaseHTTPRequestHandler):
        def _dispatch(self, method: str) -> None:
            for (m, prefix), handler in routes.items():
                if m == method and self.path.startswith(prefix):
                    handler(self)
                    return
            self.send_response(404)
            self.end_headers()

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def send_json(handler: BaseHTTPRequestHandler, doc: Any, status: int = 200) -> None:
    body = json.dumps(doc).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def read_json(handler: BaseHTTPRequestHandler) -> Any:
    length = int(handler.headers.get("Content-Length") or 0)
    return json.loads(handler.rfile.read(length))
