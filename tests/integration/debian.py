"""Real Debian images for the integration tests, built without Docker.

A real Debian root filesystem from :mod:`gate.testing.rootfs` (debootstrap, cached); ``umoci``
packs it as an OCI image layer and adds layers on top; ``skopeo`` exports the result as a
``docker save`` archive. See ../shared/RECIPES.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.testing import rootfs
from gate.testing.rootfs import debian_mirror, missing_tools

__all__ = ["build_layered_image", "debian_mirror", "debian_rootfs", "require_tools", "run"]

TOOLS = ("debootstrap", "umoci", "skopeo")


def require_tools() -> None:
    missing = missing_tools(*TOOLS)
    if missing:
        pytest.fail(
            f"integration tools missing: {', '.join(missing)} (run .ci/run, it installs them)"
        )


def run(*cmd: str | Path, cwd: Path | None = None) -> None:
    try:
        rootfs.run(*cmd, cwd=cwd)
    except rootfs.RootfsError as exc:
        pytest.fail(str(exc))


def debian_rootfs(include: str | None = None) -> Path:
    """A slimmed Debian 12 minbase root filesystem, built once and reused."""
    require_tools()
    try:
        return rootfs.debian_rootfs(include)
    except rootfs.RootfsError as exc:
        pytest.fail(str(exc))


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
