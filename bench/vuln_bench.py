"""Vulnerability matching benchmark: an inventory of 1,000+ real installed packages against
every OSV record in ../shared/data/advisories (PyPA, the Go vulnerability database and grype's
OSV test records: about 7,000 records).

The inventory is real: this machine's dpkg database (``/var/lib/dpkg/status``, Debian 12), its
installed Python distributions (``*.dist-info``/``*.egg-info`` on sys.path and
``/usr/lib/python3/dist-packages``), and the real package databases of the shared data
(``os-pkgdb``: Alpine ``installed``, dpkg ``status``). The readers here are minimal (name,
version, source package); the product's inventory parsers are issue 4 part 1.

In one run it times:

* the physical floor of a scan without an index: reading and JSON-decoding every advisory file
  once (what any matcher that does not index must do on every scan);
* building the SQLite index (once: ``gate`` caches it by the source's identity);
* warm matching in-process: opening the cached index, looking up every package, evaluating
  the candidate records, merging aliases into findings (median of 5 runs);
* a whole warm scan as a fresh process (interpreter start, imports, index open, matching),
  with CPU seconds and peak memory.

and writes the numbers to the ``vuln-matching`` section of docs/benchmarks.md.

    python bench/vuln_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchlib import REPO, machine, timed, write_section

SHARED = REPO.parent / "shared" / "data"
ADVISORIES = SHARED / "advisories"
SOURCES = [
    ADVISORIES / "pypa-advisory-database-json",
    ADVISORIES / "golang-vulndb-osv",
    ADVISORIES / "grype-db-transformer-testdata/grype/db/v6/build/transformers/osv/testdata",
]
TARGET_SECONDS = 2.0


def _stanzas(text: str) -> list[dict[str, str]]:
    out, current, last = [], {}, ""
    for line in text.splitlines():
        if not line.strip():
            if current:
                out.append(current)
            current, last = {}, ""
        elif line[0] in " \t":
            continue
        else:
            key, _, value = line.partition(":")
            last = key.strip()
            current.setdefault(last, value.strip())
    if current:
        out.append(current)
    return out


def _os_release() -> str:
    values = {}
    for line in Path("/etc/os-release").read_text().splitlines():
        key, _, value = line.partition("=")
        values[key] = value.strip('"')
    return values.get("VERSION_ID", "")


def collect_packages() -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Real installed packages as plain dicts (name, version, ecosystem, source, path)."""
    packages: list[dict[str, Any]] = []
    counts: dict[str, int] = {}

    def dpkg(path: Path, ecosystem: str, label: str) -> None:
        n = 0
        for s in _stanzas(path.read_text(encoding="utf-8", errors="replace")):
            if "Package" not in s or "Version" not in s:
                continue
            if "installed" not in s.get("Status", "install ok installed"):
                continue
            source = s.get("Source", "").split()
            packages.append(
                {
                    "name": s["Package"],
                    "version": s["Version"],
                    "ecosystem": ecosystem,
                    "source_name": source[0] if source else s["Package"],
                    "source_version": source[1].strip("()") if len(source) > 1 else s["Version"],
                    "found_in": "/var/lib/dpkg/status",
                }
            )
            n += 1
        counts[label] = counts.get(label, 0) + n

    def apk(path: Path, label: str) -> None:
        n = 0
        for s in _stanzas(path.read_text(encoding="utf-8", errors="replace")):
            if "P" in s and "V" in s:
                packages.append(
                    {
                        "name": s["P"],
                        "version": s["V"],
                        "ecosystem": "Alpine:v3.10",
                        "source_name": s.get("o"),
                        "source_version": s["V"],
                        "found_in": "/lib/apk/db/installed",
                    }
                )
                n += 1
        counts[label] = counts.get(label, 0) + n

    host = Path("/var/lib/dpkg/status")
    if host.is_file():
        dpkg(host, f"Debian:{_os_release()}", "host dpkg status")
    import importlib.metadata as md

    paths = [*sys.path, "/usr/lib/python3/dist-packages"]
    seen = set()
    for dist in md.distributions(path=[p for p in paths if p and Path(p).is_dir()]):
        name, version = dist.metadata["Name"], dist.version
        if not name or (name.lower(), version) in seen:
            continue
        seen.add((name.lower(), version))
        packages.append(
            {
                "name": name,
                "version": version,
                "ecosystem": "PyPI",
                "found_in": str(getattr(dist, "_path", "site-packages")),
            }
        )
    counts["host Python distributions"] = len(seen)
    for path in sorted((SHARED / "os-pkgdb").rglob("installed")):
        if "apk" in path.parts:
            apk(path, "shared apk databases")
    for path in sorted((SHARED / "os-pkgdb").rglob("status")):
        if path.parent.name == "dpkg":
            dpkg(path, "Debian:12", "shared dpkg databases")
    return packages, counts


def _inventory(packages: list[dict[str, Any]]) -> Any:
    from gate.models import InstalledPackage, Inventory, PackageRef

    return Inventory(
        source="bench",
        os=None,
        packages=tuple(
            InstalledPackage(
                PackageRef(
                    p["name"],
                    p["version"],
                    p["ecosystem"],
                    source_name=p.get("source_name"),
                    source_version=p.get("source_version"),
                ),
                found_in=p["found_in"],
            )
            for p in packages
        ),
    )


