"""RPM database, NDB backend (rpm >= 4.15 ``ndb``; SUSE 15.3+): ``Packages.db``.

rpm ``lib/backend/ndb/rpmpkg.c``, all little-endian: a 32-byte header (magic ``RpmP``, version
0, generation, number of 4 KiB slot pages), then the slot pages, 16-byte slots (magic ``Slot``,
package index, block offset, block count; index 0 is a free slot; the header takes the first
two slots). A block offset counts 16-byte blocks; a blob starts with a 16-byte blob header
(magic ``BlbS``, package index, checksum, length) followed by the package's header blob.
"""

from __future__ import annotations

import struct

from gate.analyzers.packages.found import FoundPackage, PackageDataError
from gate.analyzers.packages.rpm_header import packages_from_blobs

FILENAME = "Packages.db"
_HEADER_MAGIC = b"RpmP"
_SLOT_MAGIC = b"Slot"
_BLOB_MAGIC = b"BlbS"
_BLOCK = 16
_SLOT_PAGE = 4096
_MAX_SLOT_PAGES = 2048


def parse(path: str, data: bytes) -> list[FoundPackage]:
    if len(data) < 32 or data[:4] != _HEADER_MAGIC:
        raise PackageDataError("not an rpm NDB database (no RpmP header)")
    version, _generation, slot_pages = struct.unpack_from("<III", data, 4)
    if version != 0:
        raise PackageDataError(f"unsupported NDB version {version}")
    if slot_pages == 0 or slot_pages > _MAX_SLOT_PAGES:
        raise PackageDataError(f"implausible NDB slot page count {slot_pages}")
    slots_end = slot_pages * _SLOT_PAGE
    if slots_end > len(data):
        raise PackageDataError("NDB database truncated inside its slot pages")
    blobs: list[bytes] = []
    total = 0
    for offset in range(32, slots_end, 16):
        magic = data[offset:offset + 4]
        if magic != _SLOT_MAGIC:
            raise PackageDataError(f"bad NDB slot magic at offset {offset}")
        pkg_index, block_offset, _block_count = struct.unpack_from("<III", data, offset + 4)
        if pkg_index == 0:
            continue
        start = block_offset * _BLOCK
        if start + 16 > len(data):
            raise PackageDataError(f"NDB blob of package {pkg_index} outside the file")
        blob_magic = data[start:start + 4]
        blob_index, _checksum, length = struct.unpack_from("<III", data, start + 4)
        if blob_magic != _BLOB_MAGIC or blob_index != pkg_index:
            raise PackageDataError(f"NDB blob of package {pkg_index} is damaged")
        if start + 16 + length > len(data):
            raise PackageDataError(f"NDB blob of package {pkg_index} truncated")
        blobs.append(data[start + 16:start + 16 + length])
        total += length
        if total > 2 * len(data):
            # Slots may all point at one big blob: bound what we copy.
            raise PackageDataError("NDB blobs add up to more than the file twice")
    return packages_from_blobs(blobs)
