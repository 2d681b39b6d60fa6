"""Hostile and malformed layers (issue 2, part 7): each case is either refused (exit 2, one line
naming the layer and the entry) or recorded and handled the way Docker and containerd apply
it. The decisions are documented in docs/image-sources.md."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from gate.analyzers.filesystem import FilesystemView, PathAction
from gate.errors import ImageError, UnsafeImageError
from gate.layer_walk import WalkOptions, walk_layers
from gate.sources.image import open_image
from gate.sources.image.layer_tar import LayerLimits
from gate.sources.image.model import EntryType, Image
from gate.testing.image_writer import (
    OPAQUE,
    WHITEOUT,
    Compression,
    Device,
    Dir,
    Hardlink,
    ImageSpec,
    LayerSpec,
    Symlink,
    build,
    layer_tar,
    with_layer_blob,
    write_oci_layout,
)
from tests.gate_cli import assert_one_error_line, check_image
from tests.sources.image.helpers import read_all

BASE: dict[str, Any] = {"etc/os-release": b"ID=test\n", "bin/sh": b"\x7fELF"}


def _info(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, **fields: Any
          ) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    info.mtime = 1704067200
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def _tar(*members: tuple[tarfile.TarInfo, bytes], tar_format: int = tarfile.PAX_FORMAT,
         pax_headers: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tar_format,
                      pax_headers=pax_headers) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def _image(tmp_path: Path, layers: Sequence[LayerSpec], compression: Compression = "gzip",
           name: str = "layout") -> Image:
    write_oci_layout(tmp_path / name, ImageSpec(layers=list(layers)), compression=compression)
    return open_image(f"oci:{tmp_path / name}")


def _walk(image: Image, limits: LayerLimits | None = None) -> FilesystemView:
    scans = walk_layers(image, [], WalkOptions(jobs=1, limits=limits or LayerLimits()))
    return FilesystemView.from_layers(scans)


# -- paths out of the root ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/etc/cron.d/evil", "absolute member path '/etc/cron.d/evil'"),
        ("../../etc/cron.d/evil", "member path '../../etc/cron.d/evil' contains '..'"),
        ("app/../../evil", "member path 'app/../../evil' contains '..'"),
        # Stays inside once cleaned (Docker cleans it), but no builder writes it and a reader
        # that resolves it differently from the runtime could be steered: refused too.
        ("app/../etc/passwd", "member path 'app/../etc/passwd' contains '..'"),
    ],
)
def test_member_paths_leaving_the_root(tmp_path: Path, name: str, message: str) -> None:
    image = _image(tmp_path, [BASE, _tar(_info("app/ok", b"1"), _info(name, b"x"))])
    with pytest.raises(UnsafeImageError, match=rf"^layer 1: {_re(message)}$"):
        read_all(image)


def _re(text: str) -> str:
    import re

    return re.escape(text)


def test_symlinks(tmp_path: Path) -> None:
    # Absolute targets resolve against the image root in every runtime; relative ones that
    # stay inside are fine; one that climbs above / is what Docker refuses ("invalid symlink").
    ok = _image(tmp_path, [BASE, {"usr/bin/python": Symlink("/usr/bin/python3.11"),
                                  "etc/alt/pager": Symlink("../../bin/less"),
                                  "etc/self": Symlink("."), "etc/loop": Symlink("loop")}])
    entries = {m.path: m for m, _ in read_all(ok)[1]}
    assert entries["/usr/bin/python"].link_target == "/usr/bin/python3.11"
    assert entries["/etc/alt/pager"].type is EntryType.SYMLINK
    escaping = _image(tmp_path, [BASE, {"etc/alt/pager": Symlink("../../../etc/shadow")}],
                      name="escaping")
    with pytest.raises(UnsafeImageError, match=r"^layer 1: symlink /etc/alt/pager escapes the "
                                               r"root: -> \.\./\.\./\.\./etc/shadow$"):
        read_all(escaping)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/etc/shadow", "absolute hard link /app/h target path '/etc/shadow'"),
        ("../../etc/shadow", "hard link /app/h target path '../../etc/shadow' contains '..'"),
        ("app/h", "hard link /app/h links to itself"),
        ("app", "hard link /app/h points to the directory /app"),
    ],
)
def test_hard_links_refused_while_streaming(tmp_path: Path, target: str, message: str) -> None:
    layer = _tar(_info("app", kind=tarfile.DIRTYPE, mode=0o755),
                 _info("app/h", kind=tarfile.LNKTYPE, linkname=target))
    with pytest.raises(UnsafeImageError, match=rf"^layer 1: {_re(message)}$"):
        read_all(_image(tmp_path, [BASE, layer]))


def test_hard_links_across_layers(tmp_path: Path) -> None:
    # To a file of the same layer written earlier, or of a lower layer: fine.
    image = _image(tmp_path, [
        {**BASE, "usr/bin/perl": b"perl", "usr/bin/perl5": Hardlink("/usr/bin/perl")},
        {"usr/local/bin/sh": Hardlink("/bin/sh")},
    ])
    view = _walk(image)
    final = view.final("/usr/local/bin/sh")
    assert final is not None and final[0].link_target == "/bin/sh"
    assert final[1].index == 1


@pytest.mark.parametrize(
    ("layers", "link", "target"),
    [
        # Nothing of that name anywhere.
        ([BASE, {"app/h": Hardlink("/nothere")}], "/app/h", "/nothere"),
        # Deleted by the layer in between.
        ([BASE, {"bin/sh": WHITEOUT}, {"app/h": Hardlink("/bin/sh")}], "/app/h", "/bin/sh"),
        # Its directory deleted by an opaque marker in between.
        ([{"etc/app/key": b"k"}, {"etc/app": OPAQUE}, {"app/h": Hardlink("/etc/app/key")}],
         "/app/h", "/etc/app/key"),
        # Written later in the same layer: at the time the link is applied it does not exist.
        ([BASE, {"app/h": Hardlink("/app/later"), "app/later": b"x"}], "/app/h", "/app/later"),
        # A directory of a lower layer.
        ([{"srv": Dir(), "srv/x": b"1"}, {"app/h": Hardlink("/srv")}], "/app/h", "/srv"),
    ],
)
def test_hard_links_to_nothing(
    tmp_path: Path, layers: list[LayerSpec], link: str, target: str
) -> None:
    image = _image(tmp_path, layers)
    last = len(layers) - 1
    with pytest.raises(UnsafeImageError, match=rf"^layer {last} {image.layers[last].ref.digest} "
                                               rf"of oci:.*: hard link {link} points to "
                                               rf"{target}, which is not a file of this layer "
                                               r"or of a lower one$"):
        _walk(image)


def test_devices_and_fifos_are_recorded_never_read(tmp_path: Path) -> None:
    image = _image(tmp_path, [BASE, {
        "dev/null": Device("char", 1, 3), "dev/sda": Device("block", 8, 0),
        "run/initctl": Device("fifo"), "dev/after": b"data"}])
    layer = read_all(image)[1]
    assert [(m.path, m.type, m.size, data) for m, data in layer] == [
        ("/dev/null", EntryType.OTHER, 0, b""), ("/dev/sda", EntryType.OTHER, 0, b""),
        ("/run/initctl", EntryType.OTHER, 0, b""), ("/dev/after", EntryType.FILE, 4, b"data")]


def test_unsupported_entry_types_are_refused(tmp_path: Path) -> None:
    # GNU volume header ('V') and dump directory ('D'): Docker's and containerd's extractors
    # refuse them ("unhandled tar header type"); their data would be checked by nobody.
    for kind in (b"V", b"D"):
        layer = _tar(_info("ok", b"1"), _info("vol", b"hidden data", kind=kind, size=11))
        with pytest.raises(UnsafeImageError, match=rf"entry /vol has unsupported tar type "
                                                   rf"{_re(repr(kind))}"):
            read_all(_image(tmp_path, [layer], name=kind.decode()))


# -- sizes and bombs ------------------------------------------------------------------------


def test_entry_with_a_huge_declared_size(tmp_path: Path) -> None:
    info, _ = _info("var/big")
    info.size = 20 * 1024**3  # PAX size record; the data is not there at all
    raw = _tar(_info("ok", b"1"))[:1024] + info.tobuf(tarfile.PAX_FORMAT) + bytes(1024)
    image = _image(tmp_path, [raw])
    with pytest.raises(UnsafeImageError, match=r"entry /var/big is 21474836480 bytes, over the "
                                               r"limit of 17179869184"):
        read_all(image)


def test_entry_declaring_more_data_than_the_layer_has(tmp_path: Path) -> None:
    info, _ = _info("var/log/big")
    info.size = 50_000_000
    raw = info.tobuf(tarfile.USTAR_FORMAT) + b"a" * 4096
    with pytest.raises(ImageError, match=r"^layer 0 sha256:\w+ is not a readable tar: unexpected "
                                         r"end of data$"):
        _walk(_image(tmp_path, [raw]))
    with pytest.raises(ImageError, match=r"^truncated tar entry /var/log/big$"):
        read_all(_image(tmp_path, [raw], name="read"))


def test_entry_count_cap(tmp_path: Path) -> None:
    image = _image(tmp_path, [{f"f/{i}": b"" for i in range(120)}])
    assert len(read_all(image, LayerLimits(max_entries=120))[0]) == 120
    with pytest.raises(UnsafeImageError, match=r"^layer 0 has more than 100 entries$"):
        read_all(image, LayerLimits(max_entries=100))


def test_total_content_cap(tmp_path: Path) -> None:
    image = _image(tmp_path, [{"a": b"1" * 4000, "b": b"2" * 4000, "c": b"3" * 4000}])
    with pytest.raises(UnsafeImageError, match=r"^layer 0 holds more than 10000 bytes of file "
                                               r"content$"):
        read_all(image, LayerLimits(max_total_bytes=10_000))
    with pytest.raises(UnsafeImageError, match=r"entry /a is 4000 bytes, over the limit of 3000"):
        read_all(image, LayerLimits(max_entry_bytes=3000))


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_bomb_of_zeros_stops_at_the_layer_cap(tmp_path: Path, compression: str) -> None:
    # 256 MiB of zeros compress to a few hundred KiB; zeros are a valid empty tar, so only the
    # cap on the inflated stream stops it (the walk would otherwise inflate all of it).
    zeros = bytes(1024 * 1024)
    if compression == "gzip":
        packer = gzip.GzipFile(fileobj=(out := io.BytesIO()), mode="wb", mtime=0)
        for _ in range(256):
            packer.write(zeros)
        packer.close()
        blob = out.getvalue()
    else:
        import zstandard

        blob = zstandard.ZstdCompressor(level=3).compress(zeros * 256)
    assert len(blob) < 2 * 1024 * 1024
    built = with_layer_blob(build(ImageSpec(layers=[BASE]), compression), 0, blob)
    write_oci_layout(tmp_path / "bomb", built)
    image = open_image(f"oci:{tmp_path / 'bomb'}")
    with pytest.raises(UnsafeImageError, match=r"^layer 0 sha256:\w+ of oci:.*bomb expands to "
                                               r"more than 8388608 bytes uncompressed$"):
        _walk(image, LayerLimits(max_layer_bytes=8 * 1024 * 1024))


def test_default_limits() -> None:
    # Documented in docs/image-sources.md; far above any real layer.
    assert LayerLimits() == LayerLimits(max_entries=1_000_000, max_total_bytes=64 * 1024**3,
                                        max_entry_bytes=16 * 1024**3,
                                        max_layer_bytes=65 * 1024**3)


# -- corrupt and truncated streams ----------------------------------------------------------


def _three_files() -> bytes:
    return _tar(_info("a.txt", b"alpha"), _info("b.txt", b"bravo"), _info("c.txt", b"charlie"))


def _offsets(raw: bytes) -> dict[str, tuple[int, int]]:
    """Member name -> (offset of its header, offset just after its data blocks)."""
    with tarfile.open(fileobj=io.BytesIO(raw)) as archive:
        return {m.name: (m.offset, m.offset_data + -(-m.size // 512) * 512)
                for m in archive.getmembers()}


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_corrupt_header_in_the_middle_of_a_layer(tmp_path: Path, compression: str) -> None:
    # Python's tarfile takes a bad header checksum after the first member for the end of the
    # archive: b.txt and c.txt (and any secret in them) would silently vanish.
    raw = bytearray(_three_files())
    header = _offsets(bytes(raw))["b.txt"][0]
    raw[header + 148 : header + 156] = b"0000000\0"  # the header checksum field
    image = _image(tmp_path, [bytes(raw)], compression)
    with pytest.raises(ImageError, match=rf"^layer 0 sha256:\w+ is not a readable tar: corrupt "
                                         rf"tar header at offset {header}$"):
        _walk(image)


def test_layer_cut_inside_a_header(tmp_path: Path) -> None:
    raw = _three_files()
    header = _offsets(raw)["c.txt"][0]
    image = _image(tmp_path, [raw[: header + 100]])
    with pytest.raises(ImageError, match=rf"is truncated: a partial tar header at offset "
                                         rf"{header}$"):
        _walk(image)


def test_layer_ending_on_a_header_boundary_without_end_marker(tmp_path: Path) -> None:
    # Go's archive/tar (so Docker) accepts a tar that simply stops between members.
    raw = _three_files()
    image = _image(tmp_path, [raw[: _offsets(raw)["c.txt"][1]]])
    assert [m.path for m, _ in read_all(image)[0]] == ["/a.txt", "/b.txt", "/c.txt"]


def test_data_after_the_end_of_archive(tmp_path: Path) -> None:
    hidden = b"AKIA" + b"HIDDEN" * 50
    image = _image(tmp_path, [_three_files() + hidden])
    with pytest.raises(UnsafeImageError, match=r"has data after the end-of-archive marker \(at "
                                               r"offset 10240\)"):
        _walk(image)
    # One zero block, then more members: Go reads that as a corrupt archive.
    raw = _three_files()
    end = _offsets(raw)["c.txt"][1]
    image = _image(tmp_path, [raw[:end] + bytes(512) + _tar(_info("d.txt", b"delta"))],
                   name="zero-block")
    with pytest.raises(UnsafeImageError, match="data after the end-of-archive marker"):
        _walk(image)


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_truncated_compressed_stream(tmp_path: Path, compression: Compression) -> None:
    # The blob as published is cut (its digest is of the cut bytes): the decompressor says so.
    built = build(ImageSpec(layers=[{"a": b"x" * 100_000, "b": bytes(range(256)) * 400}]),
                  compression)
    cut = built.layers[0].blob[: len(built.layers[0].blob) * 2 // 3]
    write_oci_layout(tmp_path / "cut", with_layer_blob(built, 0, cut))
    image = open_image(f"oci:{tmp_path / 'cut'}")
    with pytest.raises(ImageError, match=rf"^layer 0 sha256:\w+ of oci:.*cut: {compression} "
                                         r"stream is truncated$"):
        _walk(image)


def test_garbage_after_the_gzip_stream(tmp_path: Path) -> None:
    built = build(ImageSpec(layers=[BASE]))
    blob = built.layers[0].blob + b"not gzip at all"
    write_oci_layout(tmp_path / "trailing", with_layer_blob(built, 0, blob))
    with pytest.raises(ImageError, match="trailing data after the gzip stream"):
        _walk(open_image(f"oci:{tmp_path / 'trailing'}"))


def test_pax_global_header_that_renames_entries(tmp_path: Path) -> None:
    # Python applies a global "path" to later entries, Docker ignores it: gate would scan a
    # file under another name than the one the container sees.
    layer = _tar(_info("app/secret.txt", b"s"), pax_headers={"path": "innocent"})
    with pytest.raises(UnsafeImageError, match=r"a PAX global header sets 'path'"):
        read_all(_image(tmp_path, [layer]))
    # A harmless global record (git archive writes the commit id as "comment") is fine.
    layer = _tar(_info("app/readme", b"r"), pax_headers={"comment": "0123abcd"})
    assert [m.path for m, _ in read_all(_image(tmp_path, [layer], name="ok"))[0]] == [
        "/app/readme"]


# -- recorded and handled -------------------------------------------------------------------


def test_duplicate_path_in_one_layer(tmp_path: Path) -> None:
    # layer.md says MUST NOT, but runtimes apply the last one; both are in the blob, so both
    # are read (a secret in the first is still extractable), and the view keeps the last.
    layer = _tar(_info("app/config", b"first"), _info("app/config", b"second-version"))
    image = _image(tmp_path, [BASE, layer])
    assert [(m.path, data) for m, data in read_all(image)[1]] == [
        ("/app/config", b"first"), ("/app/config", b"second-version")]
    view = _walk(image)
    final = view.final("/app/config")
    assert final is not None and final[0].size == len(b"second-version")
    assert [e.action for e in view.history("/app/config")] == [PathAction.ADDED]


def test_whiteout_forms(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        {"etc/app": Dir(), "etc/app/old.conf": b"1", "etc/app/keep": b"2", "etc/passwd": b"p",
         "srv/data": Dir(), "srv/data/a": b"a", "srv/data/sub/b": b"b", "opt/x": b"x"},
        {"etc/passwd": WHITEOUT, "srv/data": WHITEOUT, "etc/app": OPAQUE,
         "etc/app/new.conf": b"n"},
        # Whiteout and re-creation in the same layer: the whiteout hides the lower file only.
        _tar(_info("opt/.wh.x"), _info("opt/x", b"new x"),
             _info("etc/.wh..wh.plnk", kind=tarfile.DIRTYPE, mode=0o700)),
    ])
    layers = read_all(image)
    metas = {(m.path, m.whiteout, m.opaque) for m, _ in layers[1]}
    assert metas == {("/etc/passwd", True, False), ("/srv/data", True, False),
                     ("/etc/app", False, True), ("/etc/app/new.conf", False, False)}
    # aufs hard-link metadata (.wh..wh.plnk) is not a file of the image.
    assert [m.path for m, _ in layers[2]] == ["/opt/x", "/opt/x"]
    view = _walk(image)
    assert not view.exists("/etc/passwd") and not view.exists("/etc/app/old.conf")
    assert not view.exists("/srv/data/sub/b") and not view.exists("/srv/data")
    assert view.exists("/etc/app/new.conf")
    assert view.removed_in("/srv/data/sub/b", 0) == view.layer(1)
    final = view.final("/opt/x")
    assert final is not None and final[1].index == 2 and final[0].size == 5
    assert [(e.layer_index, e.action) for e in view.history("/opt/x")] == [
        (0, PathAction.ADDED), (2, PathAction.DELETED), (2, PathAction.ADDED)]


@pytest.mark.parametrize("name", ["etc/.wh.", "etc/.wh..", "etc/.wh..."])
def test_whiteout_naming_nothing(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsafeImageError, match=r"whiteout /etc/\.wh\.\.?\.? names no file"):
        read_all(_image(tmp_path, [BASE, _tar(_info(name))]))


@pytest.mark.parametrize("tar_format", ["pax", "gnu"])
def test_long_names_and_link_targets(tmp_path: Path, tar_format: str) -> None:
    long_dir = "opt/" + "/".join(f"segment-{i:02d}-" + "x" * 20 for i in range(12))
    long_name = f"{long_dir}/{'n' * 180}.conf"
    long_target = "/" + long_name
    raw = layer_tar({long_name: b"deep", "usr/link": Symlink(long_target),
                     "usr/hard": Hardlink(long_target), "caf\u00e9/\u00fc.txt": b"utf8"},
                    tar_format="gnu" if tar_format == "gnu" else "pax")
    if tar_format == "gnu":
        assert b"././@LongLink" in raw
    image = _image(tmp_path, [raw])
    entries = [(m.path, m.type, m.link_target, data) for m, data in read_all(image)[0]]
    assert entries == [
        (f"/{long_name}", EntryType.FILE, None, b"deep"),
        ("/usr/link", EntryType.SYMLINK, long_target, b""),
        ("/usr/hard", EntryType.HARDLINK, long_target, b""),
        ("/caf\u00e9/\u00fc.txt", EntryType.FILE, None, b"utf8"),
    ]
    assert len(long_name) > 400
    _walk(image)  # the hard link resolves


# -- through the CLI ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "needle"),
    [
        (_tar(_info("/etc/shadow", b"x")), "absolute member path '/etc/shadow'"),
        ({"app/h": Hardlink("/nothere")}, "hard link /app/h points to /nothere"),
        (_three_files() + b"trailing secret", "data after the end-of-archive marker"),
    ],
)
def test_hostile_layer_through_the_cli(tmp_path: Path, layer: LayerSpec, needle: str) -> None:
    write_oci_layout(tmp_path / "layout", ImageSpec(layers=[BASE, layer]))
    assert_one_error_line(check_image(f"oci:{tmp_path / 'layout'}"), "layer 1 sha256:", needle)
