"""Running the real CLI (``python -m gate``) in a subprocess, as a CI job runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def gate_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a gate subprocess: this checkout's ``gate`` first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATE_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.pop("CI", None)
    env.update(extra or {})
    return env


def run_gate(
    *args: str | Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    command: tuple[str, ...] = (sys.executable, "-m", "gate"),
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env=gate_env(env),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def check_image(ref: str, *args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """``gate check --image REF --checks secrets --no-cache ARGS``."""
    return run_gate("check", "--image", ref, "--checks", "secrets", "--no-cache", *args,
                    **kwargs)  # type: ignore[arg-type]


def assert_one_error_line(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, nothing on stdout, exactly one stderr line ``gate: error: ...`` holding every
    needle; returns that line."""
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gate: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == "", proc.stdout
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]
