"""Shared helpers of the benchmark scripts: timing a command with its CPU and memory, and
writing one section of docs/benchmarks.md between markers (several benchmarks share the file)."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS_MD = REPO / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Timing:
    wall: float
    """Seconds, wall clock."""
    cpu: float
    """User + system seconds of the process and every descendant it waited for."""
    peak_rss_mb: float
    """Largest resident set of any one process of the tree (Linux ru_maxrss semantics)."""
    returncode: int
    stdout: str
    stderr: str

    @property
    def cores_used(self) -> float:
        return self.cpu / self.wall if self.wall else 0.0


def timed(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdout_path: Path | None = None,
) -> Timing:
    """Run ``cmd`` and measure it with wait4 (no shell, no extra process in between)."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env, cwd=cwd)
    stdout_b, stderr_b = b"", b""
    if proc.stdout is not None or proc.stderr is not None:
        # Drain pipes without waiting for exit (communicate would reap the child).
        import threading

        chunks: dict[str, bytes] = {}

        def drain(name: str, stream: object) -> None:
            assert hasattr(stream, "read")
            chunks[name] = stream.read()

        threads = []
        for name, stream in (("out", proc.stdout), ("err", proc.stderr)):
            if stream is not None:
                t = threading.Thread(target=drain, args=(name, stream))
                t.start()
                threads.append(t)
        _, status, usage = os.wait4(proc.pid, 0)
        for t in threads:
            t.join()
        stdout_b, stderr_b = chunks.get("out", b""), chunks.get("err", b"")
    else:
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout_path:
        assert not isinstance(out, int)
        out.close()  # type: ignore[union-attr]
    return Timing(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        returncode=proc.returncode,
        stdout=stdout_b.decode(errors="replace"),
        stderr=stderr_b.decode(errors="replace"),
    )


def fresh_bytecode() -> None:
    """Compile gate's modules to bytecode first, as ``pip install`` does: with
    PYTHONDONTWRITEBYTECODE set (CI images often set it) every timed run would otherwise
    recompile each module changed since its .pyc was written, and time the compiler."""
    import compileall

    compileall.compile_dir(str(REPO / "gate"), quiet=1)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def write_section(name: str, body: str) -> None:
    """Replace (or append) the ``<!-- name -->`` ... ``<!-- /name -->`` section of benchmarks.md."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    BENCHMARKS_MD.parent.mkdir(parents=True, exist_ok=True)
    text = (
        BENCHMARKS_MD.read_text()
        if BENCHMARKS_MD.exists()
        else (
            "# Benchmarks\n\nEvery number here is written by a script under `bench/` that "
            "anyone can run; each compares gate with a peer tool or a physical limit measured "
            "in the same run.\n"
        )
    )
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        before = text.split(start, 1)[0]
        after = text.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS_MD.write_text(text)
