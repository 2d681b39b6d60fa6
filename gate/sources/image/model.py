"""The one image model every image source produces (OCI layout, archives, registries).

Follows the OCI image spec: a manifest names a config blob and an ordered list of layer blobs;
the config carries ``rootfs.diff_ids`` (digests of the uncompressed layers) and ``history``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO, NamedTuple, Protocol

from gate.models import ImageSummary, LayerRef


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True)
class HistoryEntry:
    created_by: str
    created: str | None = None
    empty_layer: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class ImageConfig:
    """The parts of the OCI image config the checks use (image-spec ``config.md``)."""

    user: str = ""
    env: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    cmd: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    exposed_ports: tuple[str, ...] = ()
    working_dir: str = ""
    created: str | None = None
    os: str = ""
    architecture: str = ""
    variant: str | None = None
    history: tuple[HistoryEntry, ...] = ()
    diff_ids: tuple[str, ...] = ()
    healthcheck: tuple[str, ...] | None = None


class LayerCompression(str, enum.Enum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"


@dataclass(frozen=True)
class LayerBlob:
    """A layer as stored: where to find it and how it is compressed."""

    ref: LayerRef
    media_type: str
    size: int
    compression: LayerCompression


class BlobStore(Protocol):
    """Opens blobs by digest. Must be picklable so worker processes can open layers."""

    def open_blob(self, digest: str) -> IO[bytes]:
        """Raw (still compressed) bytes of the blob. Raises ImageError if it is absent."""
        ...

    def describe(self) -> str:
        """Human name of the store for error messages (the file or directory)."""
        ...


class EntryType(str, enum.Enum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    OTHER = "other"
    """Devices, fifos: recorded, never read."""


class EntryMeta(NamedTuple):
    """Metadata of one tar entry of a layer, path normalised to ``/abs/path`` form.

    A named tuple, not a dataclass: an image has tens of thousands of entries and a warm re-scan
    rebuilds all of them from the layer cache, so construction cost matters (5x cheaper)."""

    path: str
    type: EntryType
    mode: int
    size: int
    uid: int = 0
    gid: int = 0
    link_target: str | None = None
    whiteout: bool = False
    """An OCI whiteout: ``path`` is the deleted path (``.wh.`` prefix removed)."""
    opaque: bool = False
    """An opaque-directory marker: ``path`` is the directory whose lower contents are hidden."""


class LayerEntry(Protocol):
    """One entry while a layer streams. ``read`` is valid only until the next entry."""

    meta: EntryMeta

    def read(self, limit: int | None = None) -> bytes:
        """Content of a regular file (at most ``limit`` bytes); b"" for others."""
        ...


@dataclass(frozen=True)
class Image:
    """An opened image: resolved manifest, parsed config, layers in order."""

    reference: str
    """What the user gave (``oci:dir:tag``), for messages and reports."""
    manifest_digest: str
    config_digest: str
    platform: Platform
    config: ImageConfig
    layers: tuple[LayerBlob, ...]
    store: BlobStore
    index_digest: str | None = None
    """Digest of the image index (multi-platform list) ``manifest_digest`` was picked from,
    when the reference named an index: what a tag points at, and what ``cosign sign TAG``
    signs. None for a single-platform image."""

    def summary(self) -> ImageSummary:
        return ImageSummary(
            reference=self.reference,
            manifest_digest=self.manifest_digest,
            config_digest=self.config_digest,
            platform=str(self.platform),
            layers=tuple(layer.ref for layer in self.layers),
            created=self.config.created,
        )


LayerReader = AbstractContextManager[Iterator[LayerEntry]]
