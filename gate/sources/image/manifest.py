"""Index, manifest and config documents -> :class:`~gate.sources.image.model.Image`.

Follows the OCI image spec (``image-index.md``, ``manifest.md``, ``config.md``) and the Docker
image manifest v2 schema 2 (manifest list and manifest), which has the same shape with other
media types. Every blob read on the way is verified against its digest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gate.errors import ImageError, PlatformNotFoundError
from gate.models import LayerRef
from gate.sources.image import media_types as mt
from gate.sources.image.blob_stream import read_blob_verified, size_mismatch
from gate.sources.image.digest import digest_of, split_digest
from gate.sources.image.layout_store import MAX_METADATA_BYTES
from gate.sources.image.model import (
    BlobStore,
    HistoryEntry,
    Image,
    ImageConfig,
    LayerBlob,
    Platform,
)
from gate.sources.image.platforms import host_platform, match_rank, matches, parse_platform
from gate.sources.json_file import json_object, parse_json

_MAX_NESTING = 4
"""Index -> index -> manifest chains deeper than this are refused (a loop, or hostile)."""

ManifestReader = Callable[[str, str | None, str], bytes]
"""``(digest, media type, what) -> verified bytes`` of a manifest or index an index names."""

_MAX_INDEXES = 64
"""Most nested indexes opened to resolve one image (a wide crafted DAG costs no more)."""


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor (image-spec ``descriptor.md``)."""

    media_type: str | None
    digest: str
    size: int
    platform: Platform | None = None
    annotations: Mapping[str, str] | None = None

    @property
    def is_attestation(self) -> bool:
        """BuildKit provenance/SBOM manifests are listed in indexes next to the images."""
        annotations = self.annotations or {}
        if annotations.get("vnd.docker.reference.type") == mt.ATTESTATION_REFERENCE_TYPE:
            return True
        return self.platform is not None and self.platform.os == "unknown" and (
            self.platform.architecture == "unknown"
        )


def load_json(data: bytes, what: str) -> dict[str, Any]:
    """A JSON object, or ImageError naming ``what``."""
    return json_object(parse_json(data, what, ImageError), what, ImageError)


