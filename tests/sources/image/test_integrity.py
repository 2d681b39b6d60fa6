"""Every blob is verified while it streams: one flipped byte anywhere, a wrong diff_id, a lying
descriptor or a missing blob is exit 2 with one line naming the blob, through the real CLI."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any, cast

import pytest

from gate.testing.image_writer import (
    BuiltImage,
    Compression,
    ImageSpec,
    build,
    build_index,
    edit_config,
    edit_manifest,
    sha256,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)
from tests.gate_cli import assert_one_error_line, check_image

SPEC = ImageSpec(layers=[
    {"etc/os-release": b"ID=test\n", "usr/share/doc/a": b"lorem ipsum " * 500},
    {"app/main.py": b"print('hello')\n" * 300, "app/data.bin": bytes(range(256)) * 64},
])


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _blob(layout: Path, digest: str) -> Path:
    return layout / "blobs" / "sha256" / digest[7:]


def _layout(tmp_path: Path, built: BuiltImage | Any) -> tuple[Path, str]:
    layout = tmp_path / "layout"
    write_oci_layout(layout, built)
    return layout, f"oci:{layout}"


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_flipped_byte_in_a_layer(tmp_path: Path, compression: str, where: str) -> None:
    built = build(SPEC, cast(Compression, compression))
    layout, ref = _layout(tmp_path, built)
    layer = built.layers[1]
    size = len(layer.blob)
    # start: inside the first tar header (or the gzip/zstd header); end: the trailer.
    offset = {"start": 12 if compression == "none" else 4, "middle": size // 2,
              "end": size - 3}[where]
    if compression == "none" and where == "end":
        offset = len(layer.tar) - 2048 - 1  # the last data byte, not the zero padding
    _flip(_blob(layout, layer.digest), offset)
    line = assert_one_error_line(check_image(ref), f"layer 1 {layer.digest}")
    # Whatever the flipped byte broke first (inflate, the tar structure), the cause reported
    # is the digest, so a tampered blob is never mistaken for a merely corrupt one.
    assert "digest mismatch" in line, line


def test_flipped_byte_in_the_config(tmp_path: Path) -> None:
    built = build(SPEC)
    layout, ref = _layout(tmp_path, built)
    _flip(_blob(layout, built.config_digest), 20)
    assert_one_error_line(check_image(ref), f"digest mismatch for config {built.config_digest}")


def test_flipped_byte_in_the_manifest(tmp_path: Path) -> None:
    built = build(SPEC)
    layout, ref = _layout(tmp_path, built)
    _flip(_blob(layout, built.manifest_digest), 30)
    assert_one_error_line(check_image(ref),
                          f"digest mismatch for manifest {built.manifest_digest}")


def test_flipped_byte_in_the_index_that_index_json_names(tmp_path: Path) -> None:
    index = build_index({"linux/amd64": SPEC, "linux/arm64": SPEC})
    layout, ref = _layout(tmp_path, index)
    _flip(_blob(layout, index.digest), 40)
    assert_one_error_line(check_image(ref, "--platform", "linux/amd64"),
                          f"digest mismatch for manifest {index.digest}")


def test_index_json_names_a_blob_that_is_not_there(tmp_path: Path) -> None:
    built = build(SPEC)
    layout, ref = _layout(tmp_path, built)
    index = json.loads((layout / "index.json").read_text())
    wrong = sha256(b"something else")
    index["manifests"][0]["digest"] = wrong
    (layout / "index.json").write_text(json.dumps(index))
    assert_one_error_line(check_image(ref), f"blob {wrong} is missing from {layout}")


def test_diff_id_that_does_not_match_the_uncompressed_layer(tmp_path: Path) -> None:
    built = build(SPEC)
    wrong = sha256(b"not this layer")

    def lie(doc: dict[str, Any]) -> None:
        doc["rootfs"]["diff_ids"][0] = wrong

    bad = edit_config(built, lie)
    _, ref = _layout(tmp_path, bad)
    assert_one_error_line(
        check_image(ref),
        f"digest mismatch for layer 0 {built.layers[0].digest}",
        f"(uncompressed, diff_id): expected {wrong}, got {built.layers[0].diff_id}",
    )


@pytest.mark.parametrize("change", ["fewer", "more"])
def test_layer_count_differs_from_diff_ids(tmp_path: Path, change: str) -> None:
    built = build(SPEC)

    def edit(doc: dict[str, Any]) -> None:
        if change == "fewer":
            doc["rootfs"]["diff_ids"].pop()
        else:
            doc["rootfs"]["diff_ids"].append(built.layers[0].diff_id)

    bad = edit_config(built, edit)
    _, ref = _layout(tmp_path, bad)
    diff_ids = 1 if change == "fewer" else 3
    assert_one_error_line(check_image(ref), f"manifest {bad.manifest_digest}",
                          f"lists 2 layers but its config has {diff_ids} diff_ids")


@pytest.mark.parametrize("what", ["layer", "config", "manifest"])
def test_missing_blob(tmp_path: Path, what: str) -> None:
    built = build(SPEC)
    layout, ref = _layout(tmp_path, built)
    digest = {"layer": built.layers[0].digest, "config": built.config_digest,
              "manifest": built.manifest_digest}[what]
    _blob(layout, digest).unlink()
    assert_one_error_line(check_image(ref), f"blob {digest} is missing from {layout}")


@pytest.mark.parametrize("what", ["layer", "config"])
@pytest.mark.parametrize("delta", [-7, 7])
def test_descriptor_size_that_lies(tmp_path: Path, what: str, delta: int) -> None:
    built = build(SPEC)

    def edit(doc: dict[str, Any]) -> None:
        target = doc["layers"][1] if what == "layer" else doc["config"]
        target["size"] += delta

    bad = edit_manifest(built, edit)
    _, ref = _layout(tmp_path, bad)
    digest = built.layers[1].digest if what == "layer" else built.config_digest
    real = len(built.layers[1].blob) if what == "layer" else len(built.config)
    line = assert_one_error_line(check_image(ref), f"size mismatch for {what} ",
                                 f"{digest}", f"its descriptor says {real + delta} bytes")
    # Longer than declared: reading stops one byte past the declared size.
    longer = delta < 0 and what == "layer"
    assert line.endswith(f"the blob has more than {real + delta}" if longer
                         else f"the blob has {real}"), line


def _member(archive: Path, predicate: Any) -> tarfile.TarInfo:
    with tarfile.open(archive) as tar:
        return next(m for m in tar.getmembers() if predicate(m))


def test_legacy_docker_archive_flipped_layer_and_config(tmp_path: Path) -> None:
    archive = tmp_path / "app.tar"
    (built,) = write_docker_archive(archive, [(SPEC, ["example/app:1"])])
    member = _member(archive, lambda m: m.name.endswith("layer.tar") and m.size > 20000)
    _flip(archive, member.offset_data + 700)
    diff_id = next(layer.diff_id for layer in built.layers if len(layer.tar) == member.size)
    assert_one_error_line(check_image(f"docker-archive:{archive}"),
                          f"digest mismatch for layer 1 {diff_id}", "(uncompressed, diff_id)")

    write_docker_archive(archive, [(SPEC, ["example/app:1"])])
    member = _member(archive, lambda m: m.name.endswith(".json") and "/" not in m.name)
    _flip(archive, member.offset_data + 10)
    assert_one_error_line(check_image(f"docker-archive:{archive}"),
                          f"digest mismatch for config {member.name}")


def test_docker25_archive_flipped_layer(tmp_path: Path) -> None:
    archive = tmp_path / "app.tar"
    (built,) = write_docker_archive(archive, [(SPEC, ["example/app:1"])], style="oci")
    digest = built.layers[0].digest
    member = _member(archive, lambda m: m.name == f"blobs/sha256/{digest[7:]}")
    _flip(archive, member.offset_data + member.size // 2)
    assert_one_error_line(check_image(f"docker-archive:{archive}"),
                          f"digest mismatch for layer 0 {digest}")


def test_oci_archive_flipped_layer(tmp_path: Path) -> None:
    archive = tmp_path / "app.tar"
    built = write_oci_archive(archive, SPEC)["latest"]
    assert isinstance(built, BuiltImage)
    digest = built.layers[1].digest
    member = _member(archive, lambda m: m.name == f"blobs/sha256/{digest[7:]}")
    _flip(archive, member.offset_data + member.size // 2)
    assert_one_error_line(check_image(f"oci-archive:{archive}"),
                          f"digest mismatch for layer 1 {digest}")


def test_legacy_docker_archive_layer_count_differs_from_diff_ids(tmp_path: Path) -> None:
    def extra(doc: dict[str, Any]) -> None:
        doc["rootfs"]["diff_ids"].append(doc["rootfs"]["diff_ids"][0])

    bad = edit_config(build(SPEC, "none", "docker"), extra)
    archive = tmp_path / "app.tar"
    write_docker_archive(archive, [(bad, ["example/app:1"])])
    assert_one_error_line(check_image(f"docker-archive:{archive}"),
                          f"manifest.json of {archive} lists 2 layers but the config has 3 "
                          "diff_ids")
