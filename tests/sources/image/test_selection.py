"""Picking one image out of a layout or archive: by tag, digest, RepoTags or position, and the
errors when the pick is ambiguous or names nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.errors import ImageError
from gate.sources.image import open_image
from gate.testing.image_writer import (
    BuiltImage,
    ImageSpec,
    build,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)
from tests.sources.image.helpers import paths

APP = ImageSpec(layers=[{"app/main.py": b"print('app')\n"}], config={"User": "app"})
WORKER = ImageSpec(layers=[{"srv/worker": b"#!/bin/sh\n"}, {"srv/conf": b"x=1\n"}],
                   config={"User": "worker"})
TOOL = ImageSpec(layers=[{"usr/bin/tool": b"\x7fELF"}], config={"User": "tool"})


def _built(items: dict[str | None, object], key: str | None) -> BuiltImage:
    item = items[key]
    assert isinstance(item, BuiltImage)
    return item


def test_oci_layout_by_tag_digest_and_alone(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    items = write_oci_layout(layout, {"app": APP, "worker": WORKER})
    app, worker = _built(items, "app"), _built(items, "worker")

    image = open_image(f"oci:{layout}:worker")
    assert image.manifest_digest == worker.manifest_digest
    assert image.config.user == "worker"
    assert paths(image) == [["/srv/worker"], ["/srv/conf"]]

    image = open_image(f"oci:{layout}@{app.manifest_digest}")
    assert (image.manifest_digest, image.config.user) == (app.manifest_digest, "app")

    single = tmp_path / "single"
    write_oci_layout(single, TOOL, tag=None)
    assert open_image(f"oci:{single}").config.user == "tool"


def test_oci_layout_digest_of_a_manifest_not_in_index_json(tmp_path: Path) -> None:
    # Any manifest blob of the layout can be named (skopeo's oci:DIR@DIGEST does the same).
    layout = tmp_path / "layout"
    write_oci_layout(layout, APP)
    extra = build(TOOL)
    for digest, data in extra.blobs().items():
        (layout / "blobs" / "sha256" / digest[7:]).write_bytes(data)
    image = open_image(f"oci:{layout}@{extra.manifest_digest}")
    assert image.config.user == "tool"


def test_oci_layout_errors(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    items = write_oci_layout(layout, {"app": APP, "worker": WORKER})
    with pytest.raises(ImageError, match=r"holds 2 images; pick one with :TAG \(tags: app, "
                                         r"worker\)"):
        open_image(f"oci:{layout}")
    with pytest.raises(ImageError, match=r"tag 'v9' not found in .* \(tags: app, worker\)"):
        open_image(f"oci:{layout}:v9")
    unknown = "sha256:" + "0" * 64
    with pytest.raises(ImageError, match=rf"digest {unknown} not found in .*layout: no "
                                         r"index.json entry or blob"):
        open_image(f"oci:{layout}@{unknown}")
    assert _built(items, "app").manifest_digest in _message(f"oci:{layout}@{unknown}")
    with pytest.raises(ImageError, match="does not exist"):
        open_image(f"oci:{tmp_path / 'none'}")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ImageError, match="is not an OCI image layout"):
        open_image(f"oci:{plain}")


def _message(ref: str) -> str:
    with pytest.raises(ImageError) as caught:
        open_image(ref)
    return str(caught.value)


def test_oci_layout_version_and_index(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    write_oci_layout(layout, APP)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "2.0.0"}')
    with pytest.raises(ImageError, match=r"unsupported imageLayoutVersion '2\.0\.0'"):
        open_image(f"oci:{layout}")
    write_oci_layout(layout, APP)
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": []}))
    with pytest.raises(ImageError, match="holds no image"):
        open_image(f"oci:{layout}")
    (layout / "index.json").unlink()
    with pytest.raises(ImageError, match=r"index\.json is missing"):
        open_image(f"oci:{layout}")


def test_oci_archive_by_tag(tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    items = write_oci_archive(archive, {"app": APP, "worker": WORKER})
    image = open_image(f"oci-archive:{archive}:worker")
    assert image.manifest_digest == _built(items, "worker").manifest_digest
    assert paths(image) == [["/srv/worker"], ["/srv/conf"]]
    with pytest.raises(ImageError, match="holds 2 images"):
        open_image(f"oci-archive:{archive}")
    with pytest.raises(ImageError, match=r"tag 'nope' not found .*\(tags: app, worker\)"):
        open_image(f"oci-archive:{archive}:nope")


@pytest.mark.parametrize("style", ["legacy", "oci"])
def test_multi_image_docker_archive(tmp_path: Path, style: str) -> None:
    archive = tmp_path / "images.tar"
    written = write_docker_archive(
        archive,
        [(APP, ["example/app:1.0", "example/app:latest"]), (WORKER, ["registry.test:5000/w:2"]),
         (TOOL, [])],
        style="legacy" if style == "legacy" else "oci",
    )
    app, worker, tool = written

    image = open_image(f"docker-archive:{archive}:example/app:1.0")
    assert image.config_digest == app.config_digest
    # A name without a tag means :latest, as in docker and containers/image.
    assert open_image(f"docker-archive:{archive}:example/app").config_digest == app.config_digest
    assert open_image(f"docker-archive:{archive}:docker.io/example/app:latest").config.user == "app"
    image = open_image(f"docker-archive:{archive}:registry.test:5000/w:2")
    assert image.config_digest == worker.config_digest
    assert paths(image) == [["/srv/worker"], ["/srv/conf"]]
    # The untagged image is reachable by position only.
    image = open_image(f"docker-archive:{archive}:@2")
    assert image.config_digest == tool.config_digest
    assert paths(image) == [["/usr/bin/tool"]]

    with pytest.raises(ImageError, match=r"holds 3 images; pick one with :REPO:TAG or :@N "
                                         r"\(tags: example/app:1.0, example/app:latest, "
                                         r"registry.test:5000/w:2\)"):
        open_image(f"docker-archive:{archive}")
    with pytest.raises(ImageError, match=r"has no image tagged docker.io/example/app:2.0"):
        open_image(f"docker-archive:{archive}:example/app:2.0")
    with pytest.raises(ImageError, match=r"holds 3 images, no image @3"):
        open_image(f"docker-archive:{archive}:@3")


def test_docker25_archive_uses_the_embedded_oci_manifest(tmp_path: Path) -> None:
    archive = tmp_path / "d25.tar"
    (app,) = write_docker_archive(archive, [(APP, ["example/app:1.0"])], style="oci")
    image = open_image(f"docker-archive:{archive}")
    # The real OCI manifest and media types, not a synthetic legacy manifest.
    assert image.manifest_digest == app.manifest_digest
    assert [layer.media_type for layer in image.layers] == [app.layers[0].media_type]
    assert image.layers[0].ref.digest == app.layers[0].digest


def test_legacy_archive_digest_matches_skopeo_derivation(tmp_path: Path) -> None:
    # A legacy archive has no manifest; gate names it by the v2s2 manifest skopeo derives,
    # so both tools print the same digest for the same archive (checked against real
    # skopeo output in tests/integration/test_real_tools.py).
    archive = tmp_path / "legacy.tar"
    (app,) = write_docker_archive(archive, [(APP, ["example/app:1.0"])])
    image = open_image(f"docker-archive:{archive}")
    assert image.config_digest == app.config_digest
    assert image.layers[0].ref.digest == image.layers[0].ref.diff_id == app.layers[0].diff_id


def test_docker_archive_errors(tmp_path: Path) -> None:
    layout_tar = tmp_path / "oci.tar"
    write_oci_archive(layout_tar, APP)
    with pytest.raises(ImageError, match=r"is not a docker-archive \(no manifest.json\) "
                                         r"\(use oci-archive: for an OCI layout tar\)"):
        open_image(f"docker-archive:{layout_tar}")
    with pytest.raises(ImageError, match="does not exist"):
        open_image(f"docker-archive:{tmp_path / 'missing.tar'}")
    with pytest.raises(ImageError, match="is a directory"):
        open_image(f"docker-archive:{tmp_path}")
