"""A small, real image writer for tests and examples.

Writes the formats gate reads, the way the real tools lay them out: an OCI image layout
directory (image-spec ``image-layout.md``), an ``oci-archive`` tar of one, a legacy
``docker save`` archive (``manifest.json`` + ``<id>/layer.tar``), the Docker 25+ ``docker save``
archive (an OCI layout plus ``manifest.json``), and multi-platform indexes with BuildKit-style
attestation manifests. Output is deterministic (fixed mtimes, sorted JSON is not used: field
order is fixed) so digests are reproducible across runs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

MTIME = 1704067200
"""2024-01-01T00:00:00Z: every tar entry gets it, so digests do not depend on the clock."""
CREATED = "2024-01-01T00:00:00Z"

Compression = Literal["none", "gzip", "zstd"]
TarFormat = Literal["pax", "gnu", "ustar"]
_TAR_FORMATS = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT}
_DEVICE_TYPES = {"char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}
ManifestFormat = Literal["oci", "docker"]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
_LAYER_TYPES: dict[tuple[ManifestFormat, Compression], str] = {
    ("oci", "none"): "application/vnd.oci.image.layer.v1.tar",
    ("oci", "gzip"): "application/vnd.oci.image.layer.v1.tar+gzip",
    ("oci", "zstd"): "application/vnd.oci.image.layer.v1.tar+zstd",
    ("docker", "none"): "application/vnd.docker.image.rootfs.diff.tar",
    ("docker", "gzip"): "application/vnd.docker.image.rootfs.diff.tar.gzip",
    ("docker", "zstd"): "application/vnd.docker.image.rootfs.diff.tar.zstd",
}


@dataclass(frozen=True)
class File:
    data: bytes
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class Dir:
    mode: int = 0o755
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class Symlink:
    target: str


@dataclass(frozen=True)
class Hardlink:
    target: str
    """Absolute image path of the linked file (written archive-relative)."""


@dataclass(frozen=True)
class Device:
    """A character or block device node, or a FIFO: header-only entries (layer.md "File
    Types") such as the ``/dev`` nodes of old base images."""

    kind: Literal["char", "block", "fifo"] = "char"
    major: int = 0
    minor: int = 0
    mode: int = 0o666


@dataclass(frozen=True)
class Whiteout:
    """Deletes the path from lower layers (written as ``.wh.NAME``)."""


@dataclass(frozen=True)
class Opaque:
    """Hides the lower contents of the directory at this path (``DIR/.wh..wh..opq``)."""


WHITEOUT = Whiteout()
OPAQUE = Opaque()

EntrySpec = bytes | File | Dir | Symlink | Hardlink | Device | Whiteout | Opaque
LayerSpec = Mapping[str, EntrySpec] | bytes
"""Image path -> entry, in archive order; or a ready-made (uncompressed) tar."""


@dataclass(frozen=True)
class History:
    created_by: str
    empty_layer: bool = False
    created: str = CREATED


@dataclass(frozen=True)
class ImageSpec:
    layers: Sequence[LayerSpec]
    config: Mapping[str, Any] = field(default_factory=dict)
    """Docker config keys: User, Env, Labels, Cmd, Entrypoint, ExposedPorts, Healthcheck, ..."""
    history: Sequence[History] | None = None
    """None: one ``layer N`` entry per layer."""
    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None
    created: str = CREATED


@dataclass(frozen=True)
class BuiltLayer:
    blob: bytes
    digest: str
    diff_id: str
    media_type: str
    tar: bytes


@dataclass(frozen=True)
class BuiltImage:
    manifest: bytes
    manifest_digest: str
    media_type: str
    config: bytes
    config_digest: str
    layers: tuple[BuiltLayer, ...]
    platform: str

    def blobs(self) -> dict[str, bytes]:
        out = {self.manifest_digest: self.manifest, self.config_digest: self.config}
        out.update({layer.digest: layer.blob for layer in self.layers})
        return out


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _info(name: str, kind: bytes, mode: int, uid: int = 0, gid: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = MTIME
    info.uname = info.gname = ""
    return info


def layer_tar(content: LayerSpec, tar_format: TarFormat = "pax") -> bytes:
    """The uncompressed tar of one layer: PAX as BuildKit writes it by default; ``gnu`` as GNU
    tar writes it (``././@LongLink`` entries for long names), ``ustar`` as old tools do."""
    if isinstance(content, bytes):
        return content
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=_TAR_FORMATS[tar_format]) as archive:
        for path, entry in content.items():
            name = path.strip("/")
            parent, _, base = name.rpartition("/")
            prefix = f"{parent}/" if parent else ""
            if isinstance(entry, bytes):
                entry = File(entry)
            if isinstance(entry, File):
                info = _info(name, tarfile.REGTYPE, entry.mode, entry.uid, entry.gid)
                info.size = len(entry.data)
                archive.addfile(info, io.BytesIO(entry.data))
            elif isinstance(entry, Dir):
                archive.addfile(_info(name + "/", tarfile.DIRTYPE, entry.mode, entry.uid,
                                      entry.gid))
            elif isinstance(entry, Symlink):
                info = _info(name, tarfile.SYMTYPE, 0o777)
                info.linkname = entry.target
                archive.addfile(info)
            elif isinstance(entry, Hardlink):
                info = _info(name, tarfile.LNKTYPE, 0o644)
                info.linkname = entry.target.strip("/")
                archive.addfile(info)
            elif isinstance(entry, Device):
                info = _info(name, _DEVICE_TYPES[entry.kind], entry.mode)
                info.devmajor, info.devminor = entry.major, entry.minor
                archive.addfile(info)
            elif isinstance(entry, Whiteout):
                archive.addfile(_info(f"{prefix}.wh.{base}", tarfile.REGTYPE, 0o644))
            else:
                archive.addfile(_info(f"{name}/.wh..wh..opq", tarfile.REGTYPE, 0o644))
    return out.getvalue()


def compress(data: bytes, compression: Compression) -> bytes:
    if compression == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=3).compress(data)
    return data


