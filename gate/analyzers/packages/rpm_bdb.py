"""RPM database, Berkeley DB backend (rpm < 4.16; CentOS/RHEL <= 8, SLES < 15.3): ``Packages``.

A Berkeley DB hash database (libdb ``src/dbinc/db_page.h``), read page by page without libdb:
page 0 is the hash metadata page (magic 0x061561, its byte order tells the file's; page size;
last page number). Hash pages (types 2 and 13) hold an index of 2-byte item offsets, items in
key/data pairs; rpm stores every header as an off-page item (``H_OFFPAGE``: first overflow
page number and total length), its bytes chained through overflow pages (type 7), each with a
26-byte page header whose next-page field links the chain. Small items may be stored in place
(``H_KEYDATA``). Chains are bounded and cycle-checked: the file is untrusted.
"""

from __future__ import annotations

import struct

from gate.analyzers.packages.found import FoundPackage, PackageDataError
from gate.analyzers.packages.rpm_header import packages_from_blobs

FILENAME = "Packages"
_HASH_MAGIC = 0x061561
_PAGE_HASH_META = 8
_PAGE_HASH_UNSORTED = 2
_PAGE_HASH = 13
_PAGE_OVERFLOW = 7
_ITEM_KEYDATA = 1
_ITEM_OFFPAGE = 3
_PAGE_HEADER = 26
_VALID_PAGE_SIZES = frozenset(1 << n for n in range(9, 17))


class _Reader:
    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise PackageDataError("Berkeley DB file shorter than one page")
        magic_le = struct.unpack_from("<I", data, 12)[0]
        magic_be = struct.unpack_from(">I", data, 12)[0]
        if magic_le == _HASH_MAGIC:
            self.order = "<"
        elif magic_be == _HASH_MAGIC:
            self.order = ">"
        else:
            raise PackageDataError("not a Berkeley DB hash database")
        self.data = data
        self.page_size = self._u32(data, 20)
        if self.page_size not in _VALID_PAGE_SIZES:
            raise PackageDataError(f"Berkeley DB page size {self.page_size} is not valid")
        if data[24] != 0:
            raise PackageDataError("encrypted Berkeley DB databases are not supported")
        if data[25] != _PAGE_HASH_META:
            raise PackageDataError("Berkeley DB page 0 is not a hash metadata page")
        self.last_page = self._u32(data, 32)
        if (self.last_page + 1) * self.page_size > len(data):
            raise PackageDataError("Berkeley DB file truncated (fewer pages than its metadata)")

    def _u32(self, buf: bytes, offset: int) -> int:
        value: int = struct.unpack_from(self.order + "I", buf, offset)[0]
        return value

    def _u16(self, buf: bytes, offset: int) -> int:
        value: int = struct.unpack_from(self.order + "H", buf, offset)[0]
        return value

    def page(self, number: int) -> bytes:
        if number > self.last_page:
            raise PackageDataError(f"Berkeley DB page {number} beyond the last page")
        start = number * self.page_size
        return self.data[start:start + self.page_size]

    def overflow(self, first: int, total: int) -> bytes:
        chunks: list[bytes] = []
        length = 0
        seen: set[int] = set()
        number = first
        while number != 0:
            if number in seen:
                raise PackageDataError("Berkeley DB overflow chain loops")
            seen.add(number)
            page = self.page(number)
            if page[25] != _PAGE_OVERFLOW:
                raise PackageDataError(f"Berkeley DB page {number} is not an overflow page")
            # hf_offset of an overflow page is the number of data bytes it holds.
            used = self._u16(page, 22)
            chunk = page[_PAGE_HEADER:_PAGE_HEADER + used]
            chunks.append(chunk)
            length += len(chunk)
            if length >= total:
                break
            number = self._u32(page, 16)
        value = b"".join(chunks)
        if len(value) < total:
            raise PackageDataError("Berkeley DB overflow chain shorter than its item")
        return value[:total]

    def values(self) -> list[bytes]:
        values: list[bytes] = []
        # Items could point many times at the same long overflow chain: bound what we copy.
        budget = 2 * len(self.data) + (1 << 20)
        copied = 0
        for number in range(1, self.last_page + 1):
            if copied > budget:
                raise PackageDataError("Berkeley DB items add up to more than the file twice")
            page = self.page(number)
            if page[25] not in (_PAGE_HASH, _PAGE_HASH_UNSORTED):
                continue
            entries = self._u16(page, 20)
            if _PAGE_HEADER + 2 * entries > self.page_size:
                raise PackageDataError(f"Berkeley DB page {number} has an impossible index")
            # Items come in (key, data) pairs; rpm's keys are package numbers.
            for pair in range(entries // 2):
                offset = self._u16(page, _PAGE_HEADER + 2 * (2 * pair + 1))
                if offset >= self.page_size:
                    raise PackageDataError(f"Berkeley DB item outside page {number}")
                kind = page[offset]
                if kind == _ITEM_OFFPAGE:
                    if offset + 12 > self.page_size:
                        raise PackageDataError(f"Berkeley DB item outside page {number}")
                    first = self._u32(page, offset + 4)
                    total = self._u32(page, offset + 8)
                    values.append(self.overflow(first, total))
                    copied += total
                elif kind == _ITEM_KEYDATA:
                    end = self._item_end(page, 2 * pair + 1, entries)
                    values.append(page[offset + 1:end])
        return values

    def _item_end(self, page: bytes, index: int, entries: int) -> int:
        # In-page items are packed from the end of the page downwards: an item ends where
        # the previous index entry's item begins (or at the page end for the first one).
        if index == 0:
            return self.page_size
        return self._u16(page, _PAGE_HEADER + 2 * (index - 1))


def _is_header(value: bytes) -> bool:
    # Besides headers rpm keeps small bookkeeping values (key 0: the last instance number).
    if len(value) < 8:
        return False
    il, dl = struct.unpack_from(">II", value, 0)
    return bool(il > 0 and 8 + 16 * il + dl <= len(value))


def parse(path: str, data: bytes) -> list[FoundPackage]:
    blobs = [value for value in _Reader(data).values() if _is_header(value)]
    return packages_from_blobs(blobs)
