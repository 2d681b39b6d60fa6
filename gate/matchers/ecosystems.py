"""OSV ecosystems: which advisories are about which installed package.

An OSV ecosystem string is a base name with an optional suffix (OSV schema, "Defined
ecosystems"): a distro release (``Debian:12``, ``Alpine:v3.19``, ``Ubuntu:22.04:LTS``,
``AlmaLinux:8``), a repository URL (``Maven:https://maven.google.com``) or a nested ecosystem
(``Root:Debian:12``). Rules applied here:

* Distro ecosystems match on base and release. An advisory with a release applies only to that
  release. An advisory **without** a release (a bare ``Debian`` or ``Alpine``) applies to every
  release of that distro: the schema makes the suffix optional for Debian and says nothing
  narrower is meant (for Alpine it is required, so a bare one is a producer's error that we
  read the same way rather than drop). A package whose release is unknown (bare ``Debian``:
  sid, an SBOM without it) matches only release-less advisories, and the check says so in a
  note: release-scoped fixed versions cannot be applied to an unknown release.
* Red Hat's CPE-scoped ecosystems (``Red Hat:enterprise_linux:9::appstream``) compare on the
  major release (``9``), as a package of a RHEL 9 image (``Red Hat:9``) knows it.
* Ubuntu's ``:LTS`` marker does not change the release (``Ubuntu:22.04:LTS`` is 22.04); Ubuntu
  Pro (``Ubuntu:Pro:18.04:LTS``) is its own release (ESM package versions).
* Language ecosystems match on base only; a Maven/Packagist repository suffix is ignored (the
  coordinates identify the artifact).
* Names compare as each ecosystem defines identity: PyPI by PEP 503 normalization, crates.io
  case-insensitively with ``-`` = ``_``, NuGet, Packagist and RubyGems case-insensitively;
  everything else (Go module paths, Maven coordinates, npm, distro packages) exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gate.matchers.versions import VersionScheme, scheme_for

DISTRO_BASES = frozenset(
    {
        "AlmaLinux",
        "Alpaquita",
        "Alpine",
        "Azure Linux",
        "BellSoft Hardened Containers",
        "Debian",
        "Echo",
        "Mageia",
        "openEuler",
        "openSUSE",
        "Photon OS",
        "Red Hat",
        "Rocky Linux",
        "SUSE",
        "TuxCare",
        "Ubuntu",
    }
)
"""Ecosystems scoped by a ``:<release>`` suffix whose packages have source packages."""

_SOURCE_NAMED = DISTRO_BASES | {"Chainguard", "Wolfi", "MinimOS"}
"""Ecosystems whose advisories may name the source package (apk origin, dpkg Source, SRPM)."""

_DEBIAN_CODENAMES = {
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
}
_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class Ecosystem:
    """A parsed ecosystem string."""

    base: str
    """``Debian``, ``PyPI``, ``Root`` ..."""
    release: str
    """Normalized release for distro ecosystems (``12``, ``3.19``, ``22.04``); else empty."""
    scheme: VersionScheme | None
    """How its versions sort; None when gate knows no ordering for it."""

    @property
    def is_distro(self) -> bool:
        return self.base in DISTRO_BASES

    @property
    def names_source_packages(self) -> bool:
        return self.base in _SOURCE_NAMED or self.base == "Root"


def parse_ecosystem(text: str) -> Ecosystem:
    base, _sep, suffix = text.strip().partition(":")
    if base == "Root":
        # Root.io: "Root:Debian:12", "Root:PyPI"; versions sort as the inner ecosystem's.
        inner = parse_ecosystem(suffix) if suffix else None
        release = f"{inner.base}:{inner.release}" if inner else ""
        return Ecosystem("Root", release, inner.scheme if inner else None)
    if base not in DISTRO_BASES:
        return Ecosystem(base, "", scheme_for(base))
    return Ecosystem(base, _release(base, suffix), scheme_for(base))


def _release(base: str, suffix: str) -> str:
    release = suffix.strip()
    if base == "Ubuntu":
        release = release.removesuffix(":LTS")
    elif base == "Alpine":
        # Alpine:v3.19; os-release says 3.19.1; advisories are per branch (major.minor).
        release = ".".join(release.removeprefix("v").split(".")[:2])
    elif base == "Red Hat":
        # Red Hat scopes by CPE ("Red Hat:enterprise_linux:9::appstream",
        # "Red Hat:rhel_eus:9.2::baseos"); an image knows its major release (os-release
        # VERSION_ID 9.4), so both sides compare on the major version.
        m = re.search(r"(\d+)", release)
        release = m.group(1) if m else release
    elif base == "Debian":
        release = _DEBIAN_CODENAMES.get(release.lower(), release)
        # "12.5" (debian_version) is release 12.
        if re.fullmatch(r"\d+\.\d+", release):
            release = release.split(".")[0]
    return release


def release_matches(advisory: Ecosystem, package: Ecosystem) -> bool:
    """Does an advisory for ``advisory`` apply to a package of ``package``? (bases equal)."""
    if advisory.base != package.base:
        return False
    if not advisory.release:
        return True
    return advisory.release == package.release


def normalize_name(base: str, name: str) -> str:
    """The identity of a package name within its ecosystem (the index key)."""
    if base == "PyPI":
        return _PEP503.sub("-", name).lower()
    if base == "crates.io":
        return name.lower().replace("_", "-")
    if base in ("NuGet", "Packagist", "RubyGems"):
        return name.lower()
    return name


_PURL_TYPES = {
    "PyPI": "pypi",
    "npm": "npm",
    "Go": "golang",
    "Maven": "maven",
    "RubyGems": "gem",
    "crates.io": "cargo",
    "NuGet": "nuget",
    "Packagist": "composer",
    "Debian": "deb",
    "Ubuntu": "deb",
    "Alpine": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
}


def package_purl(ecosystem: str, name: str, version: str) -> str | None:
    """A package URL (purl-spec) for a package that came without one (an SBOM may omit it),
    so VEX statements naming purls can still be matched; None for unmapped ecosystems."""
    from packageurl import PackageURL

    eco = parse_ecosystem(ecosystem)
    kind = _PURL_TYPES.get(eco.base)
    if kind is None:
        if eco.scheme is VersionScheme.RPM:
            kind = "rpm"
        else:
            return None
    namespace: str | None = None
    pname = name
    if kind in ("deb", "apk", "rpm"):
        namespace = eco.base.lower().replace(" ", "")
    elif kind == "maven" and ":" in name:
        namespace, pname = name.split(":", 1)
    elif kind in ("npm", "composer", "golang") and "/" in name:
        namespace, pname = name.rsplit("/", 1)
    return str(
        PackageURL(type=kind, namespace=namespace, name=pname, version=version or None).to_string()
    )


__all__ = [
    "DISTRO_BASES",
    "Ecosystem",
    "normalize_name",
    "package_purl",
    "parse_ecosystem",
    "release_matches",
]