def config_json(spec: ImageSpec, diff_ids: Sequence[str]) -> bytes:
    history = spec.history
    if history is None:
        history = [History(f"layer {i}") for i in range(len(diff_ids))]
    doc: dict[str, Any] = {"created": spec.created, "architecture": spec.architecture,
                           "os": spec.os}
    if spec.variant:
        doc["variant"] = spec.variant
    doc["config"] = dict(spec.config)
    doc["rootfs"] = {"type": "layers", "diff_ids": list(diff_ids)}
    doc["history"] = [
        {"created": h.created, "created_by": h.created_by, **({"empty_layer": True}
                                                              if h.empty_layer else {})}
        for h in history
    ]
    return _json(doc)


def build(
    spec: ImageSpec, compression: Compression = "gzip", manifest_format: ManifestFormat = "oci"
) -> BuiltImage:
    """Layers, config and manifest blobs of one image."""
    layers = []
    for content in spec.layers:
        tar = layer_tar(content)
        blob = compress(tar, compression)
        layers.append(BuiltLayer(blob=blob, digest=sha256(blob), diff_id=sha256(tar),
                                 media_type=_LAYER_TYPES[(manifest_format, compression)], tar=tar))
    config = config_json(spec, [layer.diff_id for layer in layers])
    media_type = OCI_MANIFEST if manifest_format == "oci" else DOCKER_MANIFEST
    manifest = _json({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {"mediaType": OCI_CONFIG if manifest_format == "oci" else DOCKER_CONFIG,
                   "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": layer.media_type, "digest": layer.digest,
                    "size": len(layer.blob)} for layer in layers],
    })
    platform = f"{spec.os}/{spec.architecture}" + (f"/{spec.variant}" if spec.variant else "")
    return BuiltImage(manifest=manifest, manifest_digest=sha256(manifest), media_type=media_type,
                      config=config, config_digest=sha256(config), layers=tuple(layers),
                      platform=platform)


def edit_manifest(image: BuiltImage, edit: Callable[[dict[str, Any]], None]) -> BuiltImage:
    """``image`` with its manifest document changed by ``edit`` (media types, sizes, urls...),
    re-serialised and re-digested: a consistent image carrying the edit."""
    doc = json.loads(image.manifest)
    edit(doc)
    manifest = _json(doc)
    return replace(image, manifest=manifest, manifest_digest=sha256(manifest))


