"""Platform strings (``os/arch[/variant]``), their normalisation and matching, and the host's
platform, in Go's naming (GOOS/GOARCH), as containerd's ``platforms`` package does.

Normalisation follows containerd's ``platforms.Normalize``: ``x86_64`` is ``amd64`` and
``amd64/v1`` is plain ``amd64``; ``aarch64`` is ``arm64`` and ``arm64/v8`` is plain ``arm64``;
``arm`` without a variant is ``arm/v7``; ``armhf`` is ``arm/v7`` and ``armel`` is ``arm/v6``.
Matching prefers the exact variant, then an older variant the wanted one can run (an
``amd64/v3`` host runs ``v2`` and ``v1`` images, an ``arm/v7`` host runs ``v6`` and ``v5``),
then, only when no variant (or the baseline one) was asked for, any variant of the
architecture: ``--platform linux/amd64`` picks an index's ``amd64/v3`` image when it has
no plain one.
"""

from __future__ import annotations

import platform as _platform

from gate.errors import UsageError
from gate.sources.image.model import Platform

# Older-to-newer variants within one architecture; a variant runs every earlier one.
_VARIANT_ORDER = {
    "amd64": ("", "v2", "v3", "v4"),
    "arm": ("v5", "v6", "v7", "v8"),
}

_ANY_VARIANT = 99
"""Rank of a match on the architecture alone: after every variant-compatible one."""


def _normalise_arch(arch: str, variant: str) -> tuple[str, str]:
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        return "arm64", "" if variant in ("8", "v8") else variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            return "arm", "v7"
        if variant in ("5", "6", "8"):
            return "arm", f"v{variant}"
    return arch, variant


def normalise(platform: Platform) -> Platform:
    """containerd's ``platforms.Normalize`` of ``platform``."""
    os_name = platform.os.lower()
    if os_name == "macos":
        os_name = "darwin"
    arch, variant = _normalise_arch(platform.architecture, platform.variant or "")
    return Platform(os=os_name, architecture=arch, variant=variant or None)


def parse_platform(value: str) -> Platform:
    """``linux/amd64``, ``linux/arm64/v8`` -> normalised Platform; UsageError naming the value."""
    parts = value.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"invalid platform {value!r}: expected os/arch or os/arch/variant")
    return normalise(Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None))


_HOST_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm/v7",
    "armv6l": "arm/v6",
    "i386": "386",
    "i686": "386",
}


def host_platform() -> Platform:
    """Linux on the host's CPU (images run in Linux even on other hosts)."""
    machine = _platform.machine().lower()
    arch, _, variant = _HOST_ARCH.get(machine, machine).partition("/")
    return normalise(Platform(os="linux", architecture=arch, variant=variant or None))


def match_rank(candidate: Platform, wanted: Platform) -> int | None:
    """How well ``candidate`` serves ``wanted`` (0 best), or None if it cannot."""
    have, want = normalise(candidate), normalise(wanted)
    if have.os != want.os or have.architecture != want.architecture:
        return None
    have_variant, want_variant = have.variant or "", want.variant or ""
    if have_variant == want_variant:
        return 0
    order = _VARIANT_ORDER.get(want.architecture, ())
    if have_variant in order and want_variant in order:
        distance = order.index(want_variant) - order.index(have_variant)
        if distance > 0:
            return distance
    if not want_variant:
        # No variant asked for (or the baseline one): any variant of the architecture
        # serves, after every closer match.
        return _ANY_VARIANT
    return None


def matches(candidate: Platform, wanted: Platform) -> bool:
    """Whether an image for ``candidate`` can serve ``wanted``."""
    return match_rank(candidate, wanted) is not None
