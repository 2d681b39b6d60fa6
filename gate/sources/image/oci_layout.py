"""Images in an OCI image layout (image-spec ``image-layout.md``), as a directory or a tar.

``index.json`` lists the images; an entry is picked by its ``org.opencontainers.image.ref.name``
annotation (the tag of ``oci:DIR:TAG``), by digest, or - when the layout holds one image - on
its own. The entry may be a multi-platform index, resolved by :func:`build_image`.
"""

from __future__ import annotations

from gate.errors import ImageError
from gate.sources.image import media_types as mt
from gate.sources.image.blob_stream import read_blob_verified
from gate.sources.image.digest import split_digest
from gate.sources.image.layout_store import MAX_METADATA_BYTES, LayoutStore
from gate.sources.image.manifest import (
    Descriptor,
    build_image,
    descriptors,
    load_json,
    select_platform,
)
from gate.sources.image.model import Image

REF_NAME = "org.opencontainers.image.ref.name"


def is_oci_layout(store: LayoutStore) -> bool:
    return store.has_file("oci-layout") and store.has_file("index.json")


def check_layout(store: LayoutStore) -> None:
    """The ``oci-layout`` marker must exist and name a version gate reads (1.x)."""
    if not store.has_file("oci-layout"):
        raise ImageError(f"{store.describe()} is not an OCI image layout (no oci-layout file)")
    marker = load_json(store.read_file("oci-layout", 4096), f"oci-layout of {store.describe()}")
    version = marker.get("imageLayoutVersion")
    if not isinstance(version, str) or not version.startswith("1."):
        raise ImageError(f"oci-layout of {store.describe()} has unsupported imageLayoutVersion "
                         f"{version!r}")


def index_entries(store: LayoutStore) -> list[Descriptor]:
    what = f"index.json of {store.describe()}"
    return descriptors(load_json(store.read_file("index.json"), what), "manifests", what)


def _has_blob(store: LayoutStore, digest: str) -> bool:
    algorithm, encoded = split_digest(digest, f"layout {store.describe()}")
    return store.has_file(f"blobs/{algorithm}/{encoded}")


def tags(entries: list[Descriptor]) -> list[str]:
    return sorted({(d.annotations or {}).get(REF_NAME, "") for d in entries} - {""})


def open_layout_image(
    store: LayoutStore,
    reference: str,
    *,
    tag: str | None = None,
    digest: str | None = None,
    platform: str | None = None,
) -> Image:
    """The image of ``store`` named by ``tag`` or ``digest`` (or its only image)."""
    check_layout(store)
    entries = index_entries(store)
    where = store.describe()
    if digest is not None:
        chosen = [d for d in entries if d.digest == digest]
        if not chosen:
            # Any manifest blob of the layout may be named, not only index.json entries.
            if not _has_blob(store, digest):
                known = ", ".join(d.digest for d in entries) or "none"
                raise ImageError(f"digest {digest} not found in {where}: no index.json entry "
                                 f"or blob has it (index.json lists: {known})")
            data = read_blob_verified(store, digest, MAX_METADATA_BYTES,
                                      f"manifest {digest} of {reference}")
            return build_image(store, data, None, reference, platform, manifest_digest=digest)
    elif tag is not None:
        chosen = [d for d in entries if (d.annotations or {}).get(REF_NAME) == tag]
        if not chosen:
            known = ", ".join(tags(entries)) or "none"
            raise ImageError(f"tag {tag!r} not found in {where} (tags: {known})")
    else:
        chosen = [d for d in entries if not d.is_attestation]
        if not chosen:
            raise ImageError(f"{where} holds no image (index.json lists no manifests)")
        if len(chosen) > 1 and not all(d.platform for d in chosen):
            known = ", ".join(tags(entries)) or "none"
            raise ImageError(f"{where} holds {len(chosen)} images; pick one with :TAG "
                             f"(tags: {known})")
    descriptor = chosen[0]
    if len(chosen) > 1:
        # Several platform-specific manifests under one name: pick like an index does.
        descriptor = select_platform(chosen, platform, f"index.json of {where}")
    if descriptor.media_type is not None and descriptor.media_type not in (
        mt.INDEX_TYPES | mt.MANIFEST_TYPES
    ):
        raise ImageError(f"index.json of {where}: entry {descriptor.digest} has unknown media "
                         f"type {descriptor.media_type!r}")
    data = read_blob_verified(store, descriptor.digest, MAX_METADATA_BYTES,
                              f"manifest {descriptor.digest} of {reference}",
                              expected_size=descriptor.size)
    return build_image(store, data, descriptor.media_type, reference, platform,
                       manifest_digest=descriptor.digest)