def edit_config(image: BuiltImage, edit: Callable[[dict[str, Any]], None]) -> BuiltImage:
    """``image`` with its config document changed by ``edit`` (diff_ids, history...) and the
    manifest's config descriptor updated to match."""
    doc = json.loads(image.config)
    edit(doc)
    config = _json(doc)

    def point_at(manifest: dict[str, Any]) -> None:
        manifest["config"].update(digest=sha256(config), size=len(config))

    return edit_manifest(replace(image, config=config, config_digest=sha256(config)), point_at)


def with_layer_blob(
    image: BuiltImage, index: int, blob: bytes, diff_id: str | None = None
) -> BuiltImage:
    """``image`` whose layer ``index`` is the hand-made ``blob`` (a multi-member gzip, a
    truncated stream, a bomb...), its descriptor and (if given) its diff_id updated."""
    layers = list(image.layers)
    old = layers[index]
    layers[index] = BuiltLayer(blob=blob, digest=sha256(blob), diff_id=diff_id or old.diff_id,
                               media_type=old.media_type, tar=old.tar)
    image = replace(image, layers=tuple(layers))
    if diff_id is not None:

        def set_diff_id(doc: dict[str, Any]) -> None:
            doc["rootfs"]["diff_ids"][index] = diff_id

        image = edit_config(image, set_diff_id)

    def set_descriptor(doc: dict[str, Any]) -> None:
        doc["layers"][index].update(digest=sha256(blob), size=len(blob))

    return edit_manifest(image, set_descriptor)


def index_of(
    entries: Sequence[tuple[Built, str | None]], manifest_format: ManifestFormat = "oci"
) -> BuiltIndex:
    """An index listing images or other indexes (an index of indexes), each with an optional
    ``os/arch[/variant]`` platform."""
    manifests: list[dict[str, Any]] = []
    images: dict[str, BuiltImage] = {}
    extra: dict[str, bytes] = {}
    for item, platform in entries:
        doc = _descriptor(item, None)
        if platform is not None:
            doc["platform"] = _platform_doc(platform)
        manifests.append(doc)
        if isinstance(item, BuiltImage):
            images[f"{item.platform}@{item.manifest_digest}"] = item
        else:
            extra.update(item.blobs())
    media_type = OCI_INDEX if manifest_format == "oci" else DOCKER_LIST
    index = _json({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests})
    return BuiltIndex(index=index, digest=sha256(index), media_type=media_type, images=images,
                      extra_blobs=extra)


def _platform_doc(platform: str) -> dict[str, str]:
    parts = platform.split("/")
    doc = {"architecture": parts[1], "os": parts[0]}
    if len(parts) > 2:
        doc["variant"] = parts[2]
    return doc


@dataclass(frozen=True)
class BuiltIndex:
    """A multi-platform index and its images (plus attestation blobs)."""

    index: bytes
    digest: str
    media_type: str
    images: Mapping[str, BuiltImage]
    extra_blobs: Mapping[str, bytes]

    def blobs(self) -> dict[str, bytes]:
        out = {self.digest: self.index, **self.extra_blobs}
        for image in self.images.values():
            out.update(image.blobs())
        return out


