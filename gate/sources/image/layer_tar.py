"""Entries of one layer tar, normalised and checked for hostile content.

Paths become ``/abs/path``. OCI whiteouts (image-spec ``layer.md`` "Whiteouts") are decoded:
``.wh.NAME`` deletes ``NAME`` and ``.wh..wh..opq`` hides the lower contents of its directory.
A layer that tries to leave the root (absolute or ``..`` member names, hard links out of
the tree, relative symlinks that resolve above ``/``) or that is a tar bomb raises
:class:`~gate.errors.UnsafeImageError` naming the layer and the path.
"""

from __future__ import annotations

import posixpath
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, cast

from gate.errors import ImageError, UnsafeImageError
from gate.sources.image.model import EntryMeta, EntryType

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
_AUFS_META_PREFIX = ".wh..wh."
"""image-spec layer.md: other ``.wh..wh.`` names are reserved (aufs hard-link metadata)."""


@dataclass(frozen=True)
class LayerLimits:
    """Tar-bomb limits for one layer."""

    max_entries: int = 1_000_000
    """Most tar entries in one layer."""
    max_total_bytes: int = 64 * 1024**3
    """Most bytes of file content (sum of entry sizes) in one layer."""
    max_entry_bytes: int = 16 * 1024**3
    """Largest single entry."""


class TarSource(Protocol):
    """What the walk needs from a layer stream (a file object that seeks forward)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


class _Entry:
    """One entry while the layer streams; ``read`` is valid until the next entry."""

    __slots__ = ("_archive", "_consumed", "_info", "_source", "meta")

    def __init__(
        self, meta: EntryMeta, info: tarfile.TarInfo, archive: tarfile.TarFile, source: TarSource
    ) -> None:
        self.meta = meta
        self._info = info
        self._archive = archive
        self._source = source
        self._consumed = 0

    def read(self, limit: int | None = None) -> bytes:
        if self.meta.type != EntryType.FILE or self.meta.whiteout or self.meta.opaque:
            return b""
        remaining = self._info.size - self._consumed
        count = remaining if limit is None else max(0, min(limit, remaining))
        if count == 0:
            return b""
        if self._info.issparse():
            handle = self._archive.extractfile(self._info)
            if handle is None:
                return b""
            with handle:
                handle.seek(self._consumed)
                data = handle.read(count)
        else:
            self._source.seek(self._info.offset_data + self._consumed)
            data = self._source.read(count)
        if len(data) < count:
            raise ImageError(f"truncated tar entry {self.meta.path}")
        self._consumed += len(data)
        return data


def _clean(name: str, what: str, kind: str = "member") -> str:
    """``/abs`` form of a member name; refuses absolute names and ``..`` components."""
    if name.startswith("/"):
        raise UnsafeImageError(f"{what}: absolute {kind} path {name!r}")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeImageError(f"{what}: {kind} path {name!r} contains '..'")
    return "/" + "/".join(parts)


def _check_symlink(path: str, target: str, what: str) -> None:
    # Absolute targets are resolved against the image root by every runtime, so they
    # cannot leave it; a relative one is resolved from the link's directory and must
    # not climb above "/" (what a naive extractor would follow out of the rootfs).
    if target.startswith("/"):
        return
    depth = len([part for part in posixpath.dirname(path).split("/") if part])
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                raise UnsafeImageError(f"{what}: symlink {path} escapes the root: -> {target}")
        elif part not in ("", "."):
            depth += 1


_TYPES = {
    tarfile.REGTYPE: EntryType.FILE,
    tarfile.AREGTYPE: EntryType.FILE,
    tarfile.CONTTYPE: EntryType.FILE,
    tarfile.GNUTYPE_SPARSE: EntryType.FILE,
    tarfile.DIRTYPE: EntryType.DIR,
    tarfile.SYMTYPE: EntryType.SYMLINK,
    tarfile.LNKTYPE: EntryType.HARDLINK,
}


def iter_entries(
    stream: TarSource, *, what: str, limits: LayerLimits = LayerLimits()
) -> Iterator[_Entry]:
    """Every entry of the layer tar in ``stream``, in archive order.

    ``what`` names the layer in error messages (``layer 3 sha256:... of oci:dir:tag``).
    """
    try:
        archive = tarfile.TarFile(
            fileobj=stream,  # type: ignore[arg-type]
            mode="r",
            encoding="utf-8",
            errors="surrogateescape",
        )
    except tarfile.TarError as exc:
        raise ImageError(f"{what} is not a readable tar: {exc}") from None
    count = 0
    total = 0
    while True:
        try:
            info = archive.next()
        except tarfile.TarError as exc:
            raise ImageError(f"{what} is not a readable tar: {exc}") from None
        except EOFError:
            raise ImageError(f"{what} is truncated") from None
        if info is None:
            return
        # TarFile keeps every member it has read; a layer may have a million of them.
        cast(Any, archive).members.clear()
        count += 1
        if count > limits.max_entries:
            raise UnsafeImageError(f"{what} has more than {limits.max_entries} entries")
        path = _clean(info.name, what)
        if info.size > limits.max_entry_bytes:
            raise UnsafeImageError(
                f"{what}: entry {path} is {info.size} bytes, over the limit of "
                f"{limits.max_entry_bytes}"
            )
        total += info.size
        if total > limits.max_total_bytes:
            raise UnsafeImageError(
                f"{what} holds more than {limits.max_total_bytes} bytes of file content"
            )
        meta = _meta(info, path, what)
        if meta is None:
            continue
        yield _Entry(meta, info, archive, stream)


def _meta(info: tarfile.TarInfo, path: str, what: str) -> EntryMeta | None:
    kind = _TYPES.get(info.type, EntryType.OTHER)
    link: str | None = None
    if kind == EntryType.SYMLINK:
        link = info.linkname
        _check_symlink(path, link, what)
    elif kind == EntryType.HARDLINK:
        # Hard link targets name another member of the same archive.
        link = _clean(info.linkname, what, f"hard link {path} target")
    size = info.size if kind == EntryType.FILE else 0
    base = posixpath.basename(path)
    whiteout = opaque = False
    if base.startswith(WHITEOUT_PREFIX):
        parent = posixpath.dirname(path)
        if base == OPAQUE_MARKER:
            opaque = True
            path = parent
        elif base.startswith(_AUFS_META_PREFIX):
            return None
        else:
            whiteout = True
            path = posixpath.join(parent, base[len(WHITEOUT_PREFIX) :])
    return EntryMeta(
        path=path,
        type=kind,
        mode=info.mode,
        size=size,
        uid=info.uid,
        gid=info.gid,
        link_target=link,
        whiteout=whiteout,
        opaque=opaque,
    )
