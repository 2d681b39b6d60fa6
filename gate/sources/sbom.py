"""An SBOM as the input of the vulnerability check: CycloneDX JSON 1.4 to 1.6 (and 1.7).

The document is validated against the CycloneDX JSON schema of its ``specVersion`` bundled
with cyclonedx-python-lib; any problem is an :class:`~gate.errors.InputError` naming the file.
Every component with a package URL becomes an installed package (nested components too): the
purl type gives the OSV ecosystem, distro packages take their release from the SBOM's
``operating-system`` component or the purl's ``distro`` qualifier. Source packages come from
gate's own properties, Trivy's ``aquasecurity:trivy:Src*`` properties or syft's ``upstream``
qualifier. Components without a purl cannot be matched: they are counted in a note.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gate.errors import InputError
from gate.models import InstalledPackage, Inventory, OSInfo, PackageRef, ScanNote
from gate.sources.json_file import read_json

SUPPORTED_SPEC_VERSIONS = ("1.4", "1.5", "1.6", "1.7")
NOTE_NO_PURL = "sbom-component-without-purl"
NOTE_UNKNOWN_TYPE = "sbom-purl-type-unknown"
_LANGUAGE_TYPES = {
    "pypi": "PyPI", "npm": "npm", "golang": "Go", "maven": "Maven", "gem": "RubyGems",
    "cargo": "crates.io", "composer": "Packagist", "nuget": "NuGet", "hex": "Hex",
    "pub": "Pub", "cran": "CRAN", "hackage": "Hackage", "conan": "ConanCenter",
    "swift": "SwiftURL", "github": "GitHub Actions",
}
_DISTRO_TYPES = {"deb": "deb", "apk": "apk", "alpine": "apk", "rpm": "rpm"}
"""purl types of distro packages (older syft wrote ``alpine`` for apk)."""


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """JSON Schema ``uniqueItems`` in linear time (canonical JSON as the key).

    jsonschema compares every pair of items (quadratic): 2,000 components took 5 s; a real
    image's SBOM has tens of thousands."""
    from jsonschema.exceptions import ValidationError

    if not unique or not isinstance(instance, list):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(item, sort_keys=True, separators=(",", ":"))
        if key in seen:
            yield ValidationError(f"non-unique array element {key[:80]}")
            return
        seen.add(key)


