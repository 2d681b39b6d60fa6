"""Blobs of an OCI image layout directory (image-spec ``image-layout.md``)."""

from __future__ import annotations

import os
import stat
from typing import IO

from gate.errors import ImageError, UnsafeImageError
from gate.sources.image.digest import split_digest
from gate.sources.image.layout_store import MAX_METADATA_BYTES

_BUFFER = 1024 * 1024


def _open_regular(path: str, what: str, root: str) -> IO[bytes]:
    """``path`` opened for reading if it is a regular file. A FIFO or device node in a layout
    (an unpacked artifact can hold a FIFO) would block the gate or stream without end; it is
    opened non-blocking and refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ImageError(f"{what} is missing from {root}") from None
    except OSError as exc:
        raise ImageError(f"cannot read {what} in {root}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafeImageError(f"{what} in {root} is not a regular file")
    os.set_blocking(fd, True)
    return open(fd, "rb", buffering=_BUFFER)


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
        return _open_regular(path, f"blob {digest}", self.root)

    def has_file(self, name: str) -> bool:
        return os.path.isfile(os.path.join(self.root, *name.split("/")))

    def read_file(self, name: str, max_size: int = MAX_METADATA_BYTES) -> bytes:
        path = self._inside(name, name)
        with _open_regular(path, name, self.root) as handle:
            try:
                data = handle.read(max_size + 1)
            except OSError as exc:
                raise ImageError(f"cannot read {name} in {self.root}: {exc.strerror}") from None
        if len(data) > max_size:
            raise ImageError(f"{name} in {self.root} is larger than {max_size} bytes")
        return data

    def __repr__(self) -> str:
        return f"DirStore({self.root!r})"
