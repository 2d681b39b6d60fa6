"""One vulnerability of one installed package, as any source reports it (gate's own OSV matching,
osv.dev's API, Trivy or Grype results): the common shape before aliases are merged."""

from __future__ import annotations

from dataclasses import dataclass

from gate.models import LayerRef, PackageRef, Severity


@dataclass(frozen=True)
class Hit:
    package: PackageRef
    found_in: str
    """The file the package was read from (absolute in the image) or the SBOM/result file."""
    layer: LayerRef | None
    ids: tuple[str, ...]
    """The record's id first, then its aliases (OSV ``aliases``: the same vulnerability)."""
    severity: Severity
    severity_source: str
    """``cvss_v4``, ``cvss_v3``, ``cvss_v2``, ``database``, ``trivy``, ``grype`` or ``unknown``."""
    source: str
    """Where the hit comes from: ``osv``, ``osv-api``, ``trivy``, ``grype``."""
    cvss_score: float | None = None
    cvss_vector: str | None = None
    fixed: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    """OSV ``upstream``: the upstream vulnerabilities a distro record is about (not aliases)."""
    summary: str = ""
    url: str | None = None
    matched_by: str = ""
    """``versions``, ``ECOSYSTEM``, ``SEMVER``, or the peer tool."""
    matched_name: str = ""
    """The package name the advisory names (the binary or the source package)."""
    matched_version: str = ""
    last_affected: tuple[str, ...] = ()


def package_key(package: PackageRef, found_in: str) -> tuple[str, str, str, str]:
    """Hits about the same installed package merge (ecosystem base, name, version, file)."""
    from gate.matchers.ecosystems import normalize_name, parse_ecosystem

    base = parse_ecosystem(package.ecosystem).base
    return (base, normalize_name(base, package.name), package.version, found_in)


__all__ = ["Hit", "package_key"]
