"""Entries of one layer tar, normalised and checked for hostile content.

Paths become ``/abs/path``. OCI whiteouts (image-spec ``layer.md`` "Whiteouts") are decoded:
``.wh.NAME`` deletes ``NAME`` and ``.wh..wh..opq`` hides the lower contents of its directory.
A layer that tries to leave the root (absolute or ``..`` member names, hard links out of
the tree or to a directory, relative symlinks that resolve above ``/``), that is a tar bomb,
or that Python's tar reader would read differently from Go's ``archive/tar`` (what Docker,
containerd and BuildKit extract with) raises :class:`~gate.errors.UnsafeImageError` naming the
layer and the path; a corrupt or truncated tar is an :class:`~gate.errors.ImageError`. The
decisions, entry by entry, are in ``docs/image-sources.md``.

Headers are read by Python's ``tarfile`` -- its reading is the reference every check above was
written against -- except that a plain header (a file, directory, link, device or FIFO in the
ustar/GNU/v7 layout, octal numbers, unsigned checksum, no PAX or GNU extension before it and no
PAX global header in force) is decoded here by :func:`_plain_header`, step for step as
``tarfile`` decodes it, at a fraction of the cost: a layer has tens of thousands of them. Any
other header goes to ``tarfile`` itself.
"""

from __future__ import annotations

import posixpath
import re
import struct
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, cast

from gate.errors import ImageError, UnsafeImageError
from gate.sources.image.blob_stream import DEFAULT_MAX_UNCOMPRESSED
from gate.sources.image.model import EntryMeta, EntryType

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
_AUFS_META_PREFIX = ".wh..wh."
"""image-spec layer.md: other ``.wh..wh.`` names are reserved (aufs hard-link metadata)."""


_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_DRAIN = 1024 * 1024

_GLOBAL_PAX_REFUSED = ("path", "linkpath", "size", "uid", "gid", "GNU.sparse.")
"""PAX global-header records Python's tarfile applies to every later member but Go's
``archive/tar`` (Docker, containerd) ignores: honouring them would make gate read other names,
owners or sizes than the runtime extracts (POSIX.1-2008 pax, "g" typeflag)."""


@dataclass(frozen=True)
class LayerLimits:
    """Tar-bomb limits for one layer (documented in ``docs/image-sources.md``).

    The defaults are far above any real layer (the largest public images have layers of a
    few GiB) and bound what a crafted one can cost: time and memory, never a silent pass.
    """

    max_entries: int = 1_000_000
    """Most tar entries (files, directories, links, whiteouts) in one layer."""
    max_total_bytes: int = 64 * 1024**3
    """Most bytes of file content (sum of the declared sizes of the entries) in one layer."""
    max_entry_bytes: int = 16 * 1024**3
    """Largest declared size of a single entry."""
    max_layer_bytes: int = DEFAULT_MAX_UNCOMPRESSED
    """Most bytes of the uncompressed layer stream (headers, padding and trailing zeros
    included): what stops a gzip or zstd bomb while it inflates."""


class TarSource(Protocol):
    """What the walk needs from a layer stream (a file object that seeks forward)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


class _Header(NamedTuple):
    """The fields of one member header the walk uses (a ``tarfile.TarInfo`` subset)."""

    name: str
    linkname: str
    type: bytes
    mode: int
    uid: int
    gid: int
    size: int
    offset_data: int
    sparse: tarfile.TarInfo | None
    """The TarInfo of a sparse member (read through ``tarfile``), else None."""


def _from_tarinfo(info: tarfile.TarInfo) -> _Header:
    return _Header(info.name, info.linkname, info.type, info.mode, info.uid, info.gid,
                   info.size, info.offset_data, info if info.issparse() else None)  # fmt: skip


# POSIX ustar header (pax "ustar Interchange Format"): name, mode, uid, gid, size, mtime,
# chksum, typeflag, linkname, magic+version, uname, gname, devmajor, devminor, prefix.
_USTAR = struct.Struct("100s8s8s8s12s12s8s1s100s8s32s32s8s8s155s12x")
_PLAIN_TYPES = frozenset({tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE, tarfile.DIRTYPE,
                          tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE,
                          tarfile.FIFOTYPE})  # fmt: skip
_DATA_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)
"""``TarInfo.isreg()`` types: the only plain ones whose data blocks follow the header."""


_COMMON_NUMBERS = re.compile(
    rb"([0-7]{7})\0([0-7]{7})\0([0-7]{7})\0([0-7]{11})\0([0-7]{11})\0([0-7]{6})\0 "
)
"""mode, uid, gid, size, mtime and checksum as nearly every writer formats them."""
_COMMON_DEVICES = frozenset({b"0000000\0" * 2, b"\0" * 16})


def _octal(field: bytes) -> int:
    """``tarfile.nti`` for an octal field; ValueError where it might differ (left to tarfile):
    the base-256 form and anything ``int`` does not take as it stands (``int`` reads bytes with
    the grammar ``tarfile`` applies to their ASCII text, so where it succeeds they agree)."""
    if field[0] in (0o200, 0o377):
        raise ValueError("base-256 number")
    end = field.find(b"\0")
    digits = field if end < 0 else field[:end]
    return int(digits, 8) if digits else 0


def _text(field: bytes) -> str:
    """``tarfile.nts`` with the walk's encoding (UTF-8, undecodable bytes kept as escapes)."""
    end = field.find(b"\0")
    return (field if end < 0 else field[:end]).decode("utf-8", "surrogateescape")