def scan(packages: list[dict[str, Any]], cache: Path) -> Any:
    from gate.analyzers.interface import ScanTarget
    from gate.analyzers.vulnerabilities import VulnerabilitiesAnalyzer
    from gate.matchers.database import DatabaseChoice

    choice = DatabaseChoice(vuln_db=tuple(SOURCES), index_cache=cache)
    target = ScanTarget(options={"inventory": _inventory(packages), "database": choice})
    return VulnerabilitiesAnalyzer().run(target)


def floor_read_and_decode() -> tuple[float, float, int, int]:
    start, cpu = time.perf_counter(), time.process_time()
    files = total = 0
    for source in SOURCES:
        for path in source.rglob("*.json"):
            data = path.read_bytes()
            json.loads(data)
            files += 1
            total += len(data)
    return time.perf_counter() - start, time.process_time() - cpu, files, total


def worker(args: argparse.Namespace) -> None:
    packages = json.loads(Path(args.worker).read_text())
    result = scan(packages, Path(args.cache))
    print(json.dumps({"findings": len(result.findings)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print, do not write the doc")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    packages, counts = collect_packages()
    if len(packages) < 1000:
        raise SystemExit(f"only {len(packages)} real packages found; the benchmark needs 1,000")
    from gate.matchers.advisory_index import open_sources

    floor, floor_cpu, files, size = floor_read_and_decode()
    with tempfile.TemporaryDirectory(prefix="gate-vuln-bench-") as tmp:
        cache = Path(tmp) / "cache"
        start, cpu = time.perf_counter(), time.process_time()
        index = open_sources(SOURCES, cache)
        build, build_cpu = time.perf_counter() - start, time.process_time() - cpu
        records = index.info.records
        index.close()
        runs, cpus = [], []
        result = None
        for _ in range(5):
            start, cpu = time.perf_counter(), time.process_time()
            result = scan(packages, cache)
            runs.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        assert result is not None
        warm, warm_cpu = statistics.median(runs), statistics.median(cpus)
        listing = Path(tmp) / "packages.json"
        listing.write_text(json.dumps(packages))
        env = dict(os.environ, PYTHONPATH=str(REPO))
        process = timed(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                str(listing),
                "--cache",
                str(cache),
            ],
            env=env,
        )
        if process.returncode != 0:
            raise SystemExit(f"worker failed: {process.stderr}")
    by_ecosystem: dict[str, int] = {}
    for f in result.findings:
        if f.package:
            base = f.package.ecosystem.split(":")[0]
            by_ecosystem[base] = by_ecosystem.get(base, 0) + 1
    stats = result.stats
    lines = [
        "## Vulnerability matching (`bench/vuln_bench.py`)",
        "",
        f"Machine: {machine()}.",
        "",
        f"Inventory: {len(packages)} real installed packages ("
        + ", ".join(f"{label}: {n}" for label, n in counts.items())
        + f"). Advisories: {files} OSV files ({size / 1e6:.1f} MB: PyPA, Go vulnerability "
        f"database, grype's OSV test records), {records} records indexed.",
        "",
        f"Load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(the machine is shared), so CPU seconds are the steadier figure.",
        "",
        "| step | wall s | CPU s | CPU vs. the floor |",
        "|---|---|---|---|",
        f"| floor: read + JSON-decode every advisory file once | {floor:.2f} | {floor_cpu:.2f} "
        "| 1.00 |",
        f"| index build (once, cached by source identity) | {build:.2f} | {build_cpu:.2f} | "
        f"{build_cpu / floor_cpu:.2f} |",
        f"| warm matching, in-process (median of 5; wall {', '.join(f'{r:.2f}' for r in runs)}) "
        f"| {warm:.2f} | {warm_cpu:.2f} | {warm_cpu / floor_cpu:.2f} |",
        f"| warm scan as a fresh process (interpreter, imports, match; "
        f"{process.peak_rss_mb:.0f} MB peak RSS) | {process.wall:.2f} | {process.cpu:.2f} | "
        f"{process.cpu / floor_cpu:.2f} |",
        "",
        f"Target: warm matching under {TARGET_SECONDS:.0f} s: "
        + ("met" if warm < TARGET_SECONDS else "**not met**")
        + f" ({warm:.2f} s wall, {warm_cpu:.2f} s CPU). "
        f"Result: {stats.get('findings', 0)} findings on "
        f"{stats.get('vulnerable_packages', 0)} packages ("
        + ", ".join(f"{k}: {v}" for k, v in sorted(by_ecosystem.items()))
        + f"); {stats.get('packages_with_advisories', 0)} packages had candidate records, "
        f"{stats.get('advisories_considered', 0)} records evaluated. No Debian or Alpine "
        "advisories are in the shared set, so the dpkg/apk packages are looked up and find "
        "none; the findings are the host's Python distributions.",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("vuln-matching", body)


if __name__ == "__main__":
    main()
