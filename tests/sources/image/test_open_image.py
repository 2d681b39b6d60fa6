"""Every source kind and compression reads to the same entries, config and history."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Literal, cast

import pytest

from gate.errors import RegistryError
from gate.models import LayerRef
from gate.sources.image import open_image
from gate.sources.image.model import EntryType, LayerCompression
from gate.sources.registry.options import RegistryOptions
from gate.testing.image_writer import (
    OPAQUE,
    WHITEOUT,
    BuiltImage,
    Compression,
    Dir,
    File,
    History,
    ImageSpec,
    Symlink,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)
from tests.sources.image.helpers import read_all

SPEC = ImageSpec(
    layers=[
        {"etc": Dir(), "etc/passwd": b"root:x:0:0::/root:/bin/sh\n",
         "bin/sh": Symlink("/bin/busybox"), "var/cache/a": b"a"},
        {"etc/passwd": WHITEOUT, "var/cache": OPAQUE,
         "app/run": File(b"#!/bin/sh\n" * 5000, mode=0o755, uid=1000, gid=1000)},
    ],
    config={"User": "app", "Env": ["PATH=/usr/bin", "A=1"], "Cmd": ["run"],
            "Entrypoint": ["/bin/sh", "-c"], "ExposedPorts": {"8080/tcp": {}},
            "Labels": {"org.opencontainers.image.source": "https://example.test/repo"},
            "WorkingDir": "/app", "Healthcheck": {"Test": ["CMD", "true"]}},
    history=[History("ADD rootfs.tar /"), History("ENV A=1", empty_layer=True),
             History("COPY run /app/run")],
)


def _write(kind: str, compression_name: str, tmp_path: Path) -> str:
    compression = cast(Compression, compression_name)
    if kind == "oci":
        write_oci_layout(tmp_path / "layout", SPEC, tag="v1", compression=compression)
        return f"oci:{tmp_path / 'layout'}:v1"
    if kind == "oci-archive":
        write_oci_archive(tmp_path / "img.tar", SPEC, tag="v1", compression=compression)
        return f"oci-archive:{tmp_path / 'img.tar'}:v1"
    style: Literal["legacy", "oci"] = "legacy" if kind == "docker-archive" else "oci"
    write_docker_archive(tmp_path / "img.tar", [(SPEC, ["example/app:1.0"])], style=style,
                         compression=compression)
    return f"docker-archive:{tmp_path / 'img.tar'}"


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
@pytest.mark.parametrize("kind", ["oci", "oci-archive", "docker-archive", "docker25-archive"])
def test_every_source_and_compression(kind: str, compression: str, tmp_path: Path) -> None:
    ref = _write(kind, compression, tmp_path)
    image = open_image(ref)
    assert image.reference == ref
    assert str(image.platform) == "linux/amd64"
    assert image.config.user == "app"
    assert image.config.env == ("PATH=/usr/bin", "A=1")
    assert image.config.cmd == ("run",)
    assert image.config.entrypoint == ("/bin/sh", "-c")
    assert image.config.exposed_ports == ("8080/tcp",)
    assert image.config.working_dir == "/app"
    assert image.config.healthcheck == ("CMD", "true")
    assert image.config.labels == {"org.opencontainers.image.source": "https://example.test/repo"}
    assert [h.created_by for h in image.config.history] == [
        "ADD rootfs.tar /", "ENV A=1", "COPY run /app/run"]
    # The empty-layer history entry is skipped when attributing layers.
    assert [layer.ref.created_by for layer in image.layers] == ["ADD rootfs.tar /",
                                                                "COPY run /app/run"]
    expected = LayerCompression(compression)
    assert all(layer.compression == expected for layer in image.layers)

    layers = read_all(image)
    first = [(m.path, m.type, data) for m, data in layers[0]]
    assert first == [
        ("/etc", EntryType.DIR, b""),
        ("/etc/passwd", EntryType.FILE, b"root:x:0:0::/root:/bin/sh\n"),
        ("/bin/sh", EntryType.SYMLINK, b""),
        ("/var/cache/a", EntryType.FILE, b"a"),
    ]
    assert layers[0][2][0].link_target == "/bin/busybox"
    whiteout, opaque, run = (meta for meta, _ in layers[1])
    assert (whiteout.path, whiteout.whiteout, whiteout.opaque) == ("/etc/passwd", True, False)
    assert (opaque.path, opaque.whiteout, opaque.opaque) == ("/var/cache", False, True)
    assert (run.path, run.mode, run.uid, run.gid, run.size) == ("/app/run", 0o755, 1000, 1000,
                                                                50000)
    assert layers[1][2][1] == b"#!/bin/sh\n" * 5000


def test_image_pickles_for_worker_processes(tmp_path: Path) -> None:
    for kind in ("oci", "docker-archive"):
        image = open_image(_write(kind, "gzip", tmp_path / kind))
        clone = pickle.loads(pickle.dumps(image))
        assert read_all(clone) == read_all(image)


def test_summary(tmp_path: Path) -> None:
    built = write_oci_layout(tmp_path / "l", SPEC, tag="v1")["v1"]
    assert isinstance(built, BuiltImage)
    image = open_image(f"oci:{tmp_path / 'l'}:v1")
    summary = image.summary()
    assert summary.manifest_digest == built.manifest_digest
    assert summary.config_digest == built.config_digest
    first = built.layers[0]
    assert summary.layers[0] == LayerRef(0, first.digest, first.diff_id, "ADD rootfs.tar /")


def test_registry_reference_goes_to_the_registry_client() -> None:
    # Nothing listens on port 1: the registry client (gate.sources.registry) answers.
    options = RegistryOptions(retries=0, timeout=2)
    with pytest.raises(RegistryError, match=r"registry 127\.0\.0\.1:1: GET /v2/ failed .*refused"):
        open_image("127.0.0.1:1/team/app:v1", registry=options)
