"""Just enough of the three executable formats to find a section or map an address to a file
offset: ELF (System V gABI, "Section Header" and "Program Header"), PE/COFF (Microsoft PE
Format, "Section Table"), Mach-O (``<mach-o/loader.h>``, ``LC_SEGMENT``/``LC_SEGMENT_64``),
plus the universal (fat) Mach-O wrapper. Every read is bounds-checked: the bytes come from an
untrusted image and may be truncated (the layer walk reads at most its max bytes of a file).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

ELF_MAGIC = b"\x7fELF"
_MACHO_MAGICS = {
    b"\xfe\xed\xfa\xce": (">", 4), b"\xce\xfa\xed\xfe": ("<", 4),
    b"\xfe\xed\xfa\xcf": (">", 8), b"\xcf\xfa\xed\xfe": ("<", 8),
}
_FAT_MAGIC = b"\xca\xfe\xba\xbe"
_MAX_SECTIONS = 4096
_MAX_LOAD_COMMANDS = 4096


@dataclass(frozen=True)
class Region:
    """A section or loadable segment: ``size`` bytes at file ``offset`` mapped at ``addr``."""

    name: str
    addr: int
    offset: int
    size: int


@dataclass(frozen=True)
class Executable:
    format: str
    """``elf``, ``pe`` or ``macho``."""
    sections: tuple[Region, ...]
    segments: tuple[Region, ...]
    base: int = 0
    """Where the slice starts in the file (a fat Mach-O holds several)."""

    def section(self, name: str) -> Region | None:
        for region in self.sections:
            if region.name == name:
                return region
        return None

    def offset_of(self, addr: int, size: int) -> int | None:
        """File offset of ``size`` bytes at virtual address ``addr``, if mapped from the file."""
        for region in self.sections + self.segments:
            if region.addr <= addr and addr + size <= region.addr + region.size:
                return self.base + region.offset + (addr - region.addr)
        return None


def is_executable_format(data: bytes) -> bool:
    head = data[:4]
    return head in (ELF_MAGIC, _FAT_MAGIC) or data[:2] == b"MZ" or head in _MACHO_MAGICS


def _unpack(fmt: str, data: bytes, offset: int) -> tuple[Any, ...] | None:
    if offset < 0 or offset + struct.calcsize(fmt) > len(data):
        return None
    return struct.unpack_from(fmt, data, offset)


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1")


def _elf(data: bytes) -> Executable | None:
    if len(data) < 52 or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    wide = data[4] == 2
    order = "<" if data[5] == 1 else ">"
    word = "Q" if wide else "I"
    head = _unpack(order + ("HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH"), data, 16)
    if head is None:
        return None
    phoff, shoff = head[4], head[5]
    phentsize, phnum, shentsize, shnum, shstrndx = head[8], head[9], head[10], head[11], head[12]
    segments: list[Region] = []
    for i in range(min(phnum, _MAX_SECTIONS)):
        base = phoff + i * phentsize
        if wide:
            ph = _unpack(order + "IIQQQQQQ", data, base)
            fields = (ph[0], ph[2], ph[3], ph[5]) if ph else None  # type, offset, vaddr, filesz
        else:
            ph = _unpack(order + "IIIIIIII", data, base)
            fields = (ph[0], ph[1], ph[2], ph[4]) if ph else None
        if fields is None:
            break
        kind, offset, vaddr, filesz = fields
        if kind == 1:  # PT_LOAD
            segments.append(Region("", vaddr, offset, filesz))
    raw_sections: list[tuple[int, int, int, int]] = []
    for i in range(min(shnum, _MAX_SECTIONS)):
        base = shoff + i * shentsize
        sh = _unpack(order + ("II" + word * 4), data, base)
        if sh is None:
            raw_sections = []  # the table lies past the bytes we have (a truncated read)
            break
        name_off, _type, _flags, addr, offset, size = sh
        raw_sections.append((name_off, addr, offset, size))
    sections: list[Region] = []
    if raw_sections and shstrndx < len(raw_sections):
        strtab = raw_sections[shstrndx]
        names = data[strtab[2]:strtab[2] + strtab[3]]
        for name_off, addr, offset, size in raw_sections:
            name = _cstr(names[name_off:name_off + 256]) if name_off < len(names) else ""
            sections.append(Region(name, addr, offset, size))
    return Executable("elf", tuple(sections), tuple(segments))


def _pe(data: bytes) -> Executable | None:
    lfanew = _unpack("<I", data, 0x3C)
    if lfanew is None or data[lfanew[0]:lfanew[0] + 4] != b"PE\0\0":
        return None
    coff = lfanew[0] + 4
    head = _unpack("<HHIIIHH", data, coff)
    if head is None:
        return None
    nsections, opt_size = head[1], head[5]
    opt = coff + 20
    magic = _unpack("<H", data, opt)
    if magic is None:
        return None
    # ImageBase: 8 bytes at 24 in PE32+ (magic 0x20B), 4 bytes at 28 in PE32.
    image_base = _unpack("<Q", data, opt + 24) if magic[0] == 0x20B else _unpack(
        "<I", data, opt + 28)
    base_addr = image_base[0] if image_base else 0
    sections: list[Region] = []
    table = opt + opt_size
    for i in range(min(nsections, _MAX_SECTIONS)):
        sh = _unpack("<8sIIII", data, table + 40 * i)
        if sh is None:
            break
        name, _vsize, vaddr, raw_size, raw_ptr = sh
        sections.append(Region(_cstr(name), base_addr + vaddr, raw_ptr, raw_size))
    return Executable("pe", tuple(sections), ())


def _macho(data: bytes, base: int = 0) -> Executable | None:
    magic = data[base:base + 4]
    if magic not in _MACHO_MAGICS:
        return None
    order, width = _MACHO_MAGICS[magic]
    head = _unpack(order + "IiiIII", data, base)
    if head is None:
        return None
    ncmds = head[4]
    cursor = base + (32 if width == 8 else 28)
    sections: list[Region] = []
    segments: list[Region] = []
    word = "Q" if width == 8 else "I"
    for _ in range(min(ncmds, _MAX_LOAD_COMMANDS)):
        cmd = _unpack(order + "II", data, cursor)
        if cmd is None or cmd[1] < 8:
            break
        kind, size = cmd
        if kind in (0x1, 0x19):  # LC_SEGMENT, LC_SEGMENT_64
            seg = _unpack(order + "16s" + word * 4 + "iiII", data, cursor + 8)
            if seg is None:
                break
            segname, vmaddr, _vmsize, fileoff, filesize, _mp, _ip, nsects, _flags = seg
            segments.append(Region(_cstr(segname), vmaddr, fileoff, filesize))
            sect_at = cursor + 8 + struct.calcsize(order + "16s" + word * 4 + "iiII")
            sect_size = 80 if width == 8 else 68
            for j in range(min(nsects, _MAX_SECTIONS)):
                sect = _unpack(order + "16s16s" + word * 2 + "I", data, sect_at + j * sect_size)
                if sect is None:
                    break
                sectname, _segname, addr, ssize, offset = sect
                sections.append(Region(_cstr(sectname), addr, offset, ssize))
        cursor += size
    return Executable("macho", tuple(sections), tuple(segments), base=base)


def parse_executable(data: bytes) -> Executable | None:
    """The section/segment tables of an ELF, PE or Mach-O file; None for anything else."""
    if data[:4] == ELF_MAGIC:
        return _elf(data)
    if data[:2] == b"MZ":
        return _pe(data)
    if data[:4] in _MACHO_MAGICS:
        return _macho(data)
    if data[:4] == _FAT_MAGIC:
        # Universal binary: the slices are the same program for several CPUs; read the first.
        first = _unpack(">II", data, 8 + 8)  # fat_arch.offset, fat_arch.size of entry 0
        if first is not None:
            return _macho(data, first[0])
    return None


def read_region(data: bytes, exe: Executable, region: Region) -> bytes | None:
    start = exe.base + region.offset
    end = start + region.size
    if region.size <= 0 or end > len(data):
        return None
    return data[start:end]
