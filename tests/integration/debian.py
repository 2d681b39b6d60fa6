"""Real Debian images for the integration tests, built without Docker.

``debootstrap --variant=minbase`` makes a real Debian root filesystem (about 35 s, cached across
runs under ``$GATE_TEST_CACHE`` or ``/var/tmp/gate-tests``), ``umoci`` packs it as an OCI image
layer and adds layers on top, ``skopeo`` exports the result as a ``docker save`` archive. See
../shared/RECIPES.md.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

TOOLS = ("debootstrap", "umoci", "skopeo")


def _cache_root() -> Path:
    return Path(os.environ.get("GATE_TEST_CACHE", "/var/tmp/gate-tests"))


def debian_mirror() -> str:
    """The Debian mirror apt is configured with (deb822 ``URIs:`` or a one-line source)."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.is_file():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split(":", 1)[1].strip()
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[1]
    return "http://deb.debian.org/debian"


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"integration tools missing: {', '.join(missing)} (run .ci/run, it installs them)"
        )


def run(*cmd: str | Path, cwd: Path | None = None) -> None:
    subprocess.run(
        [str(c) for c in cmd],
        check=True,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def debian_rootfs(include: str | None = None) -> Path:
    """A slimmed Debian 12 minbase root filesystem, built once and reused."""
    require_tools()
    name = "bookworm-minbase" + (f"-{include.replace(',', '-')}" if include else "")
    root = _cache_root() / name
    root.parent.mkdir(parents=True, exist_ok=True)
    # xdist workers (and parallel checkouts) share the cache: one builds, the others wait.
    with open(root.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_rootfs(root, include)


def _build_rootfs(root: Path, include: str | None) -> Path:
    if (root / "etc" / "os-release").exists() and (root / ".complete").exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    cmd: list[str | Path] = ["debootstrap", "--variant=minbase"]
    if include:
        cmd.append(f"--include={include}")
    cmd += ["bookworm", root, debian_mirror()]
    run(*cmd)
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


def build_layered_image(
    layout: Path,
    rootfs: Path,
    steps: list[tuple[str, Callable[[Path], None]]],
    *,
    config: list[str] | None = None,
) -> str:
    """An OCI layout ``layout:app``: the rootfs as the base layer, then one layer per step.

    Each step is (created_by, function that edits the unpacked rootfs). Returns the tag.
    """
    run("umoci", "init", "--layout", layout)
    run("umoci", "new", "--image", f"{layout}:app")
    bundle = layout.parent / "bundle"
    run(
        "umoci", "unpack", "--rootless", "--image", f"{layout}:app", bundle
    ) if os.geteuid() else run("umoci", "unpack", "--image", f"{layout}:app", bundle)
    (bundle / "rootfs").rmdir()
    run("cp", "-a", rootfs, bundle / "rootfs")
    marker = bundle / "rootfs" / ".complete"
    if marker.exists():
        marker.unlink()
    run(
        "umoci",
        "repack",
        "--refresh-bundle",
        "--history.created_by",
        "debootstrap --variant=minbase bookworm",
        "--image",
        f"{layout}:app",
        bundle,
    )
    for created_by, edit in steps:
        edit(bundle / "rootfs")
        run(
            "umoci",
            "repack",
            "--refresh-bundle",
            "--history.created_by",
            created_by,
            "--image",
            f"{layout}:app",
            bundle,
        )
    if config:
        # umoci config must come after repack, or repack drops it (RECIPES.md).
        run("umoci", "config", "--image", f"{layout}:app", *config)
    shutil.rmtree(bundle)
    return "app"
