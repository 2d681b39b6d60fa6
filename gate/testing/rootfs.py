"""Real Debian root filesystems without Docker, for the tests, the example and the benchmarks.

``debootstrap --variant=minbase`` makes a real Debian 12 root filesystem (about 35 s), cached
across runs under ``$GATE_TEST_CACHE`` (default ``/var/tmp/gate-tests``) and built by one process
at a time (a file lock: pytest-xdist workers and parallel checkouts share the cache). Needs root,
the ``debootstrap`` package and the Debian mirror apt is configured with (../shared/RECIPES.md).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

SUITE = "bookworm"


class RootfsError(RuntimeError):
    """A tool is missing or failed; the message names it and carries its stderr tail."""


def cache_root() -> Path:
    return Path(os.environ.get("GATE_TEST_CACHE", "/var/tmp/gate-tests"))


def debian_mirror() -> str:
    """The Debian mirror apt is configured with (deb822 ``URIs:`` or a one-line source)."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.is_file():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split(":", 1)[1].strip().split()[0]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[1]
    return "http://deb.debian.org/debian"


def missing_tools(*tools: str) -> list[str]:
    return [tool for tool in tools if shutil.which(tool) is None]


def run(*cmd: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, check=False,
    )
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise RootfsError(f"{cmd[0]} failed (exit {proc.returncode}): {tail}")


def debian_rootfs(include: str | None = None) -> Path:
    """A slimmed Debian 12 minbase root filesystem (``include``: extra packages), built once."""
    missing = missing_tools("debootstrap")
    if missing:
        raise RootfsError("debootstrap is not installed (apt-get install debootstrap)")
    name = f"{SUITE}-minbase" + (f"-{include.replace(',', '-')}" if include else "")
    root = cache_root() / name
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(root, include)


def _build(root: Path, include: str | None) -> Path:
    if (root / "etc" / "os-release").exists() and (root / ".complete").exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    cmd: list[str | Path] = ["debootstrap", "--variant=minbase"]
    if include:
        cmd.append(f"--include={include}")
    cmd += [SUITE, root, debian_mirror()]
    run(*cmd)
    # Package caches and device nodes: not part of an image (RECIPES.md, "Slim it").
    for pattern in ("var/cache/apt/archives", "var/lib/apt/lists", "dev"):
        target = root / pattern
        if target.is_dir():
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    (root / ".complete").write_text("ok")
    return root