def build_index(
    specs: Mapping[str, ImageSpec],
    compression: Compression = "gzip",
    manifest_format: ManifestFormat = "oci",
    attestations: bool = True,
) -> BuiltIndex:
    """An image index with one image per ``os/arch[/variant]`` key (and, like BuildKit, an
    ``unknown/unknown`` attestation manifest per image)."""
    images: dict[str, BuiltImage] = {}
    entries: list[dict[str, Any]] = []
    extra: dict[str, bytes] = {}
    for platform, spec in specs.items():
        parts = platform.split("/")
        spec = ImageSpec(layers=spec.layers, config=spec.config, history=spec.history,
                         os=parts[0], architecture=parts[1],
                         variant=parts[2] if len(parts) > 2 else None, created=spec.created)
        image = build(spec, compression, manifest_format)
        images[platform] = image
        entries.append({"mediaType": image.media_type, "digest": image.manifest_digest,
                        "size": len(image.manifest), "platform": _platform_doc(platform)})
    if attestations:
        for image in list(images.values()):
            statement = _json({"_type": "https://in-toto.io/Statement/v0.1",
                               "subject": [{"digest": {"sha256": image.manifest_digest[7:]}}]})
            config = _json({"architecture": "unknown", "os": "unknown",
                            "rootfs": {"type": "layers", "diff_ids": [sha256(statement)]}})
            manifest = _json({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": sha256(config),
                           "size": len(config)},
                "layers": [{"mediaType": "application/vnd.in-toto+json",
                            "digest": sha256(statement), "size": len(statement)}],
            })
            extra.update({sha256(statement): statement, sha256(config): config,
                          sha256(manifest): manifest})
            entries.append({
                "mediaType": OCI_MANIFEST, "digest": sha256(manifest), "size": len(manifest),
                "annotations": {"vnd.docker.reference.digest": image.manifest_digest,
                                "vnd.docker.reference.type": "attestation-manifest"},
                "platform": {"architecture": "unknown", "os": "unknown"},
            })
    media_type = OCI_INDEX if manifest_format == "oci" else DOCKER_LIST
    index = _json({"schemaVersion": 2, "mediaType": media_type, "manifests": entries})
    return BuiltIndex(index=index, digest=sha256(index), media_type=media_type, images=images,
                      extra_blobs=extra)


Built = BuiltImage | BuiltIndex


def _descriptor(item: Built, tag: str | None, extra: Mapping[str, str] | None = None
                ) -> dict[str, Any]:
    data = item.manifest if isinstance(item, BuiltImage) else item.index
    digest = item.manifest_digest if isinstance(item, BuiltImage) else item.digest
    doc: dict[str, Any] = {"mediaType": item.media_type, "digest": digest, "size": len(data)}
    annotations = dict(extra or {})
    if tag is not None:
        annotations["org.opencontainers.image.ref.name"] = tag
    if annotations:
        doc["annotations"] = annotations
    return doc


def _layout_files(items: Mapping[str | None, Built]) -> dict[str, bytes]:
    """Files of an OCI image layout holding ``items`` (tag -> image or index)."""
    files: dict[str, bytes] = {"oci-layout": _json({"imageLayoutVersion": "1.0.0"})}
    blobs: dict[str, bytes] = {}
    manifests = []
    for tag, item in items.items():
        blobs.update(item.blobs())
        manifests.append(_descriptor(item, tag))
    files["index.json"] = _json({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                 "manifests": manifests})
    for digest, data in sorted(blobs.items()):
        algorithm, encoded = digest.split(":")
        files[f"blobs/{algorithm}/{encoded}"] = data
    return files


def _as_items(images: ImageSpec | Built | Mapping[str | None, ImageSpec | Built],
              tag: str | None, compression: Compression, manifest_format: ManifestFormat
              ) -> dict[str | None, Built]:
    if isinstance(images, ImageSpec | BuiltImage | BuiltIndex):
        images = {tag: images}
    return {
        key: build(value, compression, manifest_format) if isinstance(value, ImageSpec) else value
        for key, value in images.items()
    }


def write_oci_layout(
    path: str | os.PathLike[str],
    images: ImageSpec | Built | Mapping[str | None, ImageSpec | Built],
    *,
    tag: str | None = "latest",
    compression: Compression = "gzip",
    manifest_format: ManifestFormat = "oci",
) -> dict[str | None, Built]:
    """An OCI image layout directory; ``images`` is one image (tagged ``tag``) or tag -> image
    (a None tag writes an untagged index.json entry)."""
    items = _as_items(images, tag, compression, manifest_format)
    root = Path(path)
    for name, data in _layout_files(items).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return items


class _TarWriter:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._archive = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self._dirs: set[str] = set()

    def add(self, name: str, data: bytes) -> None:
        parent = name.rpartition("/")[0]
        if parent and parent not in self._dirs:
            self._dirs.add(parent)
            self._archive.addfile(_info(parent + "/", tarfile.DIRTYPE, 0o755))
        info = _info(name, tarfile.REGTYPE, 0o644)
        info.size = len(data)
        self._archive.addfile(info, io.BytesIO(data))

    def symlink(self, name: str, target: str) -> None:
        info = _info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self._archive.addfile(info)

    def close(self) -> None:
        self._archive.close()


