"""Results of other scanners, read into the same hits as gate's own matching.

* Trivy JSON (``trivy image --format json``, ``SchemaVersion`` 2): ``Results[].Vulnerabilities[]``
  with ``VulnerabilityID``, ``PkgName``, ``InstalledVersion``, ``FixedVersion``, ``Severity``,
  ``CVSS`` (per source: ``V3Vector``/``V3Score``...), ``Layer`` and ``PkgIdentifier.PURL``;
  ``Results[].Type`` names the package ecosystem (``alpine``, ``debian``, ``python-pkg`` ...).
* Grype JSON (``grype -o json``): ``matches[]`` with ``vulnerability`` (``id``, ``severity``,
  ``cvss[]``, ``fix.versions``), ``relatedVulnerabilities[]`` (the CVE of a GHSA: aliases),
  ``artifact`` (``name``, ``version``, ``type``, ``purl``, ``locations[].layerID``,
  ``upstreams[]`` = source packages) and the top-level ``distro``.

Both become :class:`~gate.matchers.hits.Hit` objects with OSV ecosystem names, so a CVE that gate
and Trivy both report on the same package is one finding. A file that is not such a report is
an :class:`~gate.errors.InputError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gate.errors import InputError
from gate.matchers.hits import Hit
from gate.models import LayerRef, PackageRef, Severity
from gate.sources.json_file import read_json

_SEVERITY = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "MODERATE": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "NEGLIGIBLE": Severity.INFO,
    "INFO": Severity.INFO,
}

# Trivy's Results[].Type / OS family and Grype's artifact.type -> OSV ecosystem base.
_TRIVY_OS = {
    "alpine": "Alpine",
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "alma": "AlmaLinux",
    "rocky": "Rocky Linux",
    "redhat": "Red Hat",
    "photon": "Photon OS",
    "opensuse.leap": "openSUSE",
    "suse linux enterprise server": "SUSE",
    "azurelinux": "Azure Linux",
    "cbl-mariner": "Azure Linux",
    "wolfi": "Wolfi",
    "chainguard": "Chainguard",
}
_TRIVY_LANG = {
    "python-pkg": "PyPI",
    "pip": "PyPI",
    "pipenv": "PyPI",
    "poetry": "PyPI",
    "uv": "PyPI",
    "node-pkg": "npm",
    "npm": "npm",
    "yarn": "npm",
    "pnpm": "npm",
    "gobinary": "Go",
    "gomod": "Go",
    "jar": "Maven",
    "pom": "Maven",
    "gradle": "Maven",
    "gemspec": "RubyGems",
    "bundler": "RubyGems",
    "cargo": "crates.io",
    "rust-binary": "crates.io",
    "nuget": "NuGet",
    "dotnet-core": "NuGet",
    "packages-props": "NuGet",
    "composer": "Packagist",
    "composer-vendor": "Packagist",
}
_GRYPE_LANG = {
    "python": "PyPI",
    "npm": "npm",
    "go-module": "Go",
    "java-archive": "Maven",
    "jenkins-plugin": "Maven",
    "gem": "RubyGems",
    "rust-crate": "crates.io",
    "dotnet": "NuGet",
    "php-composer": "Packagist",
}
_GRYPE_DISTRO = {
    "alpine": "Alpine",
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "almalinux": "AlmaLinux",
    "rocky": "Rocky Linux",
    "rhel": "Red Hat",
    "centos": "Red Hat",
    "photon": "Photon OS",
    "sles": "SUSE",
    "opensuse-leap": "openSUSE",
    "wolfi": "Wolfi",
    "chainguard": "Chainguard",
    "mariner": "Azure Linux",
    "azurelinux": "Azure Linux",
}


def _load(path: Path, what: str) -> Any:
    return read_json(path, f"{what} {path}")


def _distro_ecosystem(base: str | None, version: str) -> str:
    if base is None:
        return ""
    if base == "Alpine":
        parts = version.split(".")
        return f"Alpine:v{'.'.join(parts[:2])}" if version else "Alpine"
    if base in ("Debian", "AlmaLinux", "Rocky Linux", "Red Hat") and version:
        return f"{base}:{version.split('.')[0]}"
    return f"{base}:{version}" if version else base


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _fixed(text: str) -> tuple[str, ...]:
    # Trivy joins several fixed versions with ", ".
    return tuple(v.strip() for v in text.split(",") if v.strip())


def _trivy_cvss(cvss: Any) -> tuple[float | None, str | None]:
    best: tuple[float | None, str | None] = (None, None)
    if not isinstance(cvss, Mapping):
        return best
    for source in ("nvd", "ghsa", *sorted(k for k in cvss if k not in ("nvd", "ghsa"))):
        entry = cvss.get(source)
        if isinstance(entry, Mapping):
            for score_key, vector_key in (("V40Score", "V40Vector"), ("V3Score", "V3Vector")):
                score = entry.get(score_key)
                if isinstance(score, int | float) and not isinstance(score, bool):
                    return float(score), _str(entry.get(vector_key)) or None
    return best


def read_trivy(path: Path) -> list[Hit]:
    doc = _load(path, "Trivy report")
    if not isinstance(doc, Mapping) or not isinstance(doc.get("Results", []), list):
        raise InputError(f"Trivy report {path}: no Results list (is it `trivy --format json`?)")
    if doc.get("SchemaVersion") not in (2, None):
        raise InputError(
            f"Trivy report {path}: SchemaVersion {doc.get('SchemaVersion')!r}, gate reads 2"
        )
    metadata = _as_map(doc.get("Metadata"))
    os_doc = _as_map(metadata.get("OS"))
    diff_ids = [d for d in metadata.get("DiffIDs", []) if isinstance(d, str)]
    hits: list[Hit] = []
    for result in doc.get("Results") or []:
        if not isinstance(result, Mapping):
            raise InputError(f"Trivy report {path}: Results items must be objects")
        rtype = _str(result.get("Type"))
        if rtype in _TRIVY_LANG:
            ecosystem = _TRIVY_LANG[rtype]
        else:
            base = _TRIVY_OS.get(rtype) or _TRIVY_OS.get(_str(os_doc.get("Family")))
            ecosystem = _distro_ecosystem(base, _str(os_doc.get("Name"))) or rtype
        target = _str(result.get("Target"))
        for vuln in result.get("Vulnerabilities") or []:
            if not isinstance(vuln, Mapping) or not _str(vuln.get("VulnerabilityID")):
                raise InputError(f"Trivy report {path}: a vulnerability without VulnerabilityID")
            layer = _trivy_layer(vuln.get("Layer"), diff_ids)
            score, vector = _trivy_cvss(vuln.get("CVSS"))
            severity = _SEVERITY.get(_str(vuln.get("Severity")).upper(), Severity.MEDIUM)
            source_name = _str(vuln.get("SrcName")) or None
            pkg_path = _str(vuln.get("PkgPath"))
            found_in = "/" + pkg_path.lstrip("/") if pkg_path else target
            hits.append(
                Hit(
                    package=PackageRef(
                        name=_str(vuln.get("PkgName")),
                        version=_str(vuln.get("InstalledVersion")),
                        ecosystem=ecosystem,
                        purl=_str(_as_map(vuln.get("PkgIdentifier")).get("PURL")) or None,
                        source_name=source_name,
                        source_version=_str(vuln.get("SrcVersion")) or None,
                    ),
                    found_in=found_in,
                    layer=layer,
                    ids=(_str(vuln["VulnerabilityID"]), *_strings(vuln.get("VendorIDs"))),
                    severity=severity,
                    severity_source="trivy",
                    source="trivy",
                    cvss_score=score,
                    cvss_vector=vector,
                    fixed=_fixed(_str(vuln.get("FixedVersion"))),
                    summary=_str(vuln.get("Title")),
                    url=_str(vuln.get("PrimaryURL")) or None,
                    matched_by="trivy",
                )
            )
    return hits


def _as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and v)


def _trivy_layer(value: Any, diff_ids: Sequence[str]) -> LayerRef | None:
    layer = _as_map(value)
    diff_id, digest = _str(layer.get("DiffID")), _str(layer.get("Digest"))
    if not diff_id and not digest:
        return None
    index = diff_ids.index(diff_id) if diff_id in diff_ids else -1
    return LayerRef(index=index, digest=digest or diff_id, diff_id=diff_id)


def read_grype(path: Path) -> list[Hit]:
    doc = _load(path, "Grype report")
    if not isinstance(doc, Mapping) or not isinstance(doc.get("matches"), list):
        raise InputError(f"Grype report {path}: no matches list (is it `grype -o json`?)")
    distro = _as_map(doc.get("distro"))
    distro_base = _GRYPE_DISTRO.get(_str(distro.get("name")))
    distro_eco = _distro_ecosystem(distro_base, _str(distro.get("version")))
    hits: list[Hit] = []
    for match in doc["matches"]:
        if not isinstance(match, Mapping):
            raise InputError(f"Grype report {path}: matches items must be objects")
        vuln, artifact = _as_map(match.get("vulnerability")), _as_map(match.get("artifact"))
        ident = _str(vuln.get("id"))
        if not ident or not _str(artifact.get("name")):
            raise InputError(f"Grype report {path}: a match without vulnerability.id/artifact.name")
        atype = _str(artifact.get("type"))
        ecosystem = _GRYPE_LANG.get(atype) or distro_eco or atype
        related = tuple(
            _str(r.get("id"))
            for r in match.get("relatedVulnerabilities") or []
            if isinstance(r, Mapping) and _str(r.get("id"))
        )
        upstreams = [u for u in artifact.get("upstreams") or [] if isinstance(u, Mapping)]
        locations = [loc for loc in artifact.get("locations") or [] if isinstance(loc, Mapping)]
        path_in = _str(locations[0].get("path")) if locations else ""
        layer_id = _str(locations[0].get("layerID")) if locations else ""
        score, vector = _grype_cvss(vuln.get("cvss"))
        hits.append(
            Hit(
                package=PackageRef(
                    name=_str(artifact.get("name")),
                    version=_str(artifact.get("version")),
                    ecosystem=ecosystem,
                    purl=_str(artifact.get("purl")) or None,
                    source_name=_str(upstreams[0].get("name")) or None if upstreams else None,
                    source_version=_str(upstreams[0].get("version")) or None if upstreams else None,
                ),
                found_in=path_in or _str(_as_map(doc.get("source")).get("type")) or str(path),
                layer=LayerRef(index=-1, digest=layer_id, diff_id=layer_id) if layer_id else None,
                ids=(ident, *related),
                severity=_SEVERITY.get(_str(vuln.get("severity")).upper(), Severity.MEDIUM),
                severity_source="grype",
                source="grype",
                cvss_score=score,
                cvss_vector=vector,
                fixed=_strings(_as_map(vuln.get("fix")).get("versions")),
                summary=_str(vuln.get("description"))[:160],
                url=_str(vuln.get("dataSource")) or None,
                matched_by="grype",
            )
        )
    return hits


def _grype_cvss(value: Any) -> tuple[float | None, str | None]:
    best: tuple[float | None, str | None] = (None, None)
    if not isinstance(value, list):
        return best
    for entry in value:
        entry = _as_map(entry)
        score = _as_map(entry.get("metrics")).get("baseScore")
        version = _str(entry.get("version"))
        if isinstance(score, int | float) and not version.startswith("2"):
            current = (float(score), _str(entry.get("vector")) or None)
            if best[0] is None or current[0] > best[0]:
                best = current
    return best


__all__ = ["read_grype", "read_trivy"]
