"""The stores under the sources: a layout directory and an archive tar read without extraction,
and what a crafted or damaged one does."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from gate.errors import ImageError, UnsafeImageError
from gate.sources.image import open_image
from gate.testing.image_writer import BuiltImage, ImageSpec, write_oci_archive, write_oci_layout
from tests.sources.image.helpers import paths

SPEC = ImageSpec(layers=[{"etc/os-release": b"ID=test\n"}, {"app/run": b"#!/bin/sh\n" * 100}])


def _members(path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(path) as archive:
        return archive.getmembers()


def test_archive_cut_inside_a_header(tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    write_oci_archive(archive, SPEC)
    last = _members(archive)[-1]
    archive.write_bytes(archive.read_bytes()[: last.offset + 200])
    with pytest.raises(ImageError, match=rf"image archive {archive} is truncated \(a partial tar "
                                         rf"header at offset {last.offset}\)"):
        open_image(f"oci-archive:{archive}")


def test_archive_cut_inside_a_member(tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    write_oci_archive(archive, SPEC)
    member = max(_members(archive), key=lambda m: m.size)
    archive.write_bytes(archive.read_bytes()[: member.offset_data + member.size // 2])
    with pytest.raises(ImageError, match=rf"image archive {archive} is truncated at "
                                         rf"{member.name}$"):
        open_image(f"oci-archive:{archive}")


def test_archive_with_a_corrupt_header_in_the_middle(tmp_path: Path) -> None:
    # Python's tarfile would stop there silently and the later blobs would look "missing".
    archive = tmp_path / "img.tar"
    write_oci_archive(archive, SPEC)
    member = _members(archive)[3]
    data = bytearray(archive.read_bytes())
    data[member.offset + 148 : member.offset + 156] = b"1234567\0"
    archive.write_bytes(bytes(data))
    with pytest.raises(ImageError, match=rf"is not a readable tar: corrupt tar header at offset "
                                         rf"{member.offset}$"):
        open_image(f"oci-archive:{archive}")


def test_compressed_archive(tmp_path: Path) -> None:
    import gzip

    archive = tmp_path / "img.tar"
    write_oci_archive(archive, SPEC)
    packed = tmp_path / "img.tar.gz"
    packed.write_bytes(gzip.compress(archive.read_bytes()))
    with pytest.raises(ImageError, match=r"is compressed; gate reads uncompressed tars \("
                                         r"decompress it first"):
        open_image(f"oci-archive:{packed}")


def test_archive_member_links(tmp_path: Path) -> None:
    # skopeo and docker save link duplicate layers to one member; a link must stay inside.
    archive = tmp_path / "img.tar"
    built = write_oci_archive(archive, SPEC)["latest"]
    assert isinstance(built, BuiltImage)
    digest = built.layers[1].digest
    renamed = tmp_path / "linked.tar"
    with tarfile.open(archive) as source, tarfile.open(renamed, "w") as target:
        for member in source.getmembers():
            if member.name == f"blobs/sha256/{digest[7:]}":
                member.name = "store/layer-1.tar"
                target.addfile(member, source.extractfile(member))
                link = tarfile.TarInfo(f"blobs/sha256/{digest[7:]}")
                link.type, link.linkname = tarfile.SYMTYPE, "../../store/layer-1.tar"
                target.addfile(link)
            else:
                target.addfile(member, source.extractfile(member) if member.isfile() else None)
    assert paths(open_image(f"oci-archive:{renamed}")) == [["/etc/os-release"], ["/app/run"]]

    escaping = tmp_path / "escaping.tar"
    with tarfile.open(escaping, "w") as target:
        link = tarfile.TarInfo("blobs/sha256/" + "a" * 64)
        link.type, link.linkname = tarfile.SYMTYPE, "../../../../etc/passwd"
        target.addfile(link)
    with pytest.raises(UnsafeImageError, match=r"link blobs/sha256/a+ in image archive escapes "
                                               r"the archive: \.\./\.\./\.\./\.\./etc/passwd"):
        open_image(f"oci-archive:{escaping}")


def test_layout_blob_symlinked_out_of_the_layout(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    built = write_oci_layout(layout, SPEC)["latest"]
    assert isinstance(built, BuiltImage)
    secret = tmp_path / "host-secret"
    secret.write_bytes(b"not part of the image")
    blob = layout / "blobs" / "sha256" / built.config_digest[7:]
    blob.unlink()
    blob.symlink_to(secret)
    with pytest.raises(UnsafeImageError, match=rf"blob {built.config_digest} in {layout} "
                                               r"resolves outside the layout"):
        open_image(f"oci:{layout}")


def test_layout_blob_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    # An unpacked CI artifact can hold a FIFO; opening it for reading would block forever.
    layout = tmp_path / "layout"
    built = write_oci_layout(layout, SPEC)["latest"]
    assert isinstance(built, BuiltImage)
    blob = layout / "blobs" / "sha256" / built.manifest_digest[7:]
    blob.unlink()
    os.mkfifo(blob)
    with pytest.raises(UnsafeImageError, match=rf"blob {built.manifest_digest} in {layout} is "
                                               r"not a regular file"):
        open_image(f"oci:{layout}")


def test_layout_index_json_too_large(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    write_oci_layout(layout, SPEC)
    with open(layout / "index.json", "ab") as handle:
        handle.write(b" " * (9 * 1024 * 1024))
    with pytest.raises(ImageError, match=r"index\.json in .* is larger than 8388608 bytes"):
        open_image(f"oci:{layout}")


def test_archive_never_extracted(tmp_path: Path) -> None:
    # The archive is read in place: nothing appears next to it or in the working directory.
    archive = tmp_path / "img.tar"
    write_oci_archive(archive, SPEC)
    before = sorted(p.name for p in tmp_path.iterdir())
    image = open_image(f"oci-archive:{archive}")
    assert paths(image) == [["/etc/os-release"], ["/app/run"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert image.store.describe() == str(archive)