def write_oci_archive(
    path: str | os.PathLike[str],
    images: ImageSpec | Built | Mapping[str | None, ImageSpec | Built],
    *,
    tag: str | None = "latest",
    compression: Compression = "gzip",
    manifest_format: ManifestFormat = "oci",
) -> dict[str | None, Built]:
    """An ``oci-archive`` (uncompressed tar of an OCI image layout, as skopeo writes it)."""
    items = _as_items(images, tag, compression, manifest_format)
    writer = _TarWriter(path)
    for name, data in _layout_files(items).items():
        writer.add(name, data)
    writer.close()
    return items


def write_docker_archive(
    path: str | os.PathLike[str],
    images: Sequence[tuple[ImageSpec | BuiltImage, Sequence[str]]],
    *,
    style: Literal["legacy", "oci"] = "legacy",
    compression: Compression = "none",
) -> list[BuiltImage]:
    """A ``docker save`` archive of ``(image, RepoTags)`` pairs.

    ``legacy``: ``<id>/layer.tar`` + ``<config hex>.json`` + ``repositories`` (Docker < 25,
    podman). ``oci``: Docker 25+, an OCI layout whose blobs ``manifest.json`` points at.
    Layers are uncompressed as ``docker save`` writes them, unless ``compression`` says else.
    """
    built = [
        (build(image, compression, "oci" if style == "oci" else "docker")
         if isinstance(image, ImageSpec) else image, list(tags))
        for image, tags in images
    ]
    writer = _TarWriter(path)
    manifest: list[dict[str, Any]] = []
    repositories: dict[str, dict[str, str]] = {}
    written: set[str] = set()
    if style == "oci":
        index_entries = []
        blobs: dict[str, bytes] = {}
        for image, tags in built:
            blobs.update(image.blobs())
            if not tags:
                index_entries.append(_descriptor(image, None))
            for tag in tags:
                extra = {"io.containerd.image.name": _full_name(tag)}
                index_entries.append(_descriptor(image, tag.rpartition(":")[2], extra))
            manifest.append({
                "Config": f"blobs/sha256/{image.config_digest[7:]}",
                "RepoTags": tags,
                "Layers": [f"blobs/sha256/{layer.digest[7:]}" for layer in image.layers],
            })
        writer.add("oci-layout", _json({"imageLayoutVersion": "1.0.0"}))
        writer.add("index.json", _json({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                        "manifests": index_entries}))
        for digest, data in sorted(blobs.items()):
            writer.add(f"blobs/sha256/{digest[7:]}", data)
    else:
        for image, tags in built:
            layer_paths = []
            parent = ""
            for layer in image.layers:
                layer_id = hashlib.sha256(f"{parent}\n{layer.diff_id}".encode()).hexdigest()
                if layer_id not in written:
                    written.add(layer_id)
                    writer.add(f"{layer_id}/VERSION", b"1.0")
                    v1 = {"id": layer_id, **({"parent": parent} if parent else {}),
                          "created": CREATED}
                    writer.add(f"{layer_id}/json", _json(v1))
                    writer.add(f"{layer_id}/layer.tar", layer.blob)
                layer_paths.append(f"{layer_id}/layer.tar")
                parent = layer_id
            config_name = f"{image.config_digest[7:]}.json"
            if config_name not in written:
                written.add(config_name)
                writer.add(config_name, image.config)
            manifest.append({"Config": config_name, "RepoTags": tags or None,
                             "Layers": layer_paths})
            for tag in tags:
                repo, _, name = tag.rpartition(":")
                repositories.setdefault(repo, {})[name] = parent
    writer.add("manifest.json", _json(manifest))
    if repositories:
        writer.add("repositories", _json(repositories))
    writer.close()
    return [image for image, _ in built]


def _full_name(tag: str) -> str:
    name = tag
    first = name.split("/", 1)[0]
    if "/" not in name or not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{'library/' if '/' not in name else ''}{name}"
    return name
