"""Blobs of an OCI image layout directory (image-spec ``image-layout.md``)."""

from __future__ import annotations

import os
from typing import IO

from gate.errors import ImageError, UnsafeImageError
from gate.sources.image.digest import split_digest
from gate.sources.image.layout_store import MAX_METADATA_BYTES

_BUFFER = 1024 * 1024


class DirStore:
    """An OCI layout directory. Holds only its path, so it pickles into worker processes."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def describe(self) -> str:
        return self.root

    def _inside(self, relative: str, what: str) -> str:
        # A blob or index file may be a symlink; it must still resolve inside the layout,
        # otherwise a crafted layout reads arbitrary host files.
        path = os.path.join(self.root, *relative.split("/"))
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        if real != real_root and not real.startswith(real_root + os.sep):
            raise UnsafeImageError(f"{what} in {self.root} resolves outside the layout: {relative}")
        return real

    def open_blob(self, digest: str) -> IO[bytes]:
        algorithm, encoded = split_digest(digest, f"layout {self.root}")
        path = self._inside(f"blobs/{algorithm}/{encoded}", f"blob {digest}")
        try:
            return open(path, "rb", buffering=_BUFFER)
        except FileNotFoundError:
            raise ImageError(f"blob {digest} is missing from {self.root}") from None
        except OSError as exc:
            raise ImageError(f"cannot read blob {digest} in {self.root}: {exc.strerror}") from None

    def has_file(self, name: str) -> bool:
        return os.path.isfile(os.path.join(self.root, *name.split("/")))

    def read_file(self, name: str, max_size: int = MAX_METADATA_BYTES) -> bytes:
        path = self._inside(name, name)
        try:
            with open(path, "rb") as handle:
                data = handle.read(max_size + 1)
        except FileNotFoundError:
            raise ImageError(f"{name} is missing from {self.root}") from None
        except OSError as exc:
            raise ImageError(f"cannot read {name} in {self.root}: {exc.strerror}") from None
        if len(data) > max_size:
            raise ImageError(f"{name} in {self.root} is larger than {max_size} bytes")
        return data

    def __repr__(self) -> str:
        return f"DirStore({self.root!r})"
