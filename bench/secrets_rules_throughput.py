"""Detector throughput of the current rule set against an earlier revision's, in one run.

Loads every file of the given trees into memory once per run (I/O is not measured), then scans
them with ``gate.analyzers.secrets.detector.scan_bytes`` of this worktree and of ``--base``
(a git revision, exported with ``git archive``), alternating the two ``--runs`` times per
prefilter engine and keeping each one's fastest run (CPU seconds; the fastest is the run
least disturbed by other load). Writes the ratio to the ``<!-- rules-throughput -->`` section
of docs/secrets.md. With ``--diff`` it instead streams the trees once per rule set and
prints every finding (rule, file, line) that only one of them reports.

    python bench/secrets_rules_throughput.py --base 4d74cb7 /usr/lib/python3 /usr/share/doc
    python bench/secrets_rules_throughput.py --base 4d74cb7 --diff /usr/lib /etc
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchlib import REPO, machine
from bench.secrets_trivy_parity import write_secrets_md_section

SECTION = "rules-throughput"

_WORKER = r"""
import json, os, sys, time
from gate.analyzers.secrets.detector import KEYWORD_INDEX, scan_bytes
from gate.analyzers.secrets.rules import RULES
blobs = []
for root in sys.argv[1:]:
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as f:
                    blobs.append((path, f.read(32 << 20)))
            except OSError:
                pass
scan_bytes(b"warm-up ghp_ token = 'x'")
start = time.process_time()
findings = sum(len(scan_bytes(data, path=path).matches) for path, data in blobs)
cpu = time.process_time() - start
print(json.dumps({"engine": KEYWORD_INDEX.name, "rules": len(RULES),
                  "keywords": len({k for r in RULES for k in r.keywords}),
                  "files": len(blobs), "bytes": sum(len(d) for _, d in blobs),
                  "cpu": cpu, "findings": findings}))
"""


_FINDINGS_WORKER = r"""
import os, sys
from gate.analyzers.secrets.detector import scan_bytes
for root in sys.argv[1:]:
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as f:
                    data = f.read(32 << 20)
            except OSError:
                continue
            for m in scan_bytes(data, path=path).matches:
                print(f"{m.rule_id}\t{path}:{m.line}\t{m.masked}")
"""


def export_revision(rev: str, dest: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "gate"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


def findings(pythonpath: Path, trees: list[str]) -> set[str]:
    """Every finding of one rule set (rule, path:line, masked value) on the trees."""
    out = subprocess.run(
        [sys.executable, "-c", _FINDINGS_WORKER, *trees],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(pythonpath)),
        cwd=tempfile.gettempdir(),
        check=True,
    ).stdout
    return set(out.splitlines())


def diff(base: str, trees: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="gate-base-") as tmp:
        export_revision(base, Path(tmp))
        before = findings(Path(tmp), trees)
    after = findings(REPO, trees)
    print(f"{base}: {len(before)} findings; this worktree: {len(after)} findings")
    for line in sorted(after - before):
        print("only this worktree:", line)
    for line in sorted(before - after):
        print(f"only {base}:", line)
    return 0


def measure(pythonpath: Path, engine: str, trees: list[str]) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    if engine == "aho-corasick":
        env["GATE_SECRETS_ENGINE"] = "aho-corasick"
    else:
        env.pop("GATE_SECRETS_ENGINE", None)
    out = subprocess.run(
        [sys.executable, "-c", _WORKER, *trees],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),  # not the worktree: the PYTHONPATH copy must be imported
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default="hyperscan,aho-corasick")
    parser.add_argument("--diff", action="store_true", help="compare findings, not speed")
    args = parser.parse_args()
    if args.diff:
        return diff(args.base, args.trees)
    lines = [
        "Written by `python bench/secrets_rules_throughput.py --base "
        f"{args.base} {' '.join(args.trees)}` ({machine()}); fastest of {args.runs} "
        "alternating runs each, CPU seconds of `scan_bytes` over the files held in memory.",
        "",
        "| Prefilter | Rule set | Rules | Keywords | Files | MB | CPU s | MB/s | Findings |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ratios = []
    with tempfile.TemporaryDirectory(prefix="gate-base-") as tmp:
        export_revision(args.base, Path(tmp))
        for engine in args.engines.split(","):
            best: dict[str, dict[str, float]] = {}
            for _ in range(args.runs):
                for name, path in (("base", Path(tmp)), ("current", REPO)):
                    result = measure(path, engine, args.trees)
                    if name not in best or result["cpu"] < best[name]["cpu"]:
                        best[name] = result
            for name in ("base", "current"):
                r = best[name]
                label = args.base if name == "base" else "this worktree"
                mb = r["bytes"] / 1e6
                lines.append(
                    f"| {r['engine']} | {label} | {r['rules']:.0f} | {r['keywords']:.0f} "
                    f"| {r['files']:.0f} | {mb:.0f} | {r['cpu']:.2f} | {mb / r['cpu']:.0f} "
                    f"| {r['findings']:.0f} |"
                )
            ratio = best["base"]["cpu"] / best["current"]["cpu"]
            ratios.append(f"{engine}: current/base throughput {ratio:.2f}")
    lines += ["", "Throughput ratio (current rule set / base): " + "; ".join(ratios) + "."]
    body = "\n".join(lines)
    write_secrets_md_section(SECTION, body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