def _str(value: Any, what: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise ImageError(f"{what} must be a string")
    return value


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        # Some old Docker configs store a shell-form Cmd as a plain string.
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ImageError(f"{what} must be a list of strings")
    return tuple(value)


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImageError(f"{what} must be an object")
    return value


def parse_descriptor(value: Any, what: str) -> Descriptor:
    if not isinstance(value, dict):
        raise ImageError(f"{what} is not a descriptor object")
    digest = _str(value.get("digest"), f"{what}.digest")
    split_digest(digest, what)
    size = value.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ImageError(f"{what}.size must be a non-negative integer")
    media = value.get("mediaType")
    if media is not None and not isinstance(media, str):
        raise ImageError(f"{what}.mediaType must be a string")
    platform = None
    raw_platform = value.get("platform")
    if raw_platform is not None:
        raw_platform = _mapping(raw_platform, f"{what}.platform")
        platform = Platform(
            os=_str(raw_platform.get("os"), f"{what}.platform.os"),
            architecture=_str(raw_platform.get("architecture"), f"{what}.platform.architecture"),
            variant=_str(raw_platform.get("variant"), f"{what}.platform.variant") or None,
        )
    annotations = _mapping(value.get("annotations"), f"{what}.annotations")
    strings = {str(k): str(v) for k, v in annotations.items()}
    return Descriptor(media, digest, size, platform, strings)


def descriptors(doc: Mapping[str, Any], key: str, what: str) -> list[Descriptor]:
    items = doc.get(key)
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ImageError(f"{what}.{key} must be a list")
    return [parse_descriptor(item, f"{what}.{key}[{i}]") for i, item in enumerate(items)]


def document_kind(doc: Mapping[str, Any], media_type: str | None, what: str) -> str:
    """``index`` or ``manifest``; ImageError naming an unknown media type."""
    declared = doc.get("mediaType")
    media = declared if isinstance(declared, str) and declared else media_type
    if media in mt.INDEX_TYPES:
        return "index"
    if media in mt.MANIFEST_TYPES:
        return "manifest"
    if media in mt.DOCKER_SCHEMA1 or doc.get("schemaVersion") == 1:
        raise ImageError(f"{what} is a Docker schema 1 manifest, which gate does not support",
                         hint="re-push the image with a current Docker or skopeo")
    if media is None:
        # mediaType is optional in image-spec 1.0 documents: tell them apart by shape.
        if "manifests" in doc:
            return "index"
        if "config" in doc and "layers" in doc:
            return "manifest"
        raise ImageError(f"{what} is neither an image index nor an image manifest")
    raise ImageError(f"{what} has unknown media type {media!r}")


def select_platform(
    candidates: Sequence[Descriptor], platform: str | None, what: str
) -> Descriptor:
    """The manifest of an index for ``platform`` (default: the host's): the best match by
    :func:`~gate.sources.image.platforms.match_rank`, the first listed among equals."""
    images = [d for d in candidates if not d.is_attestation]
    wanted = parse_platform(platform) if platform else host_platform()
    if platform is None and len(images) == 1 and images[0].platform is None:
        return images[0]
    ranked = [
        (rank, position, descriptor)
        for position, descriptor in enumerate(images)
        if descriptor.platform is not None
        and (rank := match_rank(descriptor.platform, wanted)) is not None
    ]
    if ranked:
        return min(ranked, key=lambda item: item[:2])[2]
    available = ", ".join(sorted({str(d.platform) for d in images if d.platform})) or "none"
    raise PlatformNotFoundError(
        f"{what} has no image for platform {wanted}; available: {available}",
        hint="choose one with --platform",
    )


def parse_config(data: bytes, what: str) -> ImageConfig:
    """The fields of an image config the checks use (image-spec ``config.md``)."""
    doc = load_json(data, what)
    cfg = _mapping(doc.get("config"), f"{what} config")
    labels = _mapping(cfg.get("Labels"), f"{what} config.Labels")
    healthcheck = cfg.get("Healthcheck")
    health: tuple[str, ...] | None = None
    if healthcheck is not None:
        health = _str_list(_mapping(healthcheck, f"{what} config.Healthcheck").get("Test"),
                           f"{what} config.Healthcheck.Test")
    history_items = doc.get("history") or []
    if not isinstance(history_items, list):
        raise ImageError(f"{what} history must be a list")
    history = []
    for i, item in enumerate(history_items):
        entry = _mapping(item, f"{what} history[{i}]")
        history.append(HistoryEntry(
            created_by=_str(entry.get("created_by"), f"{what} history[{i}].created_by"),
            created=_str(entry.get("created"), f"{what} history[{i}].created") or None,
            empty_layer=bool(entry.get("empty_layer", False)),
            comment=_str(entry.get("comment"), f"{what} history[{i}].comment") or None,
        ))
    rootfs = _mapping(doc.get("rootfs"), f"{what} rootfs")
    diff_ids = _str_list(rootfs.get("diff_ids"), f"{what} rootfs.diff_ids")
    for i, diff_id in enumerate(diff_ids):
        split_digest(diff_id, f"{what} rootfs.diff_ids[{i}]")
    return ImageConfig(
        user=_str(cfg.get("User"), f"{what} config.User"),
        env=_str_list(cfg.get("Env"), f"{what} config.Env"),
        labels={str(k): _str(v, f"{what} config.Labels.{k}") for k, v in labels.items()},
        cmd=_str_list(cfg.get("Cmd"), f"{what} config.Cmd"),
        entrypoint=_str_list(cfg.get("Entrypoint"), f"{what} config.Entrypoint"),
        exposed_ports=tuple(_mapping(cfg.get("ExposedPorts"), f"{what} config.ExposedPorts")),
        working_dir=_str(cfg.get("WorkingDir"), f"{what} config.WorkingDir"),
        created=_str(doc.get("created"), f"{what} created") or None,
        os=_str(doc.get("os"), f"{what} os"),
        architecture=_str(doc.get("architecture"), f"{what} architecture"),
        variant=_str(doc.get("variant"), f"{what} variant") or None,
        history=tuple(history),
        diff_ids=diff_ids,
        healthcheck=health,
    )


def layer_history(config: ImageConfig, layer_count: int) -> list[str | None]:
    """``created_by`` per layer: the non-empty history entries, when they line up."""
    producing = [entry for entry in config.history if not entry.empty_layer]
    if len(producing) != layer_count:
        return [None] * layer_count
    return [entry.created_by or None for entry in producing]


def make_layers(
    descriptors_: Sequence[Descriptor], config: ImageConfig, what: str
) -> tuple[LayerBlob, ...]:
    if len(config.diff_ids) != len(descriptors_):
        raise ImageError(
            f"{what} lists {len(descriptors_)} layers but its config has "
            f"{len(config.diff_ids)} diff_ids"
        )
    created_by = layer_history(config, len(descriptors_))
    layers = []
    for i, descriptor in enumerate(descriptors_):
        media = descriptor.media_type or ""
        compression = mt.LAYER_TYPES.get(media)
        if compression is None:
            raise ImageError(
                f"{what}: layer {i} {descriptor.digest} has unknown media type {media!r}"
            )
        ref = LayerRef(index=i, digest=descriptor.digest, diff_id=config.diff_ids[i],
                       created_by=created_by[i])
        layers.append(LayerBlob(ref=ref, media_type=media, size=descriptor.size,
                                compression=compression))
    return tuple(layers)


def build_image(
    store: BlobStore,
    manifest_bytes: bytes,
    media_type: str | None,
    reference: str,
    platform: str | None,
    *,
    manifest_digest: str | None = None,
    read_manifest: ManifestReader | None = None,
) -> Image:
    """Resolve index -> manifest -> config through ``store`` into an :class:`Image`.

    ``manifest_bytes`` is an index or a manifest (as fetched by tag or read from a layout);
    ``media_type`` its declared type (None: from the document). ``platform`` selects from an
    index (``linux/arm64/v8``; None: the host's). Every blob read is digest-verified.
    ``read_manifest`` fetches the manifests and indexes an index points at when they are not
    blobs of ``store`` (a registry serves them from ``/manifests/<digest>``, not ``/blobs/``).
    """
    digest = manifest_digest or digest_of(manifest_bytes)
    what = f"manifest {digest} of {reference}"
    doc = load_json(manifest_bytes, what)
    if document_kind(doc, media_type, what) == "manifest":
        return _image_from_manifest(store, doc, digest, reference, platform, None)
    wanted = parse_platform(platform) if platform else host_platform()
    reader = _Reader(store, read_manifest)
    candidates = _index_manifests(reader, doc, what, reference, wanted, [0])
    chosen = select_platform(candidates, platform, what)
    what = f"manifest {chosen.digest} of {reference}"
    doc = load_json(reader.read(chosen, what), what)
    if document_kind(doc, chosen.media_type, what) != "manifest":
        raise ImageError(f"{what} is listed as an image manifest but is an index")
    image = _image_from_manifest(store, doc, chosen.digest, reference, platform, chosen.platform)
    # What the tag names (the top index) is what `cosign sign TAG` signs.
    return replace(image, index_digest=digest)


class _Reader:
    """The manifests and indexes an index names: blobs of the store (layouts, archives), or
    what ``read_manifest`` fetches (a registry serves them from ``/manifests/<digest>``).
    Either way verified, and of the size the descriptor says."""

    def __init__(self, store: BlobStore, read_manifest: ManifestReader | None) -> None:
        self._store = store
        self._read_manifest = read_manifest

    def read(self, descriptor: Descriptor, what: str) -> bytes:
        if self._read_manifest is None:
            return read_blob_verified(self._store, descriptor.digest, MAX_METADATA_BYTES, what,
                                      expected_size=descriptor.size)
        data = self._read_manifest(descriptor.digest, descriptor.media_type, what)
        if len(data) != descriptor.size:
            raise size_mismatch(what, descriptor.size, len(data))
        return data


def _index_manifests(
    reader: _Reader,
    doc: Mapping[str, Any],
    what: str,
    reference: str,
    wanted: Platform,
    read: list[int],
    depth: int = 1,
    inherited: Platform | None = None,
) -> list[Descriptor]:
    """The image manifests an index offers, nested indexes expanded (image-index.md: an entry
    may itself be an index). An entry whose platform cannot serve ``wanted`` is not opened;
    entries of other media types (artifacts, signatures) are not images and are left out.
    ``read`` counts the nested indexes opened, which :data:`_MAX_INDEXES` caps."""
    found: list[Descriptor] = []
    for descriptor in descriptors(doc, "manifests", what):
        if descriptor.is_attestation:
            continue
        if descriptor.platform is None and inherited is not None:
            descriptor = replace(descriptor, platform=inherited)
        if descriptor.media_type in mt.INDEX_TYPES:
            if descriptor.platform is not None and not matches(descriptor.platform, wanted):
                continue
            if depth >= _MAX_NESTING:
                raise ImageError(f"{what}: indexes nested more than {_MAX_NESTING} deep")
            read[0] += 1
            if read[0] > _MAX_INDEXES:
                raise ImageError(f"{what}: more than {_MAX_INDEXES} nested indexes")
            inner_what = f"index {descriptor.digest} of {reference}"
            inner = load_json(reader.read(descriptor, inner_what), inner_what)
            if document_kind(inner, descriptor.media_type, inner_what) != "index":
                raise ImageError(f"{inner_what} is listed as an index but is an image manifest")
            found += _index_manifests(reader, inner, inner_what, reference, wanted, read,
                                      depth + 1, descriptor.platform)
        elif descriptor.media_type is None or descriptor.media_type in mt.MANIFEST_TYPES:
            found.append(descriptor)
    return found


def _image_from_manifest(
    store: BlobStore,
    doc: Mapping[str, Any],
    digest: str,
    reference: str,
    platform: str | None,
    index_platform: Platform | None,
) -> Image:
    what = f"manifest {digest} of {reference}"
    config_descriptor = parse_descriptor(doc.get("config"), f"{what} config")
    if config_descriptor.media_type not in mt.CONFIG_TYPES:
        raise ImageError(
            f"{what} is not a container image: config media type "
            f"{config_descriptor.media_type!r}"
        )
    config_what = f"config {config_descriptor.digest} of {reference}"
    config_bytes = read_blob_verified(store, config_descriptor.digest, MAX_METADATA_BYTES,
                                      config_what, expected_size=config_descriptor.size)
    config = parse_config(config_bytes, config_what)
    layers = make_layers(descriptors(doc, "layers", what), config, what)
    image_platform = Platform(
        os=config.os or (index_platform.os if index_platform else ""),
        architecture=config.architecture or (index_platform.architecture if index_platform else ""),
        variant=config.variant or (index_platform.variant if index_platform else None),
    )
    if platform is not None and index_platform is None:
        # A single-platform image asked for explicitly must be that platform: scanning
        # another one silently would answer a question nobody asked.
        wanted = parse_platform(platform)
        if image_platform.os and not matches(image_platform, wanted):
            raise PlatformNotFoundError(
                f"{reference} is a single-platform image for {image_platform}, not {wanted}"
            )
    return Image(
        reference=reference,
        manifest_digest=digest,
        config_digest=config_descriptor.digest,
        platform=image_platform,
        config=config,
        layers=layers,
        store=store,
    )
