"""``gate sbom``: an inventory as a CycloneDX 1.6 JSON SBOM (cyclonedx-python-lib).

One ``library`` component per installed package with its purl and licences; where it was
found as properties (CycloneDX property taxonomy: a tool namespace, here ``gate:``):
``gate:found_in``, ``gate:layer_index``, ``gate:layer_digest``, ``gate:layer_diff_id``,
``gate:ecosystem``, ``gate:kind``, ``gate:source_name``/``gate:source_version``. The OS is an
``operating-system`` component; the image is ``metadata.component`` (type ``container``).
:func:`gate.sources.sbom.read_sbom` reads these back (and other tools' SBOMs).
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Any

from gate import __version__
from gate.models import ImageSummary, InstalledPackage, Inventory

PROPERTY_PREFIX = "gate:"


def _bom_ref(item: InstalledPackage) -> str:
    key = "\n".join((item.package.purl or item.package.name, item.package.version,
                     item.found_in))
    return "pkg-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _properties(item: InstalledPackage) -> list[tuple[str, str]]:
    props = [("found_in", item.found_in), ("ecosystem", item.package.ecosystem),
             ("kind", item.kind)]
    if item.layer is not None:
        props += [("layer_index", str(item.layer.index)), ("layer_digest", item.layer.digest),
                  ("layer_diff_id", item.layer.diff_id)]
    if item.package.source_name:
        props.append(("source_name", item.package.source_name))
    if item.package.source_version:
        props.append(("source_version", item.package.source_version))
    return [(PROPERTY_PREFIX + key, value) for key, value in props]


def render_sbom(inventory: Inventory, image: ImageSummary | None = None) -> str:
    """The CycloneDX 1.6 JSON document of ``inventory`` (``image`` names the container)."""
    try:
        from cyclonedx.contrib.license.factories import LicenseFactory
    except ImportError:  # cyclonedx-python-lib < 11.6 keeps it in its old place
        from cyclonedx.factory.license import LicenseFactory  # type: ignore[no-redef,unused-ignore]
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.dependency import Dependency
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    licenses = LicenseFactory()
    root = Component(
        type=ComponentType.CONTAINER,
        name=image.reference if image else inventory.source,
        version=image.manifest_digest if image else None,
        bom_ref="image",
        properties=[Property(name=PROPERTY_PREFIX + "platform", value=image.platform)]
        if image else None,
    )
    tool = Component(type=ComponentType.APPLICATION, name="gate", version=__version__)
    metadata: Any = BomMetaData(component=root)
    metadata.tools.components.add(tool)
    components: list[Any] = []
    if inventory.os is not None:
        components.append(Component(
            type=ComponentType.OPERATING_SYSTEM,
            name=inventory.os.id,
            version=inventory.os.version_id or None,
            description=inventory.os.pretty_name or None,
            bom_ref="os",
            properties=[Property(name=PROPERTY_PREFIX + "found_in",
                                 value=inventory.os.found_in)],
        ))
    for item in inventory.packages:
        purl = None
        if item.package.purl:
            try:
                purl = PackageURL.from_string(item.package.purl)
            except ValueError:
                purl = None
        components.append(Component(
            type=ComponentType.LIBRARY,
            name=item.package.name,
            version=item.package.version,
            purl=purl,
            bom_ref=_bom_ref(item),
            licenses=[licenses.make_from_string(text) for text in item.licenses],
            properties=[Property(name=k, value=v) for k, v in _properties(item)],
        ))
    bom = Bom(components=components, metadata=metadata)
    bom.dependencies.add(Dependency(ref=root.bom_ref,
                                    dependencies=[Dependency(ref=c.bom_ref) for c in components]))
    with warnings.catch_warnings():
        # The library warns about optional graph details; the document is validated in tests.
        warnings.simplefilter("ignore")
        text: str = JsonV1Dot6(bom).output_as_string(indent=2)
    return text + "\n"
