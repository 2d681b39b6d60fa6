"""RPM package headers as the rpm database stores them (one blob per installed package).

The stored blob is an RPM header without its 8-byte intro (rpm ``lib/header.c``,
``headerImport``; the file format is in rpm's ``docs/manual/format.md``, "Header"): two
big-endian int32 ``il`` (index entries) and ``dl`` (data bytes), then ``il`` 16-byte entries
``(tag, type, offset, count)`` and the data store. Every offset and count is checked against
the blob: these bytes come from an untrusted image.
"""

from __future__ import annotations

import struct

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean

TAG_NAME = 1000
TAG_VERSION = 1001
TAG_RELEASE = 1002
TAG_EPOCH = 1003
TAG_LICENSE = 1014
TAG_ARCH = 1022
TAG_SOURCERPM = 1044

_TYPE_INT32 = 4
_TYPE_STRING = 6
_TYPE_STRING_ARRAY = 8
_TYPE_I18NSTRING = 9
_MAX_INDEX_ENTRIES = 0x0000FFFF  # rpm's HEADER_TAGS_MAX
_MAX_DATA = 256 * 1024 * 1024  # rpm's HEADER_DATA_MAX
_WANTED = frozenset(
    {TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH, TAG_LICENSE, TAG_ARCH, TAG_SOURCERPM}
)
# Public keys imported with ``rpm --import`` are stored as packages; they are not software.
_PSEUDO_PACKAGES = frozenset({"gpg-pubkey"})


def _string(store: bytes, offset: int) -> str:
    end = store.find(b"\0", offset)
    if end < 0:
        raise PackageDataError("unterminated string in rpm header")
    return store[offset:end].decode("utf-8", "replace")


def header_tags(blob: bytes) -> dict[int, str | int]:
    """The few tags the inventory needs: strings (first of an array) and int32 values."""
    if len(blob) < 8:
        raise PackageDataError("rpm header shorter than its 8-byte preamble")
    il, dl = struct.unpack_from(">II", blob, 0)
    if il == 0 or il > _MAX_INDEX_ENTRIES or dl > _MAX_DATA:
        raise PackageDataError(f"rpm header with implausible sizes (il={il}, dl={dl})")
    store_start = 8 + 16 * il
    if store_start + dl > len(blob):
        raise PackageDataError("rpm header truncated")
    store = blob[store_start:store_start + dl]
    tags: dict[int, str | int] = {}
    for i in range(il):
        tag, kind, offset, count = struct.unpack_from(">iIII", blob, 8 + 16 * i)
        if tag not in _WANTED:
            continue
        if offset >= dl:
            raise PackageDataError(f"rpm header tag {tag} points outside the data store")
        if kind in (_TYPE_STRING, _TYPE_STRING_ARRAY, _TYPE_I18NSTRING) and count >= 1:
            tags[tag] = _string(store, offset)
        elif kind == _TYPE_INT32 and count >= 1:
            if offset + 4 > dl:
                raise PackageDataError(f"rpm header tag {tag} runs past the data store")
            tags[tag] = struct.unpack_from(">i", store, offset)[0]
    return tags


def split_source_rpm(source_rpm: str) -> tuple[str, str] | None:
    """``glibc-2.31-150300.41.1.src.rpm`` -> (``glibc``, ``2.31-150300.41.1``)."""
    base = source_rpm
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    else:
        return None
    parts = base.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], f"{parts[1]}-{parts[2]}"


def evr(epoch: int | None, version: str, release: str) -> str:
    """``[epoch:]version-release``: the form rpm compares and OSV's RPM ecosystems publish."""
    core = f"{version}-{release}" if release else version
    return f"{epoch}:{core}" if epoch else core


def package_from_blob(blob: bytes) -> FoundPackage | None:
    tags = header_tags(blob)
    name = clean(str(tags[TAG_NAME])) if TAG_NAME in tags else None
    version = clean(str(tags[TAG_VERSION])) if TAG_VERSION in tags else None
    if name is None or version is None:
        raise PackageDataError("rpm header without name or version")
    if name in _PSEUDO_PACKAGES:
        return None
    release = clean(str(tags.get(TAG_RELEASE, ""))) or ""
    epoch_value = tags.get(TAG_EPOCH)
    epoch = epoch_value if isinstance(epoch_value, int) else None
    source_name: str | None = None
    source_version: str | None = None
    source_rpm = tags.get(TAG_SOURCERPM)
    if isinstance(source_rpm, str):
        split = split_source_rpm(source_rpm)
        if split:
            source_name = split[0]
            src_version, _, src_release = split[1].rpartition("-")
            source_version = evr(epoch, src_version, src_release)
    license_ = clean(str(tags[TAG_LICENSE])) if TAG_LICENSE in tags else None
    return FoundPackage(
        name=name,
        version=evr(epoch, version, release),
        source_name=source_name,
        source_version=source_version,
        arch=clean(str(tags[TAG_ARCH])) if TAG_ARCH in tags else None,
        epoch=epoch,
        licenses=(license_,) if license_ else (),
    )


def packages_from_blobs(blobs: list[bytes]) -> list[FoundPackage]:
    packages = []
    for blob in blobs:
        package = package_from_blob(blob)
        if package is not None:
            packages.append(package)
    return packages
