"""OpenVEX (v0.2.0, https://github.com/openvex/spec) statements applied to findings.

A statement = vulnerability + products + status. Rules followed from the specification:

* ``vulnerability`` is an object (``name``, ``@id``, ``aliases``) in v0.2.0 and a plain string
  in v0.0.x; a finding is concerned when any of those ids is one of its ids or aliases.
* ``products[]`` (objects with ``@id`` and/or ``identifiers.purl``; strings in v0.0.x) name the
  software; ``subcomponents[]`` narrow a product to the components it ships. A product or
  subcomponent that is a package URL matches a package of the same type, namespace and name,
  and, when it gives a version, the same version. A product that is an OCI image
  (``pkg:oci/...@sha256:...``) matches the scanned image by digest; with no subcomponents it
  covers every package of the image.
* ``not_affected`` needs a ``justification`` or an ``impact_statement`` (spec: "Status"
  section); a statement with neither is invalid and refused, never silently applied.
* Statements are a timeline: for the same vulnerability and product the latest ``timestamp``
  (statement, else document) wins, so a later ``affected`` revokes an earlier
  ``not_affected``.

Only ``not_affected`` suppresses. The finding keeps the statement in its properties
(``vex_status``, ``vex_justification``, ``vex_impact_statement``, ``vex_document``) and policy
evaluation shows it as suppressed with that reason in every report. Other statuses are
recorded and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gate.errors import InputError
from gate.models import Finding, PropertyValue
from gate.sources.json_file import read_json

STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)


@dataclass(frozen=True)
class Product:
    ident: str
    """``@id`` or ``identifiers.purl`` (a purl, an image reference, or another IRI)."""
    subcomponents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Statement:
    vulnerabilities: frozenset[str]
    """Upper-cased ids: name, @id and aliases."""
    products: tuple[Product, ...]
    status: str
    justification: str | None
    impact_statement: str | None
    timestamp: dt.datetime
    document: str
    index: int


def _fail(path: Path, message: str) -> InputError:
    return InputError(f"VEX document {path}: {message}")


def _time(value: Any, fallback: dt.datetime) -> dt.datetime:
    if not isinstance(value, str):
        return fallback
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _product_id(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        identifiers = item.get("identifiers")
        if isinstance(identifiers, Mapping) and isinstance(identifiers.get("purl"), str):
            return str(identifiers["purl"])
        if isinstance(item.get("@id"), str):
            return str(item["@id"])
    return None


def load_vex(path: Path) -> list[Statement]:
    doc = read_json(path, f"VEX document {path}")
    if not isinstance(doc, Mapping) or not isinstance(doc.get("statements"), list):
        raise _fail(path, "no statements list (is it an OpenVEX document?)")
    context = doc.get("@context")
    if not (isinstance(context, str) and "openvex" in context):
        raise _fail(path, f"@context {context!r} is not OpenVEX")
    name = str(doc.get("@id") or path)
    doc_time = _time(
        doc.get("last_updated") or doc.get("timestamp"),
        dt.datetime.min.replace(tzinfo=dt.timezone.utc),
    )
    statements = []
    for index, item in enumerate(doc["statements"]):
        where = f"statements[{index}]"
        if not isinstance(item, Mapping):
            raise _fail(path, f"{where} must be an object")
        vuln = item.get("vulnerability")
        ids: set[str] = set()
        if isinstance(vuln, str):
            ids.add(vuln)
        elif isinstance(vuln, Mapping):
            for key in ("name", "@id"):
                if isinstance(vuln.get(key), str):
                    ids.add(vuln[key])
            ids.update(a for a in vuln.get("aliases") or [] if isinstance(a, str))
        if not ids:
            raise _fail(path, f"{where}.vulnerability: needs a name")
        status = item.get("status")
        if status not in STATUSES:
            raise _fail(path, f"{where}.status: {status!r} is not one of {', '.join(STATUSES)}")
        justification = item.get("justification")
        impact = item.get("impact_statement")
        if justification is not None and justification not in JUSTIFICATIONS:
            raise _fail(
                path, f"{where}.justification: {justification!r} is not an OpenVEX justification"
            )
        if (
            status == "not_affected"
            and not justification
            and not (isinstance(impact, str) and impact.strip())
        ):
            raise _fail(path, f"{where}: not_affected needs a justification or impact_statement")
        products = []
        for product in item.get("products") or []:
            ident = _product_id(product)
            if ident is None:
                raise _fail(path, f"{where}.products: a product needs @id or identifiers.purl")
            subs = product.get("subcomponents") if isinstance(product, Mapping) else None
            sub_ids = tuple(s for s in (_product_id(x) for x in subs or []) if s)
            products.append(Product(ident, sub_ids))
        if not products:
            raise _fail(path, f"{where}.products: at least one product is required")
        statements.append(
            Statement(
                vulnerabilities=frozenset(i.strip().upper() for i in ids),
                products=tuple(products),
                status=str(status),
                justification=str(justification) if justification else None,
                impact_statement=str(impact).strip() if isinstance(impact, str) else None,
                timestamp=_time(item.get("last_updated") or item.get("timestamp"), doc_time),
                document=name,
                index=index,
            )
        )
    return statements


# -- package URLs ---------------------------------------------------------------------------


def _purl(text: str) -> tuple[str, str, str, str | None] | None:
    """(type, namespace, name, version) of a purl, names normalized as the purl spec says."""
    if not text.startswith("pkg:"):
        return None
    from packageurl import PackageURL

    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    namespace, name = purl.namespace or "", purl.name
    if purl.type in ("pypi",):
        name = name.lower().replace("_", "-")
    if purl.type in ("npm", "pypi", "gem", "nuget", "composer", "deb", "apk", "golang"):
        namespace, name = namespace.lower(), name.lower()
    return purl.type, namespace, name, purl.version


def _purl_matches(wanted: str, package_purl: str | None) -> bool:
    if package_purl is None:
        return False
    a, b = _purl(wanted), _purl(package_purl)
    if a is None or b is None:
        return False
    if a[0] != b[0] or a[2] != b[2]:
        return False
    # Distro purls carry the vendor as namespace (pkg:deb/debian/...); an empty one matches any.
    if a[1] and b[1] and a[1] != b[1]:
        return False
    return a[3] is None or a[3] == b[3]


def _image_matches(product: str, image_digest: str | None, image_ref: str | None) -> bool:
    if product.startswith("pkg:oci/"):
        parsed = _purl(product)
        version = parsed[3] if parsed else None
        if version is None:
            return False
        return image_digest is not None and version == image_digest
    if image_ref and product == image_ref:
        return True
    return image_digest is not None and product.endswith("@" + image_digest)


def _applies(
    product: Product, finding: Finding, image_digest: str | None, image_ref: str | None
) -> bool:
    package_purl = None
    if finding.package is not None:
        from gate.matchers.ecosystems import package_purl as derived_purl

        package = finding.package
        package_purl = package.purl or derived_purl(
            package.ecosystem, package.name, package.version
        )
    if _image_matches(product.ident, image_digest, image_ref):
        if not product.subcomponents:
            return True
        return any(_purl_matches(s, package_purl) for s in product.subcomponents)
    if _purl_matches(product.ident, package_purl):
        return not product.subcomponents or any(
            _purl_matches(s, package_purl) for s in product.subcomponents
        )
    return False


def apply_vex(
    findings: Sequence[Finding],
    statements: Iterable[Statement],
    *,
    image_digest: str | None = None,
    image_ref: str | None = None,
) -> tuple[list[Finding], int]:
    """Findings with the latest applicable statement recorded; and how many are not_affected."""
    by_vuln: dict[str, list[Statement]] = {}
    for statement in statements:
        for ident in statement.vulnerabilities:
            by_vuln.setdefault(ident, []).append(statement)
    out: list[Finding] = []
    suppressed = 0
    for finding in findings:
        ids = {i.upper() for i in (finding.vulnerability_id or "", *finding.aliases) if i}
        candidates = {id(s): s for i in ids for s in by_vuln.get(i, ())}.values()
        applicable = [
            s
            for s in candidates
            if any(_applies(p, finding, image_digest, image_ref) for p in s.products)
        ]
        if not applicable:
            out.append(finding)
            continue
        latest = max(applicable, key=lambda s: (s.timestamp, s.index))
        properties: dict[str, PropertyValue] = dict(finding.properties)
        properties.update(
            vex_status=latest.status,
            vex_justification=latest.justification,
            vex_impact_statement=latest.impact_statement,
            vex_document=latest.document,
        )
        suppressed += latest.status == "not_affected"
        out.append(replace(finding, properties=properties))
    return out, suppressed


__all__ = ["JUSTIFICATIONS", "STATUSES", "Statement", "apply_vex", "load_vex"]
