"""The plain-header reader of the layer walk decodes exactly what Python's tarfile decodes.

Every archive here is read twice, once as the walk reads it (plain headers decoded by
``layer_tar._plain_header``, the rest by tarfile) and once with tarfile alone; the entries,
their data and any error must be the same. The archives are real ones (tarfile's three
formats, every entry type, long names, ustar prefixes, devices, large ids) and fuzzed copies of
them whose header bytes are overwritten (checksums fixed up or not).
"""

from __future__ import annotations

import io
import tarfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.errors import GateError
from gate.sources.image import layer_tar
from gate.sources.image.layer_tar import iter_entries


def _member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", **fields: Any
            ) -> tuple[tarfile.TarInfo, bytes]:  # fmt: skip
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.mtime = 1704067200
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


MEMBERS = [
    _member("etc", tarfile.DIRTYPE, mode=0o755),
    _member("etc/os-release", data=b"ID=debian\n", mode=0o644, uid=0, gid=0),
    _member("etc/app.conf", data=b"x" * 513, uid=1000, gid=1000, uname="app", gname="app"),
    _member("usr/lib/" + "deep/" * 30 + "module.py", data=b"print('hi')\n"),  # prefix / PAX
    _member("a" * 120, data=b"long final component"),  # no ustar split: GNU longname or PAX
    _member("bin/sh", tarfile.SYMTYPE, linkname="dash"),
    _member("bin/sh.hard", tarfile.LNKTYPE, linkname="etc/os-release"),
    _member("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3),
    _member("dev/loop0", tarfile.BLKTYPE, devmajor=7, devminor=0),
    _member("run/initctl", tarfile.FIFOTYPE),
    _member("srv/.wh.gone", data=b""),
    _member("srv/empty", data=b""),
    _member("srv/exact-block", data=b"b" * 1024),
    _member("big/uid", data=b"1", uid=0o7777777 + 1),  # base-256 (GNU) or PAX uid
    _member("caf\u00e9/menu", data=b"non-ASCII name"),  # PAX path, or raw UTF-8 bytes
    _member("v7dir/", tarfile.AREGTYPE),  # v7: a directory is a regular file ending in "/"
    _member("srv/last", data=b"after the v7 directory"),
]


def _archive(tar_format: int, members: list[tuple[tarfile.TarInfo, bytes]] = MEMBERS) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tar_format, encoding="utf-8") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


ARCHIVES = {
    "ustar": _archive(tarfile.USTAR_FORMAT, [m for m in MEMBERS if len(m[0].name) < 100
                                             and m[0].uid <= 0o7777777 and m[0].name.isascii()]),
    "gnu": _archive(tarfile.GNU_FORMAT),
    "pax": _archive(tarfile.PAX_FORMAT),
}


def _read(raw: bytes) -> object:
    try:
        return [(e.meta, e.read()) for e in iter_entries(io.BytesIO(raw), what="layer 0")]
    except GateError as exc:
        return (type(exc).__name__, str(exc))


def _both(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    walk = _read(raw)
    with monkeypatch.context() as patched:
        patched.setattr(layer_tar, "_next_plain", lambda archive, stream: None)
        reference = _read(raw)
    return walk, reference


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_real_archives_read_the_same(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    walk, reference = _both(ARCHIVES[name], monkeypatch)
    assert walk == reference
    assert isinstance(walk, list) and len(walk) >= 10


def test_plain_headers_are_the_ones_decoded_here(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[str] = []
    plain = layer_tar._plain_header

    def spy(block: bytes, offset_data: int) -> layer_tar._Header | None:
        header = plain(block, offset_data)
        if header is not None:
            decoded.append(header.name)
        return header

    monkeypatch.setattr(layer_tar, "_plain_header", spy)
    assert isinstance(_read(ARCHIVES["gnu"]), list)
    # The first member is read by TarFile as it opens; GNU longname and base-256 members by
    # tarfile; every other one here.
    assert "etc/os-release" in decoded and "dev/null" in decoded and "etc" not in decoded
    assert "big/uid" not in decoded and "a" * 120 not in decoded


def _fix_checksum(raw: bytearray, header: int) -> None:
    raw[header + 148 : header + 156] = b" " * 8
    raw[header + 148 : header + 156] = b"%06o\0 " % sum(raw[header : header + 512])


_FIELD_BYTES = st.sampled_from(
    [b"0", b"7", b"8", b" ", b"\0", b"-", b"+", b"_", b"x", b"/", b".", b"\x80", b"\xff",
     b"\xc3", b"5", b"L", b"K", b"x", b"g", b"S", b"1", b"2", b"3"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.sampled_from(sorted(ARCHIVES)),
    member=st.integers(0, len(MEMBERS) - 1),
    # In the fields tarfile reads (0-345, then the ustar prefix up to 500), often at the ends
    # of the numeric fields and on the type flag.
    edits=st.lists(
        st.tuples(
            st.one_of(st.integers(0, 500), st.sampled_from(
                [0, 99, 100, 106, 107, 108, 115, 123, 124, 134, 135, 136, 147, 148, 154, 155,
                 156, 157, 329, 336, 337, 344, 345, 499])),
            _FIELD_BYTES,
        ),
        min_size=1,
        max_size=4,
    ),
    fix=st.booleans(),
)
def test_damaged_headers_read_the_same(
    name: str, member: int, edits: list[tuple[int, bytes]], fix: bool
) -> None:
    raw = bytearray(ARCHIVES[name])
    with tarfile.open(fileobj=io.BytesIO(bytes(raw))) as archive:
        offsets = [m.offset for m in archive.getmembers()]
    header = offsets[member % len(offsets)]
    for at, value in edits:
        raw[header + at : header + at + 1] = value
    if fix:
        _fix_checksum(raw, header)
    with pytest.MonkeyPatch.context() as monkeypatch:
        walk, reference = _both(bytes(raw), monkeypatch)
    assert walk == reference
