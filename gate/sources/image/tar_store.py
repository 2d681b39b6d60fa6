"""Blobs served straight out of an uncompressed tar (oci-archive, docker-archive).

The outer tar is indexed once (member name -> data offset and size); a blob is then a window
of the archive file, read with plain seeks. Nothing is extracted to disk. The store keeps only
the path and the index, so it pickles into worker processes cheaply.
"""

from __future__ import annotations

import io
import os
import posixpath
import tarfile
from typing import IO

from gate.errors import ImageError, UnsafeImageError
from gate.sources.image.digest import split_digest
from gate.sources.image.layout_store import MAX_METADATA_BYTES

_BUFFER = 1024 * 1024
_BLOCK = 512
_MAX_LINK_DEPTH = 16


class _Window(io.RawIOBase):
    """Read-only view of ``size`` bytes at ``offset`` of a file."""

    def __init__(self, path: str, offset: int, size: int) -> None:
        super().__init__()
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        self._offset = offset
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self._size - self._pos)
        if count <= 0:
            return 0
        data = os.pread(self._file.fileno(), count, self._offset + self._pos)
        if not data:
            raise ImageError(f"unexpected end of archive {self._file.name!r}")
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


def _normalise(name: str) -> str:
    name = posixpath.normpath("/" + name).lstrip("/")
    return name


class TarStore:
    """An uncompressed tar holding an OCI layout and/or a ``docker save`` image."""

    def __init__(self, path: str, members: dict[str, tuple[int, int]]) -> None:
        self.path = path
        self.members = members
        """Normalised member name -> (data offset, size); links already resolved."""
        self.blob_paths: dict[str, str] = {}
        """Digest -> member name, for blobs not stored under ``blobs/<alg>/<hex>``
        (legacy ``docker save`` layers ``<id>/layer.tar``)."""

    @classmethod
    def index(cls, path: str) -> TarStore:
        """Read every header of the archive once."""
        path = os.path.abspath(path)
        try:
            with open(path, "rb") as handle:
                magic = handle.read(6)
                file_size = os.fstat(handle.fileno()).st_size
        except FileNotFoundError:
            raise ImageError(f"image archive {path} does not exist") from None
        except IsADirectoryError:
            raise ImageError(f"image archive {path} is a directory, expected a tar file") from None
        except OSError as exc:
            raise ImageError(f"cannot read image archive {path}: {exc.strerror}") from None
        if magic[:2] == b"\x1f\x8b" or magic[:4] == b"\x28\xb5\x2f\xfd":
            raise ImageError(
                f"image archive {path} is compressed; gate reads uncompressed tars",
                hint="decompress it first, e.g. gunzip or zstd -d",
            )
        files: dict[str, tuple[int, int]] = {}
        links: dict[str, tuple[str, bool]] = {}
        try:
            with tarfile.open(path, "r:") as archive:
                for member in archive:
                    name = _normalise(member.name)
                    if member.isfile():
                        if member.offset_data + member.size > file_size:
                            raise ImageError(f"image archive {path} is truncated at {member.name}")
                        files[name] = (member.offset_data, member.size)
                    elif member.issym():
                        links[name] = (member.linkname, True)
                    elif member.islnk():
                        links[name] = (member.linkname, False)
                end = archive.offset
        except tarfile.TarError as exc:
            raise ImageError(f"image archive {path} is not a readable tar: {exc}") from None
        except EOFError:
            raise ImageError(f"image archive {path} is truncated") from None
        _check_end(path, end)
        for name, (target, symbolic) in links.items():
            resolved = _resolve_link(name, target, symbolic, links)
            if resolved is not None and resolved in files:
                files[name] = files[resolved]
        return cls(path, files)

    def describe(self) -> str:
        return self.path

    def _open_member(self, name: str, what: str) -> IO[bytes]:
        entry = self.members.get(name)
        if entry is None:
            raise ImageError(f"{what} is missing from {self.path}")
        offset, size = entry
        try:
            return io.BufferedReader(_Window(self.path, offset, size), buffer_size=_BUFFER)
        except OSError as exc:
            raise ImageError(f"cannot read {what} in {self.path}: {exc.strerror}") from None

    def member_size(self, name: str) -> int | None:
        entry = self.members.get(_normalise(name))
        return None if entry is None else entry[1]

    def member_offset(self, name: str) -> int | None:
        entry = self.members.get(_normalise(name))
        return None if entry is None else entry[0]

    def open_blob(self, digest: str) -> IO[bytes]:
        name = self.blob_paths.get(digest)
        if name is None:
            algorithm, encoded = split_digest(digest, f"archive {self.path}")
            name = f"blobs/{algorithm}/{encoded}"
        return self._open_member(name, f"blob {digest}")

    def open_file(self, name: str) -> IO[bytes]:
        return self._open_member(_normalise(name), name)

    def has_file(self, name: str) -> bool:
        return _normalise(name) in self.members

    def read_file(self, name: str, max_size: int = MAX_METADATA_BYTES) -> bytes:
        key = _normalise(name)
        entry = self.members.get(key)
        if entry is None:
            raise ImageError(f"{name} is missing from {self.path}")
        if entry[1] > max_size:
            raise ImageError(f"{name} in {self.path} is larger than {max_size} bytes")
        with self._open_member(key, name) as handle:
            return handle.read()

    def __repr__(self) -> str:
        return f"TarStore({self.path!r})"


def _check_end(path: str, offset: int) -> None:
    """Python's tarfile ends an archive silently at a truncated or corrupt header, which would
    make the blobs after it look absent; Go's archive/tar (skopeo, Docker) reports it. After
    the last member there must be nothing, or an end-of-archive zero block."""
    with open(path, "rb") as handle:
        block = os.pread(handle.fileno(), _BLOCK, offset)
    if not block or block == bytes(_BLOCK):
        return
    if len(block) < _BLOCK:
        raise ImageError(f"image archive {path} is truncated (a partial tar header at offset "
                         f"{offset})")
    raise ImageError(f"image archive {path} is not a readable tar: corrupt tar header at offset "
                     f"{offset}")


def _resolve_link(
    name: str, target: str, symbolic: bool, links: dict[str, tuple[str, bool]]
) -> str | None:
    """Member name a (chain of) link(s) points to inside the archive, or None if it leaves it."""
    for _ in range(_MAX_LINK_DEPTH):
        if symbolic:
            if target.startswith("/"):
                return None
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        else:
            joined = posixpath.normpath(target)
        if joined.startswith("..") or joined.startswith("/"):
            raise UnsafeImageError(f"link {name} in image archive escapes the archive: {target}")
        name = joined
        if name not in links:
            return name
        target, symbolic = links[name]
    return None
