"""The store interface the archive readers share: blobs by digest plus a few named files.

An OCI image layout (image-spec ``image-layout.md``) is a directory or a tar of one with
``oci-layout``, ``index.json`` and ``blobs/<alg>/<encoded>``; a ``docker save`` archive adds
``manifest.json`` and (legacy) ``<id>/layer.tar`` files. Both the directory and the tar stores
serve those names, so the layout logic is written once.
"""

from __future__ import annotations

from typing import IO, Protocol

MAX_METADATA_BYTES = 8 * 1024 * 1024
"""Cap for JSON documents (index, manifest, config): a bigger one is refused, not parsed."""


class LayoutStore(Protocol):
    """A :class:`~gate.sources.image.model.BlobStore` that also serves named files."""

    def open_blob(self, digest: str) -> IO[bytes]:
        ...

    def describe(self) -> str:
        ...

    def has_file(self, name: str) -> bool:
        """Whether ``name`` (relative, ``/``-separated) exists."""
        ...

    def read_file(self, name: str, max_size: int = MAX_METADATA_BYTES) -> bytes:
        """The content of ``name``; ImageError if absent or larger than ``max_size``."""
        ...