def _schema_validator(spec: str) -> Any:
    """Draft 7 validator of the CycloneDX schema cyclonedx-python-lib bundles for ``spec``
    (with the SPDX, JSF and cryptography schemas it references)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON, CRYPTOGRAPHY_DEFS, JSF, SPDX_JSON
    from jsonschema.validators import Draft7Validator, extend
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    prefix = "http://cyclonedx.org/schema/"
    resources = []
    for name, file in (("spdx", SPDX_JSON), ("jsf-0.82", JSF),
                       ("cryptography-defs", CRYPTOGRAPHY_DEFS)):
        with open(file, encoding="utf-8") as handle:
            resources.append((f"{prefix}{name}.SNAPSHOT.schema.json",
                              DRAFT7.create_resource(json.load(handle))))
    schema_file = BOM_JSON.get(SchemaVersion.from_version(spec))
    if schema_file is None:
        raise InputError(f"no bundled CycloneDX {spec} JSON schema to validate against")
    with open(schema_file, encoding="utf-8") as handle:
        schema = json.load(handle)
    fast = extend(Draft7Validator, {"uniqueItems": _unique_items})  # type: ignore[no-untyped-call]
    return fast(schema, registry=Registry().with_resources(resources),
                format_checker=Draft7Validator.FORMAT_CHECKER)


def _validate(path: Path, doc: Any, spec: str) -> None:
    error = next(iter(_schema_validator(spec).iter_errors(doc)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        detail = " ".join(str(error.message).split())[:200]
        raise InputError(f"SBOM {path} is not valid CycloneDX {spec}: {where}: {detail}")


def _components(items: Any) -> Iterator[Mapping[str, Any]]:
    for item in items or ():
        if isinstance(item, Mapping):
            yield item
            yield from _components(item.get("components"))


def _properties(component: Mapping[str, Any]) -> dict[str, str]:
    return {str(p.get("name")): str(p.get("value", "")) for p in component.get("properties", ())
            if isinstance(p, Mapping)}


def _licenses(component: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for choice in component.get("licenses", ()) or ():
        if not isinstance(choice, Mapping):
            continue
        if "expression" in choice:
            found.append(str(choice["expression"]))
        license_ = choice.get("license")
        if isinstance(license_, Mapping):
            value = license_.get("id") or license_.get("name")
            if value:
                found.append(str(value))
    return tuple(dict.fromkeys(found))


def _os_from(doc: Mapping[str, Any]) -> OSInfo | None:
    candidates = [doc.get("metadata", {}).get("component")] if isinstance(
        doc.get("metadata"), Mapping) else []
    candidates += list(_components(doc.get("components")))
    for component in candidates:
        if isinstance(component, Mapping) and component.get("type") == "operating-system":
            name = str(component.get("name", "")).lower()
            if name:
                return OSInfo(id=name, version_id=str(component.get("version", "") or ""),
                              pretty_name=str(component.get("description", "") or ""),
                              found_in="sbom")
    return None


def _os_from_distro(qualifier: str | None) -> OSInfo | None:
    if not qualifier:
        return None
    os_id, _, version = qualifier.partition("-")
    return OSInfo(id=os_id.lower(), version_id=version, found_in="sbom") if os_id else None


def _source(props: Mapping[str, str], purl: Any, version: str
            ) -> tuple[str | None, str | None]:
    from gate.analyzers.packages.rpm_header import evr, split_source_rpm

    if "gate:source_name" in props:
        return props["gate:source_name"], props.get("gate:source_version")
    if "aquasecurity:trivy:SrcName" in props:
        src_version = props.get("aquasecurity:trivy:SrcVersion", "")
        release = props.get("aquasecurity:trivy:SrcRelease", "")
        epoch = props.get("aquasecurity:trivy:SrcEpoch", "")
        combined = evr(int(epoch) if epoch.isdigit() else None, src_version, release)
        return props["aquasecurity:trivy:SrcName"], combined or version
    upstream = (purl.qualifiers or {}).get("upstream") if purl else None
    if upstream:
        split = split_source_rpm(upstream)
        if split:
            return split
        name, _, up_version = upstream.partition("@")
        return name, up_version or version
    return None, None


def read_sbom(path: Path) -> Inventory:
    """The inventory a CycloneDX JSON SBOM describes (``source`` is ``sbom:<path>``)."""
    from packageurl import PackageURL

    from gate.analyzers.packages.ecosystems import distro_ecosystem

    doc = read_json(path, f"SBOM {path}")
    if not isinstance(doc, Mapping) or doc.get("bomFormat") != "CycloneDX":
        raise InputError(f"SBOM {path} is not a CycloneDX JSON document (bomFormat)")
    spec = str(doc.get("specVersion", ""))
    if spec not in SUPPORTED_SPEC_VERSIONS:
        raise InputError(f"SBOM {path}: CycloneDX specVersion {spec or '(none)'} is not "
                         f"supported (supported: {', '.join(SUPPORTED_SPEC_VERSIONS)})")
    _validate(path, doc, spec)

    sbom_os = _os_from(doc)
    skipped: Counter[str] = Counter()
    packages: list[InstalledPackage] = []
    for component in _components(doc.get("components")):
        if component.get("type") == "operating-system":
            continue
        raw = component.get("purl")
        if not raw:
            skipped[NOTE_NO_PURL] += 1
            continue
        try:
            purl = PackageURL.from_string(str(raw))
        except ValueError:
            skipped[NOTE_NO_PURL] += 1
            continue
        props = _properties(component)
        version = str(component.get("version") or purl.version or "")
        qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
        rpm_epoch: str | None = None
        if purl.type in _DISTRO_TYPES:
            os_info = sbom_os or _os_from_distro(qualifiers.get("distro"))
            ecosystem = distro_ecosystem(os_info, _DISTRO_TYPES[purl.type])[0]
            epoch = qualifiers.get("epoch")
            if purl.type == "rpm" and epoch and epoch != "0":
                rpm_epoch = epoch
            if rpm_epoch and ":" not in version:
                version = f"{rpm_epoch}:{version}"
            name, kind = purl.name, "os"
        elif purl.type in _LANGUAGE_TYPES:
            ecosystem, kind = _LANGUAGE_TYPES[purl.type], "language"
            # A purl normalises some names (pypi lowercases); the component keeps the real one.
            name = str(component.get("name") or purl.name)
            if purl.namespace and purl.type in ("npm", "composer", "golang"):
                name = f"{purl.namespace}/{purl.name}"
            elif purl.namespace and purl.type == "maven":
                name = f"{purl.namespace}:{purl.name}"
            if purl.type in ("golang", "composer") and version[:1] in "vV" and \
                    version[1:2].isdigit():
                version = version[1:]
        else:
            skipped[NOTE_UNKNOWN_TYPE] += 1
            continue
        ecosystem = props.get("gate:ecosystem", ecosystem)
        source_name, source_version = _source(props, purl, version)
        if kind == "os" and rpm_epoch and source_version and ":" not in source_version:
            # A source rpm file name has no epoch; rpm builds share it with the binaries.
            source_version = f"{rpm_epoch}:{source_version}"
        if kind == "os" and source_name is None:
            source_name, source_version = name, version
        found_in = (props.get("gate:found_in") or props.get("syft:location:0:path")
                    or props.get("aquasecurity:trivy:FilePath") or f"sbom:{path}")
        packages.append(InstalledPackage(
            package=PackageRef(name=name, version=version, ecosystem=ecosystem, purl=str(raw),
                               source_name=source_name, source_version=source_version),
            found_in=found_in,
            layer=None,
            kind=kind,
            licenses=_licenses(component),
        ))
    details = {
        NOTE_NO_PURL: "SBOM components without a (valid) package URL: not matched",
        NOTE_UNKNOWN_TYPE: "SBOM components whose purl type has no OSV ecosystem: not matched",
    }
    notes = tuple(ScanNote(kind=k, count=n, detail=details[k]) for k, n in sorted(skipped.items()))
    return Inventory(source=f"sbom:{path}", os=sbom_os, packages=tuple(packages), notes=notes)
