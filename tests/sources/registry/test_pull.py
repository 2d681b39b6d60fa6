"""Pulling from a real registry (Debian's docker-registry on loopback), images pushed by skopeo:
OCI and Docker v2 schema 2 media types, multi-platform indexes, tag -> digest resolution,
streamed layers compared byte for byte with what was pushed, worker-process pickling."""

from __future__ import annotations

import pickle
import secrets
from pathlib import Path

import pytest

from gate.errors import ImageError, PlatformNotFoundError
from gate.sources.image import open_image
from gate.sources.image.model import LayerCompression
from gate.sources.registry.blobs import RegistryBlobStore
from gate.sources.registry.options import RegistryOptions
from gate.testing.image_writer import ImageSpec, build, build_index
from tests.registry_fixtures import FaultProxy, RegistryServer, push_image
from tests.sources.image.helpers import paths, read_all

pytestmark = pytest.mark.slow


def _spec(marker: str) -> ImageSpec:
    return ImageSpec(
        layers=[{"/etc/os-release": b'ID=debian\nVERSION_ID="12"\n', "/app/": b"",
                 f"/app/{marker}.txt": marker.encode()},
                {"/app/config.json": b'{"debug": false}'}],
        config={"User": "1000", "Env": ["PATH=/usr/bin"]},
    )


def _repo(name: str) -> str:
    return f"team/{name}-{secrets.token_hex(3)}"


def test_oci_image_by_tag_resolves_to_the_registry_digest(
    plain_registry: RegistryServer, tmp_path: Path
) -> None:
    built = build(_spec("oci"))
    repo = _repo("app")
    digest = push_image(plain_registry, f"{repo}:v1", built, tmp_path)
    # skopeo keeps an OCI manifest byte for byte, so the registry digest is the built one.
    assert digest == built.manifest_digest

    image = open_image(f"{plain_registry.host}/{repo}:v1")
    assert image.manifest_digest == digest
    assert image.index_digest is None
    assert image.config_digest == built.config_digest
    assert image.config.user == "1000"
    assert [layer.ref.digest for layer in image.layers] == [b.digest for b in built.layers]
    assert [layer.compression for layer in image.layers] == [LayerCompression.GZIP] * 2
    assert paths(image) == [["/etc/os-release", "/app", "/app/oci.txt"], ["/app/config.json"]]
    assert read_all(image)[0][2][1] == b"oci"
    assert isinstance(image.store, RegistryBlobStore)


def test_docker_v2s2_image(plain_registry: RegistryServer, tmp_path: Path) -> None:
    repo = _repo("docker")
    digest = push_image(plain_registry, f"{repo}:v2", _spec("docker"), tmp_path,
                        docker_format=True)
    image = open_image(f"{plain_registry.host}/{repo}:v2")
    # skopeo converted to Docker media types: the digest is the registry's, not the built one.
    assert image.manifest_digest == digest
    assert {layer.media_type for layer in image.layers} == {
        "application/vnd.docker.image.rootfs.diff.tar.gzip"}
    assert paths(image)[1] == ["/app/config.json"]


def test_uncompressed_and_zstd_layers(plain_registry: RegistryServer, tmp_path: Path) -> None:
    for compression in ("none", "zstd"):
        built = build(_spec(compression), compression=compression)
        repo = _repo(compression)
        push_image(plain_registry, f"{repo}:v1", built, tmp_path)
        image = open_image(f"{plain_registry.host}/{repo}:v1")
        assert image.layers[0].compression == LayerCompression(compression)
        assert read_all(image)[0][2][1] == compression.encode()


def test_multi_platform_index_and_digest_references(
    plain_registry: RegistryServer, tmp_path: Path
) -> None:
    index = build_index({"linux/amd64": _spec("amd64"), "linux/arm64/v8": _spec("arm64")})
    repo = _repo("multi")
    digest = push_image(plain_registry, f"{repo}:v1", index, tmp_path)
    assert digest == index.digest
    host = plain_registry.host

    arm = open_image(f"{host}/{repo}:v1", "linux/arm64")
    assert arm.manifest_digest == index.images["linux/arm64/v8"].manifest_digest
    assert arm.index_digest == index.digest
    assert str(arm.platform) == "linux/arm64/v8"
    assert paths(arm)[0][-1] == "/app/arm64.txt"

    amd = open_image(f"{host}/{repo}@{index.digest}", "linux/amd64")
    assert amd.manifest_digest == index.images["linux/amd64"].manifest_digest
    # A platform manifest named by digest is a single-platform image.
    child = open_image(f"{host}/{repo}@{amd.manifest_digest}")
    assert child.index_digest is None and child.manifest_digest == amd.manifest_digest
    # tag and digest: the digest wins, as with docker.
    both = open_image(f"{host}/{repo}:no-such-tag@{index.digest}", "linux/amd64")
    assert both.manifest_digest == amd.manifest_digest

    with pytest.raises(PlatformNotFoundError, match="linux/s390x"):
        open_image(f"{host}/{repo}:v1", "linux/s390x")


def test_tag_is_resolved_once_then_only_digests_are_used(
    plain_registry: RegistryServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    index = build_index({"linux/amd64": _spec("once"), "linux/arm64/v8": _spec("twice")})
    repo = _repo("once")
    push_image(plain_registry, f"{repo}:v1", index, tmp_path)
    image = open_image(f"{fault_proxy.host}/{repo}:v1", "linux/amd64")
    read_all(image)
    manifest_paths = [seen.path for seen in fault_proxy.requests_to("/manifests/")]
    assert manifest_paths == [f"/v2/{repo}/manifests/v1",
                              f"/v2/{repo}/manifests/{image.manifest_digest}"]
    assert all("/blobs/sha256:" in seen.path for seen in fault_proxy.requests_to("/blobs/"))


def test_missing_tag_repository_and_blob(
    plain_registry: RegistryServer, tmp_path: Path
) -> None:
    repo = _repo("missing")
    built = build(_spec("missing"))
    push_image(plain_registry, f"{repo}:v1", built, tmp_path)
    host = plain_registry.host
    with pytest.raises(ImageError, match=rf"manifest {host}/{repo}:v9 not found .*"
                                         "MANIFEST_UNKNOWN"):
        open_image(f"{host}/{repo}:v9")
    with pytest.raises(ImageError, match="not found"):
        open_image(f"{host}/team/never-pushed:v1")
    image = open_image(f"{host}/{repo}:v1")
    with pytest.raises(ImageError, match=r"blob sha256:0{64} is missing from registry"):
        image.store.open_blob("sha256:" + "0" * 64)


def test_store_pickles_without_session_or_password(
    basic_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert basic_registry.username and basic_registry.password
    monkeypatch.setenv("GATE_REGISTRY_USERNAME", basic_registry.username)
    monkeypatch.setenv("GATE_REGISTRY_PASSWORD", basic_registry.password)
    repo = _repo("pickle")
    push_image(basic_registry, f"{repo}:v1", _spec("pickle"), tmp_path)
    image = open_image(f"{basic_registry.host}/{repo}:v1")
    data = pickle.dumps(image)
    assert basic_registry.password.encode() not in data
    clone = pickle.loads(data)
    # The clone (as in a worker process) looks the credentials up again and streams.
    assert read_all(clone) == read_all(image)


def test_registry_options_reach_the_source(plain_registry: RegistryServer) -> None:
    options = RegistryOptions(retries=0, timeout=5)
    with pytest.raises(ImageError, match="not found"):
        open_image(f"{plain_registry.host}/team/none:v1", registry=options)
