"""Manifests, configs and indexes: media types, compressions, foreign layers, nested indexes,
attestation manifests and platform selection."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any, cast

import pytest

from gate.errors import ImageError, PlatformNotFoundError, UsageError
from gate.sources.image import open_image
from gate.sources.image.model import LayerCompression, Platform
from gate.sources.image.platforms import host_platform, match_rank, parse_platform
from gate.testing.image_writer import (
    BuiltImage,
    Compression,
    ImageSpec,
    ManifestFormat,
    build,
    build_index,
    edit_manifest,
    index_of,
    layer_tar,
    sha256,
    with_layer_blob,
    write_oci_layout,
)
from tests.sources.image.helpers import paths, read_all

SPEC = ImageSpec(layers=[{"etc/os-release": b"ID=test\n"}, {"app/run": b"#!/bin/sh\n"}])
NONDIST = "application/vnd.oci.image.layer.nondistributable.v1.tar"
NONDIST_GZIP = NONDIST + "+gzip"
DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"


def _layout(tmp_path: Path, item: Any, name: str = "layout") -> str:
    write_oci_layout(tmp_path / name, item)
    return f"oci:{tmp_path / name}"


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
@pytest.mark.parametrize("manifest_format", ["oci", "docker"])
def test_media_types_and_compressions(
    tmp_path: Path, manifest_format: str, compression: str
) -> None:
    built = build(SPEC, cast(Compression, compression), cast(ManifestFormat, manifest_format))
    image = open_image(_layout(tmp_path, built))
    assert image.manifest_digest == built.manifest_digest
    assert [layer.media_type for layer in image.layers] == [
        layer.media_type for layer in built.layers]
    assert {layer.compression for layer in image.layers} == {LayerCompression(compression)}
    assert paths(image) == [["/etc/os-release"], ["/app/run"]]


def _relabel(built: BuiltImage, index: int, media_type: str, **extra: Any) -> BuiltImage:
    def edit(doc: dict[str, Any]) -> None:
        doc["layers"][index]["mediaType"] = media_type
        doc["layers"][index].update(extra)

    return edit_manifest(built, edit)


@pytest.mark.parametrize(
    ("compression", "label", "says", "is_"),
    [
        ("none", "application/vnd.oci.image.layer.v1.tar+gzip", "gzip", "an uncompressed tar"),
        ("gzip", "application/vnd.oci.image.layer.v1.tar+zstd", "zstd", "gzip"),
        ("zstd", "application/vnd.oci.image.layer.v1.tar", "an uncompressed tar", "zstd"),
        ("none", "application/vnd.docker.image.rootfs.diff.tar.gzip", "gzip",
         "an uncompressed tar"),
    ],
)
def test_media_type_that_lies_about_compression(
    tmp_path: Path, compression: str, label: str, says: str, is_: str
) -> None:
    built = _relabel(build(SPEC, cast(Compression, compression)), 1, label)
    image = open_image(_layout(tmp_path, built))
    digest = built.layers[1].digest
    with pytest.raises(ImageError, match=rf"layer 1 {digest} of .*: media type "
                                         rf"{re.escape(label)} declares {says} but the blob "
                                         rf"is {is_}$"):
        read_all(image)


@pytest.mark.parametrize("media_type", [NONDIST, NONDIST_GZIP, DOCKER_FOREIGN])
def test_foreign_layers_present_in_the_layout_are_read(tmp_path: Path, media_type: str) -> None:
    compression: Compression = "none" if media_type == NONDIST else "gzip"
    built = _relabel(build(SPEC, compression), 0, media_type,
                     urls=["https://foreign.invalid/layer.tar"])
    image = open_image(_layout(tmp_path, built))
    assert image.layers[0].media_type == media_type
    assert paths(image) == [["/etc/os-release"], ["/app/run"]]


def test_foreign_layer_absent_from_the_layout_is_an_error(tmp_path: Path) -> None:
    # gate never fetches a layer's urls (no network, and an unverifiable source): a layer it
    # cannot read is "could not decide", naming it.
    built = _relabel(build(SPEC), 0, NONDIST_GZIP, urls=["https://foreign.invalid/l.tgz"])
    ref = _layout(tmp_path, built)
    digest = built.layers[0].digest
    (tmp_path / "layout" / "blobs" / "sha256" / digest[7:]).unlink()
    image = open_image(ref)
    with pytest.raises(ImageError, match=rf"blob {digest} is missing from"):
        read_all(image)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["layers"][0].update(mediaType="application/vnd.in-toto+json"),
         r"layer 0 sha256:\w+ has unknown media type 'application/vnd.in-toto\+json'"),
        (lambda d: d["layers"][1].pop("mediaType"),
         r"layer 1 sha256:\w+ has unknown media type ''"),
        (lambda d: d["config"].update(mediaType="application/vnd.cncf.helm.config.v1+json"),
         r"is not a container image: config media type 'application/vnd.cncf.helm"),
        (lambda d: d.update(mediaType="application/vnd.example.manifest+json"),
         r"has unknown media type 'application/vnd.example.manifest\+json'"),
        (lambda d: d.update(schemaVersion=1, mediaType="application/vnd.docker.distribution"
                                                      ".manifest.v1+prettyjws"),
         r"is a Docker schema 1 manifest"),
    ],
)
def test_unknown_media_types(tmp_path: Path, edit: Any, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        open_image(_layout(tmp_path, edit_manifest(build(SPEC), edit)))


def test_index_entry_of_unknown_media_type(tmp_path: Path) -> None:
    built = build(SPEC)
    layout = tmp_path / "layout"
    write_oci_layout(layout, built)
    index = json.loads((layout / "index.json").read_text())
    index["manifests"][0]["mediaType"] = "application/vnd.example.thing+json"
    (layout / "index.json").write_text(json.dumps(index))
    with pytest.raises(ImageError, match=r"entry sha256:\w+ has unknown media type "
                                         r"'application/vnd.example.thing\+json'"):
        open_image(f"oci:{layout}")


def _other_platforms() -> list[str]:
    host = host_platform()
    return [p for p in ("linux/amd64", "linux/arm64/v8", "linux/s390x")
            if match_rank(parse_platform(p), host) is None]


def test_index_defaults_to_the_host_platform_and_skips_attestations(tmp_path: Path) -> None:
    host = str(host_platform())
    specs = {p: ImageSpec(layers=[{f"only/{p.replace('/', '-')}": b"x"}])
             for p in [*_other_platforms(), host]}
    built = build_index(specs)  # BuildKit style: one unknown/unknown attestation per image
    index = json.loads(built.index)
    assert [m["platform"]["os"] for m in index["manifests"]].count("unknown") == len(specs)
    ref = _layout(tmp_path, built)
    image = open_image(ref)
    assert image.manifest_digest == built.images[host].manifest_digest
    assert paths(image) == [[f"/only/{host.replace('/', '-')}"]]


def test_attestation_manifests_are_never_picked(tmp_path: Path) -> None:
    # Only attestations left for the asked platform: an error, not the attestation.
    built = build_index({"linux/s390x": SPEC})
    with pytest.raises(PlatformNotFoundError, match=r"available: linux/s390x \("):
        open_image(_layout(tmp_path, built), "unknown/unknown")


@pytest.mark.parametrize(
    ("wanted", "picked"),
    [
        ("linux/arm64", "linux/arm64/v8"),
        ("linux/arm64/v8", "linux/arm64/v8"),
        ("linux/aarch64", "linux/arm64/v8"),
        ("Linux/ARM64", "linux/arm64/v8"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/amd64/v1", "linux/amd64"),
        ("linux/amd64/v2", "linux/amd64"),  # a v2 machine runs v1 images, not v3 ones
        ("linux/amd64/v3", "linux/amd64/v3"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/arm/7", "linux/arm/v7"),
    ],
)
def test_platform_normalisation(tmp_path: Path, wanted: str, picked: str) -> None:
    platforms = ["linux/amd64", "linux/amd64/v3", "linux/arm64/v8", "linux/arm/v7"]
    built = build_index({p: ImageSpec(layers=[{p.replace("/", "-"): b"x"}]) for p in platforms})
    image = open_image(_layout(tmp_path, built), wanted)
    assert image.manifest_digest == built.images[picked].manifest_digest


def test_variant_fallbacks(tmp_path: Path) -> None:
    built = build_index({"linux/arm/v6": SPEC, "linux/amd64/v3": SPEC, "linux/arm64": SPEC})
    ref = _layout(tmp_path, built)
    # arm/v7 runs v6 images; arm64 without a variant is v8.
    assert open_image(ref, "linux/arm/v7").manifest_digest == built.images["linux/arm/v6"] \
        .manifest_digest
    assert open_image(ref, "linux/arm64/v8").manifest_digest == built.images["linux/arm64"] \
        .manifest_digest
    # No variant asked for: the only amd64 image serves, whatever its variant.
    assert open_image(ref, "linux/amd64").manifest_digest == built.images["linux/amd64/v3"] \
        .manifest_digest
    with pytest.raises(PlatformNotFoundError, match=r"no image for platform linux/arm/v5; "
                                                    r"available: linux/amd64/v3, linux/arm/v6, "
                                                    r"linux/arm64 \(choose one with --platform\)"):
        open_image(ref, "linux/arm/v5")
    with pytest.raises(PlatformNotFoundError, match="no image for platform linux/amd64/v2"):
        open_image(ref, "linux/amd64/v2")


def test_absent_platform_lists_the_available_ones(tmp_path: Path) -> None:
    built = build_index({"linux/arm64/v8": SPEC, "linux/s390x": SPEC, "windows/amd64": SPEC})
    ref = _layout(tmp_path, built)
    with pytest.raises(PlatformNotFoundError, match=r"no image for platform linux/ppc64le; "
                                                    r"available: linux/arm64/v8, linux/s390x, "
                                                    r"windows/amd64"):
        open_image(ref, "linux/ppc64le")
    with pytest.raises(UsageError, match="invalid platform 'linux'"):
        open_image(ref, "linux")


def test_single_platform_image_and_an_explicit_other_platform(tmp_path: Path) -> None:
    ref = _layout(tmp_path, build(ImageSpec(layers=SPEC.layers, architecture="arm64",
                                            variant="v8")))
    assert str(open_image(ref, "linux/arm64").platform) == "linux/arm64/v8"
    assert str(open_image(ref).platform) == "linux/arm64/v8"  # no index: nothing to choose
    with pytest.raises(PlatformNotFoundError, match="single-platform image for linux/arm64/v8, "
                                                    "not linux/amd64"):
        open_image(ref, "linux/amd64")


@pytest.mark.parametrize("manifest_format", ["oci", "docker"])
def test_index_of_indexes(tmp_path: Path, manifest_format: str) -> None:
    fmt = cast(ManifestFormat, manifest_format)
    arm = build_index({"linux/arm64/v8": SPEC, "linux/arm/v7": SPEC}, manifest_format=fmt)
    amd = build_index({"linux/amd64": ImageSpec(layers=[{"amd": b"1"}])}, manifest_format=fmt,
                      attestations=False)
    s390x = build(ImageSpec(layers=[{"s390x": b"1"}], architecture="s390x"),
                  manifest_format=fmt)
    # Nested indexes without a platform are searched; one with a platform that cannot serve
    # the wanted one is not opened at all.
    outer = index_of([(arm, None), (amd, "linux/amd64"), (s390x, "linux/s390x")], fmt)
    ref = _layout(tmp_path, outer)
    assert open_image(ref, "linux/arm/v7").manifest_digest == \
        arm.images["linux/arm/v7"].manifest_digest
    assert paths(open_image(ref, "linux/amd64")) == [["/amd"]]
    assert paths(open_image(ref, "linux/s390x")) == [["/s390x"]]
    (tmp_path / "layout" / "blobs" / "sha256" / amd.digest[7:]).unlink()
    assert paths(open_image(ref, "linux/s390x")) == [["/s390x"]]
    with pytest.raises(PlatformNotFoundError, match=r"available: linux/arm/v7, linux/arm64/v8, "
                                                    r"linux/s390x"):
        open_image(ref, "linux/riscv64")


def test_index_nested_too_deep(tmp_path: Path) -> None:
    item: Any = build(SPEC)
    for _ in range(5):
        item = index_of([(item, None)])
    with pytest.raises(ImageError, match="indexes nested more than 4 deep"):
        open_image(_layout(tmp_path, item))


def test_platform_of_index_entry_fills_a_config_without_one(tmp_path: Path) -> None:
    built = build(ImageSpec(layers=SPEC.layers, os="", architecture=""))
    index = index_of([(built, "linux/riscv64")])
    image = open_image(_layout(tmp_path, index), "linux/riscv64")
    assert image.platform == Platform("linux", "riscv64")


def test_gzip_multi_member_layer(tmp_path: Path) -> None:
    # pigz and concatenated gzip streams: one layer, several gzip members.
    tar = layer_tar({"a/one": b"1" * 5000, "a/two": b"2" * 5000})
    blob = gzip.compress(tar[:4096], mtime=0) + gzip.compress(tar[4096:], mtime=0)
    built = with_layer_blob(build(SPEC), 0, blob, sha256(tar))
    image = open_image(_layout(tmp_path, built))
    assert [(m.path, data) for m, data in read_all(image)[0]] == [
        ("/a/one", b"1" * 5000), ("/a/two", b"2" * 5000)]


def test_zstd_layer_of_several_frames_with_skippable_frames(tmp_path: Path) -> None:
    # zstd:chunked (containers/storage) layers: a skippable frame may come first and last
    # (RFC 8878 3.1.2, magic 0x184D2A5?), the tar spread over several frames.
    import struct

    import zstandard

    tar = layer_tar({"a/one": b"1" * 5000, "a/two": b"2" * 5000})
    packer = zstandard.ZstdCompressor()
    blob = (struct.pack("<II", 0x184D2A50, 8) + b"toc-data" + packer.compress(tar[:4096])
            + packer.compress(tar[4096:]) + struct.pack("<II", 0x184D2A5E, 4) + b"tail")
    built = with_layer_blob(build(SPEC, "zstd"), 0, blob, sha256(tar))
    image = open_image(_layout(tmp_path, built))
    assert image.layers[0].compression is LayerCompression.ZSTD
    assert [(m.path, data) for m, data in read_all(image)[0]] == [
        ("/a/one", b"1" * 5000), ("/a/two", b"2" * 5000)]


def test_documents_without_media_type_are_recognised_by_shape(tmp_path: Path) -> None:
    # mediaType is optional in image-spec 1.0 manifests and indexes.
    built = edit_manifest(build(SPEC), lambda doc: doc.pop("mediaType"))
    index = json.loads(index_of([(built, "linux/amd64")]).index)
    index.pop("mediaType")
    index["manifests"][0].pop("mediaType")
    layout = tmp_path / "layout"
    write_oci_layout(layout, built)
    raw_index = json.dumps(index).encode()
    (layout / "blobs" / "sha256" / sha256(raw_index)[7:]).write_bytes(raw_index)
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": sha256(raw_index), "size": len(raw_index)}]}))
    image = open_image(f"oci:{layout}", "linux/amd64")
    assert image.manifest_digest == built.manifest_digest
    assert paths(image) == [["/etc/os-release"], ["/app/run"]]


def test_manifests_served_apart_from_the_blobs(tmp_path: Path) -> None:
    # A registry serves manifests and indexes from /manifests/<digest>, blobs from /blobs/:
    # build_image reads what an index names through read_manifest, sizes checked as well.
    from gate.sources.image.dir_store import DirStore
    from gate.sources.image.manifest import build_image

    inner = build_index({"linux/arm64/v8": SPEC, "linux/amd64": SPEC}, attestations=False)
    outer = index_of([(inner, None)])
    served = {inner.digest: inner.index, **{i.manifest_digest: i.manifest
                                            for i in inner.images.values()}}
    blobs = tmp_path / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for image in inner.images.values():
        for digest, data in image.blobs().items():
            if digest not in served:
                (blobs / digest[7:]).write_bytes(data)
    asked: list[str] = []

    def read_manifest(digest: str, media_type: str | None, what: str) -> bytes:
        asked.append(digest)
        return served[digest]

    store = DirStore(str(tmp_path))
    image = build_image(store, outer.index, outer.media_type, "registry.test/app:1",
                        "linux/arm64", read_manifest=read_manifest)
    assert image.manifest_digest == inner.images["linux/arm64/v8"].manifest_digest
    assert asked == [inner.digest, image.manifest_digest]
    assert paths(image) == [["/etc/os-release"], ["/app/run"]]

    served[inner.digest] = inner.index + b" "
    with pytest.raises(ImageError, match=rf"size mismatch for index {inner.digest}"):
        build_image(store, outer.index, outer.media_type, "registry.test/app:1", "linux/arm64",
                    read_manifest=read_manifest)
