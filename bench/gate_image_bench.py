"""The gate's own image: its size, and the time of one gate run inside it on the example.

Uses the image scripts/build_gate_image.sh builds (run it first, or pass --build). In one run:

* size: compressed and uncompressed bytes of each layer of build/gate-image/oci, against the
  base layer it is built on (the Debian root filesystem with python3): what gate adds;
* time: ``gate check`` on the bundled example (image + build context, secrets check, every
  report format) inside the image with ``buildah run``, against the same command on the host
  (the container's cost) and ``buildah run ... /bin/true`` (the floor: starting a container);
  median of 5 runs each.

Writes the ``gate-image`` section of docs/benchmarks.md.

    python bench/gate_image_bench.py [--build] [--runs 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchlib import REPO, Timing, fresh_bytecode, machine, timed, write_section

OUT = REPO / "build" / "gate-image"
STORE = Path(os.environ.get("GATE_BUILDAH_DIR", "/var/tmp/gate-buildah"))
IMAGE = "localhost/gate:dev"


def buildah(*args: str) -> list[str]:
    return ["buildah", "--root", str(STORE / "root"), "--runroot", str(STORE / "run"),
            "--storage-driver", "vfs", *args]


def layer_sizes(layout: Path) -> list[tuple[int, int]]:
    """(compressed, uncompressed) bytes of each layer of the layout's first image."""
    index = json.loads((layout / "index.json").read_text())

    def blob(digest: str) -> Path:
        return layout / "blobs" / "sha256" / digest.split(":", 1)[1]

    manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
    sizes = []
    for layer in manifest["layers"]:
        raw = 0
        with gzip.open(blob(layer["digest"]), "rb") as stream:
            while chunk := stream.read(1 << 20):
                raw += len(chunk)
        sizes.append((layer["size"], raw))
    return sizes


def median(runs: list[Timing]) -> float:
    return statistics.median(t.wall for t in runs)


def gate_args(work: str, advisories: str, out: str) -> list[str]:
    """The run of scripts/build_gate_image.sh: every check the example needs, offline."""
    return [
        "check", "--image", f"docker-archive:{work}/insecure-app.tar",
        "--context", f"{work}/context", "--dockerfile", f"{work}/context/Dockerfile",
        "--vuln-db", advisories, "--no-cache", "--no-progress", "--quiet",
        "--json", f"{out}/r.json", "--sarif", f"{out}/r.sarif", "--junit", f"{out}/r.xml",
        "--markdown", f"{out}/r.md", "--codequality", f"{out}/cq.json",
        "--gitlab-secret-detection", f"{out}/sd.json",
        "--gitlab-container-scanning", f"{out}/cs.json",
    ]


def main() -> None:
    fresh_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="run scripts/build_gate_image.sh")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    example = OUT / "example"
    if args.build or not (OUT / "oci" / "index.json").is_file() or not example.is_dir():
        subprocess.run(["bash", str(REPO / "scripts" / "build_gate_image.sh")], check=True)
    sizes = layer_sizes(OUT / "oci")
    (base_c, base_u), added = sizes[0], sizes[1:]
    total_c, total_u = sum(s[0] for s in sizes), sum(s[1] for s in sizes)

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    advisories = REPO / "examples" / "advisories"
    out = Path(tempfile.mkdtemp(prefix="gate-image-bench-"))
    out.chmod(0o777)
    container = subprocess.run(buildah("from", "--pull-never", IMAGE), check=True,
                               capture_output=True, text=True).stdout.strip()
    try:
        run = buildah("run", "--isolation", "chroot", "-v", f"{example}:/work:ro",
                      "-v", f"{advisories}:/advisories:ro", "-v", f"{out}:/out", container, "--")
        inside = [timed([*run, "gate", *gate_args("/work", "/advisories", "/out")])
                  for _ in range(args.runs)]
        floor = [timed([*run, "/bin/true"]) for _ in range(args.runs)]
        on_host = gate_args(str(example), str(advisories), str(out))
        host = [timed([sys.executable, "-m", "gate", *on_host], env=env)
                for _ in range(args.runs)]
    finally:
        subprocess.run(buildah("rm", container), check=False, capture_output=True)
    for timing in (*inside, *host):
        if timing.returncode != 1:
            sys.exit(f"gate_image_bench: expected exit 1 on the example, got "
                     f"{timing.returncode}: {timing.stderr[-500:]}")
    t_inside, t_host, t_floor = median(inside), median(host), median(floor)
    mb = 1e6
    added_c, added_u = sum(a[0] for a in added), sum(a[1] for a in added)

    def cpu(runs: list[Timing]) -> str:
        return f"{statistics.median(t.cpu for t in runs):.2f} s"

    def rss(runs: list[Timing]) -> str:
        return f"{max(t.peak_rss_mb for t in runs):.0f} MB"

    size_rows = [
        ("base layer (Debian 12 minbase + python3, python3-venv)", base_c, base_u),
        ("gate layer(s): the /opt/gate virtual environment", added_c, added_u),
        (f"**whole image** ({len(sizes)} layers)", total_c, total_u),
    ]
    time_rows = [
        ("inside the image (`buildah run --isolation chroot`)", f"**{t_inside:.2f} s**",
         cpu(inside), rss(inside)),
        ("the same command on the host", f"{t_host:.2f} s", cpu(host), rss(host)),
        ("floor: `buildah run ... /bin/true`", f"{t_floor:.2f} s", cpu(floor), "-"),
    ]
    body = "\n".join([
        "## The gate's own image",
        "",
        f"`python bench/gate_image_bench.py` — {machine()}. Image built by",
        "`scripts/build_gate_image.sh` (buildah, vfs storage) from `Dockerfile` on a Debian 12",
        "minbase root filesystem with python3 (the local base; the published default base is",
        "`python:3.11-slim-bookworm`).",
        "",
        "| | compressed | uncompressed |",
        "|---|--:|--:|",
        *(f"| {name} | {c / mb:.1f} MB | {u / mb:.1f} MB |" for name, c, u in size_rows),
        "",
        f"gate adds {added_c / base_c:.2f}x its base's compressed size.",
        "",
        "One `gate check` on the bundled example (docker-archive image + build context, "
        "secrets, config and vulnerabilities against the example's OSV subset, all seven "
        f"report files, no cache), median of {args.runs}:",
        "",
        "| | wall | CPU | peak RSS |",
        "|---|--:|--:|--:|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in time_rows),
        "",
        f"Inside the image a run takes {t_inside / t_host:.2f}x the host's time; "
        f"{t_floor:.2f} s of it is starting the container ({t_floor / t_inside:.0%}).",
        "",
    ])
    write_section("gate-image", body)
    print(body)


if __name__ == "__main__":
    main()