def _plain_header(block: bytes, offset_data: int) -> _Header | None:
    """The member ``block`` describes, decoded as ``TarInfo.frombuf`` then ``_proc_builtin``
    decode it; None unless it is a plain header (see the module docstring)."""
    if len(block) != _BLOCK or block[156:157] not in _PLAIN_TYPES:
        return None
    (name_f, mode_f, uid_f, gid_f, size_f, mtime_f, chksum_f, kind, link_f, _magic, _uname,
     _gname, major_f, minor_f, prefix_f) = _USTAR.unpack(block)  # fmt: skip
    common = _COMMON_NUMBERS.match(block, 100, 156)
    if common is not None and major_f + minor_f in _COMMON_DEVICES:
        # What ustar, GNU and Go writers put there: zero-padded octal digits and a NUL.
        mode, uid, gid, size, _mtime, chksum = (int(g, 8) for g in common.groups())
    else:
        try:
            chksum = _octal(chksum_f)
            mode, uid, gid, size = _octal(mode_f), _octal(uid_f), _octal(gid_f), _octal(size_f)
            # Not used, but tarfile refuses a header whose numbers do not parse.
            _octal(mtime_f), _octal(major_f), _octal(minor_f)
        except ValueError:
            return None
    # The checksum field counts as eight spaces. A header summed with signed bytes (old Sun
    # and NeXT tars) goes to tarfile, which accepts both sums; an all-zero block (the end of
    # the archive) fails this too.
    if chksum != 256 + sum(block) - sum(chksum_f):
        return None
    name = _text(name_f)
    if kind == tarfile.AREGTYPE and name.endswith("/"):
        kind = tarfile.DIRTYPE  # v7 tar: a directory is a regular file named with a slash
    if kind == tarfile.DIRTYPE:
        name = name.rstrip("/")
    prefix = _text(prefix_f) if prefix_f[0] else ""
    if prefix:
        name = prefix + "/" + name
        if kind == tarfile.DIRTYPE:
            name = name.rstrip("/")
    link = _text(link_f) if link_f[0] else ""
    return _Header(name, link, kind, mode, uid, gid, size, offset_data, None)


def _next_plain(archive: tarfile.TarFile, stream: TarSource) -> _Header | None:
    """The next member if its header is plain, read as ``TarFile.next`` would read it (and the
    archive's offset moved past it); None, with the stream back at the header, otherwise."""
    if archive.pax_headers:
        return None  # a PAX global header applies to every later member: tarfile's job
    offset = archive.offset
    if offset != stream.tell():
        # TarFile.next's check that the previous member's data is all there.
        stream.seek(offset - 1)
        if not stream.read(1):
            raise tarfile.ReadError("unexpected end of data")
    block = stream.read(_BLOCK)
    header = _plain_header(block, offset + _BLOCK)
    if header is None:
        stream.seek(offset)
        return None
    end = header.offset_data
    if header.type in _DATA_TYPES:
        # TarInfo._block, even for the negative sizes an octal field can spell ("-1000").
        blocks, remainder = divmod(header.size, _BLOCK)
        end += (blocks + 1 if remainder else blocks) * _BLOCK
    archive.offset = end
    return header


class _Entry:
    """One entry while the layer streams; ``read`` is valid until the next entry."""

    __slots__ = ("_archive", "_consumed", "_info", "_source", "meta")

    def __init__(
        self, meta: EntryMeta, info: _Header, archive: tarfile.TarFile, source: TarSource
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
        if self._info.sparse is not None:
            handle = self._archive.extractfile(self._info.sparse)
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
    wrapped = f"/{name}/"
    if "//" not in wrapped and "/./" not in wrapped and "/../" not in wrapped:
        return wrapped[:-1]  # already clean: no empty, "." or ".." component (the usual case)
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
    # layer.md "File Types": devices and FIFOs are legitimate layer entries; recorded,
    # never read (they carry no data).
    tarfile.CHRTYPE: EntryType.OTHER,
    tarfile.BLKTYPE: EntryType.OTHER,
    tarfile.FIFOTYPE: EntryType.OTHER,
}


