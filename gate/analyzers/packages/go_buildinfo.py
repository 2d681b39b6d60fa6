"""Go binaries: the module build information the Go linker embeds (Go >= 1.13 modules builds).

Go ``src/debug/buildinfo/buildinfo.go``: a 32-byte header that starts with the magic
``\\xff Go buildinf:`` at a 16-byte aligned position of the data section, then the pointer
size (byte 14) and flags (byte 15). Since Go 1.18 (flag bit 1) the Go version and the module
information follow the header inline as varint-length-prefixed strings. Before that, the header
holds two pointers (at 16 and 16+ptrsize, byte order from flag bit 0) to Go string headers
(data pointer, length), which are resolved through the executable's sections or segments
(:mod:`gate.analyzers.packages.executable`). The module information is framed by 16 sentinel
bytes on each side and has one line per fact (``runtime/debug`` ``BuildInfo.String``):
``mod`` (main module), ``dep`` (dependency) and ``=>`` (replacement of the line before).

Versions are reported as OSV's Go ecosystem writes them: without the ``v`` (``1.2.3``,
``0.0.0-20210101000000-abcdef123456``) and the toolchain as the ``stdlib`` module
(``go1.21.5`` -> ``1.21.5``, ``go1.20`` -> ``1.20.0``, ``go1.22rc1`` -> ``1.22.0-rc.1``).
A dependency replaced by a local directory has no version and is not a Go module anyone
publishes advisories for: it is not listed.
"""

from __future__ import annotations

import re
from typing import Literal

from gate.analyzers.packages.executable import parse_executable
from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean

MAGIC = b"\xff Go buildinf:"
_HEADER = 32
_ALIGN = 16
_FLAG_BIG_ENDIAN = 0x1
_FLAG_INLINE = 0x2
_MAX_STRING = 4 * 1024 * 1024
_GO_VERSION = re.compile(
    r"^go(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?(?:(?P<pre>rc|beta)(?P<n>\d+))?"
    r"(?:[-+ ].*)?$"
)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise PackageDataError("Go build info: bad varint")


def _inline_strings(data: bytes, start: int) -> tuple[str, str]:
    pos = start + _HEADER
    out: list[str] = []
    for _ in range(2):
        length, pos = _varint(data, pos)
        if length > _MAX_STRING or pos + length > len(data):
            raise PackageDataError("Go build info: string runs past the file")
        out.append(data[pos:pos + length].decode("utf-8", "replace"))
        pos += length
    return out[0], out[1]


def _pointer_strings(data: bytes, start: int, ptr_size: int, big: bool) -> tuple[str, str]:
    exe = parse_executable(data)
    if exe is None:
        raise PackageDataError("Go build info: not an ELF, PE or Mach-O file")
    order: Literal["big", "little"] = "big" if big else "little"

    def ptr_at(offset: int) -> int:
        if offset + ptr_size > len(data):
            raise PackageDataError("Go build info: pointer past the end of the file")
        return int.from_bytes(data[offset:offset + ptr_size], order)

    def string_at(addr: int) -> str:
        header = exe.offset_of(addr, 2 * ptr_size)
        if header is None:
            raise PackageDataError("Go build info: string header outside the file's sections")
        data_addr, length = ptr_at(header), ptr_at(header + ptr_size)
        if length == 0:
            return ""
        if length > _MAX_STRING:
            raise PackageDataError("Go build info: implausible string length")
        offset = exe.offset_of(data_addr, length)
        if offset is None or offset + length > len(data):
            raise PackageDataError("Go build info: string outside the file's sections")
        return data[offset:offset + length].decode("utf-8", "replace")

    return string_at(ptr_at(start + 16)), string_at(ptr_at(start + 16 + ptr_size))


def find_header(data: bytes) -> int | None:
    start = data.find(MAGIC)
    while start >= 0:
        if start % _ALIGN == 0 and start + _HEADER <= len(data):
            return start
        start = data.find(MAGIC, start + 1)
    return None


def read_build_info(data: bytes) -> tuple[str, str] | None:
    """(Go version, module info text) of a Go binary; None if it has no build info."""
    start = find_header(data)
    if start is None:
        return None
    ptr_size, flags = data[start + 14], data[start + 15]
    if flags & _FLAG_INLINE:
        version, modinfo = _inline_strings(data, start)
    else:
        if ptr_size not in (4, 8):
            raise PackageDataError(f"Go build info: pointer size {ptr_size}")
        version, modinfo = _pointer_strings(data, start, ptr_size, bool(flags & _FLAG_BIG_ENDIAN))
    if len(modinfo) >= 33 and modinfo[-17] == "\n":
        modinfo = modinfo[16:-16]
    return version, modinfo


def toolchain_version(raw: str) -> str | None:
    """The ``stdlib`` version OSV's Go database uses for a toolchain: ``go1.20`` -> ``1.20.0``,
    ``go1.21.5`` -> ``1.21.5``, ``go1.22rc1`` -> ``1.22.0-rc.1``; None for a devel build."""
    match = _GO_VERSION.match(raw.strip().split(" ")[0]) if raw else None
    if match is None:
        return None
    version = f"{match['major']}.{match['minor']}.{match['patch'] or 0}"
    return f"{version}-{match['pre']}.{match['n']}" if match["pre"] else version


def go_version(raw: str) -> str:
    """``1.2.3`` of ``v1.2.3``: OSV's Go ecosystem has no ``v``."""
    return raw[1:] if raw.startswith("v") and raw[1:2].isdigit() else raw


def packages_from_modinfo(version: str, modinfo: str) -> list[FoundPackage]:
    modules: list[tuple[str, str, bool]] = []  # path, version, is main module
    for line in modinfo.splitlines():
        fields = line.split("\t")
        if fields[0] in ("mod", "dep") and len(fields) >= 3:
            modules.append((fields[1], fields[2], fields[0] == "mod"))
        elif fields[0] == "=>" and len(fields) >= 2 and modules:
            # The replacement is what was compiled in; a local directory has no version.
            replaced_version = fields[2] if len(fields) >= 3 else ""
            modules[-1] = (fields[1], replaced_version, modules[-1][2])
    packages: list[FoundPackage] = []
    toolchain = toolchain_version(version)
    if toolchain:
        packages.append(FoundPackage(name="stdlib", version=toolchain))
    for path, raw, _main in modules:
        name, value = clean(path), clean(raw)
        if name is None or value is None or value == "(devel)":
            continue
        packages.append(FoundPackage(name=name, version=go_version(value)))
    return packages


def parse(path: str, data: bytes) -> list[FoundPackage]:
    info = read_build_info(data)
    if info is None:
        return []
    return packages_from_modinfo(*info)
