"""Platform strings (``os/arch[/variant]``) and the host's platform in Go's naming (GOARCH)."""

from __future__ import annotations

import platform as _platform

from gate.errors import UsageError
from gate.sources.image.model import Platform

_GOARCH = {
    "x86_64": ("amd64", None),
    "amd64": ("amd64", None),
    "aarch64": ("arm64", "v8"),
    "arm64": ("arm64", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i386": ("386", None),
    "i686": ("386", None),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
}
# containerd's platforms.Normalize: arm64 without a variant is v8, arm without one is v7.
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7"}


def parse_platform(value: str) -> Platform:
    """``linux/amd64``, ``linux/arm64/v8`` -> Platform; UsageError naming the value."""
    parts = value.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"invalid platform {value!r}: expected os/arch or os/arch/variant")
    os_name, arch = parts[0].lower(), parts[1].lower()
    arch = _GOARCH.get(arch, (arch, None))[0]
    variant = parts[2].lower() if len(parts) == 3 else None
    return Platform(os=os_name, architecture=arch, variant=variant)


def host_platform() -> Platform:
    """Linux on the host's CPU (images run in Linux even on other hosts)."""
    machine = _platform.machine().lower()
    arch, variant = _GOARCH.get(machine, (machine, None))
    return Platform(os="linux", architecture=arch, variant=variant)


def normalised_variant(platform: Platform) -> str | None:
    return platform.variant or _DEFAULT_VARIANT.get(platform.architecture)


def matches(candidate: Platform, wanted: Platform, *, strict_variant: bool) -> bool:
    """Whether ``candidate`` serves ``wanted``; a wanted platform without variant accepts
    any variant unless ``strict_variant``."""
    if candidate.os != wanted.os or candidate.architecture != wanted.architecture:
        return False
    if wanted.variant is None and not strict_variant:
        return True
    return normalised_variant(candidate) == normalised_variant(wanted)