def iter_entries(
    stream: TarSource, *, what: str, limits: LayerLimits = LayerLimits()
) -> Iterator[_Entry]:
    """Every entry of the layer tar in ``stream``, in archive order.

    ``what`` names the layer in error messages (``layer 3 sha256:... of oci:dir:tag``).
    Once the last entry is yielded, the end of the archive is checked (:func:`_check_end`):
    a tar that stops at a corrupt or truncated header is an error, not a short layer.
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
    except EOFError:
        raise ImageError(f"{what} is truncated") from None
    count = 0
    total = 0
    # A hard link must name a non-directory written earlier in this layer or in a lower
    # one: that is checked across layers (gate.analyzers.hard_links); a directory of this
    # layer is refused here, while it streams.
    directories: set[str] = set()
    first = True
    while True:
        try:
            # The first member always through tarfile: TarFile reads it when it opens, with
            # its own handling of an empty or non-tar stream.
            info = None if first else _next_plain(archive, stream)
            if info is None:
                member = archive.next()
                info = None if member is None else _from_tarinfo(member)
        except (tarfile.TarError, ValueError, OverflowError) as exc:
            # ValueError/OverflowError: malformed numbers in PAX or GNU sparse records.
            raise ImageError(f"{what} is not a readable tar: {exc}") from None
        except EOFError:
            raise ImageError(f"{what} is truncated") from None
        first = False
        _check_global_headers(archive, what)
        if info is None:
            _check_end(stream, archive.offset, what)
            return
        # TarFile keeps every member it has read; a layer may have a million of them.
        cast(Any, archive).members.clear()
        count += 1
        if count > limits.max_entries:
            raise UnsafeImageError(f"{what} has more than {limits.max_entries} entries")
        path = _clean(info.name, what)
        if info.type not in _TYPES:
            # Docker's and containerd's extractors refuse any other type ("unhandled tar
            # header type"); its data would be neither extracted nor scanned.
            raise UnsafeImageError(
                f"{what}: entry {path} has unsupported tar type {info.type!r}"
            )
        size = info.size if _TYPES[info.type] is EntryType.FILE else 0
        # Only regular files carry data; Go's archive/tar reads the size of the other
        # header-only types as 0, and so does this count.
        if size > limits.max_entry_bytes:
            raise UnsafeImageError(
                f"{what}: entry {path} is {size} bytes, over the limit of "
                f"{limits.max_entry_bytes}"
            )
        total += size
        if total > limits.max_total_bytes:
            raise UnsafeImageError(
                f"{what} holds more than {limits.max_total_bytes} bytes of file content"
            )
        meta = _meta(info, path, what)
        if meta is None:
            continue
        if meta.type is EntryType.HARDLINK and meta.link_target is not None:
            if meta.link_target == meta.path:
                raise UnsafeImageError(f"{what}: hard link {meta.path} links to itself")
            if meta.link_target in directories:
                # layer.md "Hardlinks": possible with all file types except directories.
                raise UnsafeImageError(
                    f"{what}: hard link {meta.path} points to the directory {meta.link_target}"
                )
        if meta.type is EntryType.DIR and not meta.whiteout and not meta.opaque:
            directories.add(meta.path)
        elif meta.path in directories:
            directories.discard(meta.path)
        yield _Entry(meta, info, archive, stream)


def _check_global_headers(archive: tarfile.TarFile, what: str) -> None:
    for key in archive.pax_headers:
        if key.startswith(_GLOBAL_PAX_REFUSED):
            raise UnsafeImageError(
                f"{what}: a PAX global header sets {key!r}, which Docker and containerd "
                "ignore but other tar readers apply to every later entry"
            )


def _check_end(stream: TarSource, offset: int, what: str) -> None:
    """What follows the last entry must be the end of the archive, as Go's ``archive/tar``
    reads it: the end of the stream, or zero blocks (POSIX ustar: "two consecutive blocks of
    zero-filled records"). Python's tarfile also stops silently at a corrupt or truncated
    header, which would hide every later entry from the scan; and bytes after the
    end-of-archive marker are extracted by no runtime yet ship in the blob."""
    stream.seek(offset)
    block = stream.read(_BLOCK)
    if not block:
        return
    if len(block) < _BLOCK:
        raise ImageError(f"{what} is truncated: a partial tar header at offset {offset}")
    if block != _ZERO_BLOCK:
        raise ImageError(f"{what} is not a readable tar: corrupt tar header at offset {offset}")
    position = offset + _BLOCK
    while True:
        chunk = stream.read(_DRAIN)
        if not chunk:
            return
        if chunk.count(0) != len(chunk):
            at = position + next(i for i, byte in enumerate(chunk) if byte)
            raise UnsafeImageError(
                f"{what} has data after the end-of-archive marker (at offset {at}): no "
                "runtime extracts it, so it cannot be checked as files"
            )
        position += len(chunk)


def _meta(info: _Header, path: str, what: str) -> EntryMeta | None:
    kind = _TYPES[info.type]
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
            name = base[len(WHITEOUT_PREFIX) :]
            if name in ("", ".", ".."):
                raise UnsafeImageError(f"{what}: whiteout {path} names no file ({name!r})")
            whiteout = True
            path = posixpath.join(parent, name)
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
