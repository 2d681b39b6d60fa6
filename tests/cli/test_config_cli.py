"""``gate check --checks config`` from the command line: context-only and Dockerfile-only runs,
many Dockerfiles, the compliance table, and errors as one line with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def gate(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", "check", *map(str, args)],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )


def test_context_only_run(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN apk add curl\nUSER 10001\n")
    report = tmp_path / "r.json"
    proc = gate("--context", tmp_path, "--checks", "config", "--json", report, "--no-cache")
    assert proc.returncode == 0, proc.stderr  # low findings only: within default thresholds
    doc = json.loads(report.read_text())
    found = {f["rule_id"] for f in doc["findings"]}
    assert {"config/package-cache-left", "config/no-healthcheck"} <= found
    assert doc["target"]["image"] is None and doc["compliance"] == []


def test_dockerfile_only_many_dockerfiles_and_compliance(shared_data: Path, tmp_path: Path) -> None:
    corpus = sorted((shared_data / "dockerfiles").glob("*.Dockerfile"))
    report = tmp_path / "r.json"
    proc = gate("--checks", "config", "--dockerfile", corpus[0], "--dockerfiles", *corpus[1:],
                "--json", report, "--compliance", "cis-docker,pci-dss", "--no-cache")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(report.read_text())
    assert doc["checks"][0]["stats"]["dockerfiles"] == len(corpus)
    paths = {f["location"]["path"] for f in doc["findings"]}
    assert len(paths) > len(corpus) // 2
    assert {c["regime"] for c in doc["compliance"]} == {"cis-docker", "pci-dss"}
    assert "compliance cis-docker:" in proc.stdout and "compliance pci-dss:" in proc.stdout


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM alpine\nRUN <<EOF\necho\n")
    proc = gate("--dockerfile", bad, "--checks", "config")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"gate: error: {bad}: unterminated heredoc <<EOF (no line 'EOF' follows)"
        .replace(f"{bad}:", f"{bad}:2:")
    ]
    proc = gate("--dockerfile", bad, "--checks", "config", "--compliance", "sox")
    assert proc.returncode == 2 and "unknown regime 'sox'" in proc.stderr
    proc = gate("--dockerfile", bad, "--target", "x", "--checks", "config")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    good = tmp_path / "ok.Dockerfile"
    good.write_text("FROM alpine:3.20 AS one\n")
    proc = gate("--dockerfile", good, "--target", "two", "--checks", "config")
    assert proc.returncode == 2
    assert "--target two: no such stage (stages: one)" in proc.stderr
