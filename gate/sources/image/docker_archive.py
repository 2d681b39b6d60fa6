"""Images in a ``docker save`` archive.

Two layouts exist. Legacy (Docker < 25, skopeo, podman): ``manifest.json`` lists per image a
``Config`` file (``<hex>.json``), ``RepoTags`` and ``Layers`` (``<id>/layer.tar``, uncompressed
tars whose sha256 is the layer's diff_id). Docker 25+ writes an OCI image layout into the same
tar and points ``manifest.json`` at ``blobs/sha256/<hex>``; then the OCI manifest that names
the selected config is used, with its real media types and manifest digest.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from gate.errors import DigestMismatchError, ImageError
from gate.models import LayerRef
from gate.sources.image import media_types as mt
from gate.sources.image.blob_stream import detect_compression, read_blob_verified
from gate.sources.image.digest import digest_of, split_digest
from gate.sources.image.layout_store import MAX_METADATA_BYTES
from gate.sources.image.manifest import (
    build_image,
    descriptors,
    document_kind,
    layer_history,
    load_json,
    parse_config,
)
from gate.sources.image.model import Image, LayerBlob, Platform
from gate.sources.image.oci_layout import index_entries, is_oci_layout
from gate.sources.image.reference import RegistryReference, parse_registry_reference
from gate.sources.image.tar_store import TarStore
from gate.sources.json_file import parse_json

_BLOB_PATH = re.compile(r"blobs/(sha256|sha512)/([a-f0-9]+)")
_HEX_JSON = re.compile(r"([a-f0-9]{64})\.json")


def _entries(store: TarStore) -> list[dict[str, Any]]:
    what = f"manifest.json of {store.path}"
    if not store.has_file("manifest.json"):
        hint = "use oci-archive: for an OCI layout tar" if is_oci_layout(store) else None
        raise ImageError(f"{store.path} is not a docker-archive (no manifest.json)", hint=hint)
    doc = parse_json(store.read_file("manifest.json"), what, ImageError)
    if not isinstance(doc, list) or not doc or not all(isinstance(e, dict) for e in doc):
        raise ImageError(f"{what} must be a non-empty list of image objects")
    return doc


def _repo_tags(entry: dict[str, Any]) -> list[str]:
    tags = entry.get("RepoTags") or []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _select(
    entries: list[dict[str, Any]], store: TarStore, repo_tag: RegistryReference | None,
    index: int | None,
) -> dict[str, Any]:
    if index is not None:
        if index >= len(entries):
            raise ImageError(f"{store.path} holds {len(entries)} images, no image @{index}")
        return entries[index]
    if repo_tag is not None:
        wanted = str(repo_tag)
        for entry in entries:
            for tag in _repo_tags(entry):
                try:
                    if str(parse_registry_reference(tag)) == wanted:
                        return entry
                except ImageError:
                    continue
        known = ", ".join(t for e in entries for t in _repo_tags(e)) or "none"
        raise ImageError(f"{store.path} has no image tagged {wanted} (tags: {known})")
    if len(entries) > 1:
        known = ", ".join(t for e in entries for t in _repo_tags(e)) or "none"
        raise ImageError(f"{store.path} holds {len(entries)} images; pick one with :REPO:TAG or "
                         f":@N (tags: {known})")
    return entries[0]


def _path_digest(path: str) -> str | None:
    match = _BLOB_PATH.fullmatch(posixpath.normpath(path))
    return f"{match.group(1)}:{match.group(2)}" if match else None


def open_docker_archive(
    path: str,
    reference: str,
    *,
    repo_tag: RegistryReference | None = None,
    index: int | None = None,
    platform: str | None = None,
) -> Image:
    store = TarStore.index(path)
    entry = _select(_entries(store), store, repo_tag, index)
    config_path = entry.get("Config")
    layer_paths = entry.get("Layers")
    if not isinstance(config_path, str) or not isinstance(layer_paths, list) or not all(
        isinstance(p, str) for p in layer_paths
    ):
        raise ImageError(f"manifest.json of {path}: an image entry needs Config and Layers")
    config_bytes = store.read_file(config_path, MAX_METADATA_BYTES)
    config_digest = digest_of(config_bytes)
    named = _path_digest(config_path)
    hex_match = _HEX_JSON.fullmatch(posixpath.basename(config_path))
    if named is None and hex_match:
        named = f"sha256:{hex_match.group(1)}"
    if named is not None and named != config_digest:
        raise DigestMismatchError(f"config {config_path} of {reference}", named, config_digest)
    if is_oci_layout(store):
        image = _from_embedded_layout(store, config_digest, reference, platform)
        if image is not None:
            return image
    what = f"config {config_digest} of {reference}"
    config = parse_config(config_bytes, what)
    if len(config.diff_ids) != len(layer_paths):
        raise ImageError(f"manifest.json of {path} lists {len(layer_paths)} layers but the "
                         f"config has {len(config.diff_ids)} diff_ids")
    created_by = layer_history(config, len(layer_paths))
    layers = []
    for i, layer_path in enumerate(layer_paths):
        diff_id = config.diff_ids[i]
        digest = _path_digest(layer_path)
        if digest is None:
            # A legacy <id>/layer.tar has no digest of its own; it is the uncompressed tar,
            # so its digest is the diff_id (checked while it streams).
            digest = diff_id
            store.blob_paths[diff_id] = posixpath.normpath(layer_path)
        else:
            split_digest(digest, f"manifest.json of {path}")
        size = store.member_size(store.blob_paths.get(digest, _blob_member(digest)))
        if size is None:
            raise ImageError(f"layer {i} {layer_path} is missing from {path}")
        with store.open_blob(digest) as handle:
            compression = detect_compression(handle.read(4))
        ref = LayerRef(index=i, digest=digest, diff_id=diff_id, created_by=created_by[i])
        media = {"none": mt.DOCKER_LAYER_TAR}.get(compression.value, mt.DOCKER_LAYER_GZIP)
        if compression.value == "zstd":
            media = "application/vnd.docker.image.rootfs.diff.tar.zstd"
        layers.append(LayerBlob(ref=ref, media_type=media, size=size, compression=compression))
    return Image(
        reference=reference,
        manifest_digest=_synthetic_manifest_digest(config_digest, len(config_bytes), layers),
        config_digest=config_digest,
        platform=Platform(config.os, config.architecture, config.variant),
        config=config,
        layers=tuple(layers),
        store=store,
    )


def _blob_member(digest: str) -> str:
    algorithm, encoded = digest.split(":", 1)
    return f"blobs/{algorithm}/{encoded}"


def _from_embedded_layout(
    store: TarStore, config_digest: str, reference: str, platform: str | None
) -> Image | None:
    """The OCI manifest (Docker 25+ ``docker save``) whose config is ``config_digest``."""
    pending = list(index_entries(store))
    for _ in range(1000):
        if not pending:
            return None
        descriptor = pending.pop(0)
        if descriptor.media_type is not None and descriptor.media_type not in (
            mt.INDEX_TYPES | mt.MANIFEST_TYPES
        ):
            continue
        what = f"manifest {descriptor.digest} of {reference}"
        if not store.has_file(_blob_member(descriptor.digest)):
            # docker save of one platform leaves the other platforms' manifests out.
            continue
        data = read_blob_verified(store, descriptor.digest, MAX_METADATA_BYTES, what,
                                  expected_size=descriptor.size)
        doc = load_json(data, what)
        if document_kind(doc, descriptor.media_type, what) == "index":
            pending.extend(descriptors(doc, "manifests", what))
            continue
        config = doc.get("config")
        if isinstance(config, dict) and config.get("digest") == config_digest:
            return build_image(store, data, descriptor.media_type, reference, platform,
                               manifest_digest=descriptor.digest)
    return None


def _synthetic_manifest_digest(
    config_digest: str, config_size: int, layers: list[LayerBlob]
) -> str:
    """A legacy archive has no manifest; identify it by the Docker v2 schema 2 manifest that
    containers/image (skopeo) derives for it, so both tools show the same digest."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.DOCKER_MANIFEST,
        "config": {"mediaType": mt.DOCKER_CONFIG, "size": config_size, "digest": config_digest},
        "layers": [
            # containers/image labels every layer of a docker-archive as gzip, whatever
            # the file holds (docker/internal/tarfile/src.go).
            {"mediaType": mt.DOCKER_LAYER_GZIP, "size": layer.size, "digest": layer.ref.digest}
            for layer in layers
        ],
    }
    return digest_of(json.dumps(manifest, separators=(",", ":")).encode())
