"""Faults a registry cannot produce on demand, injected by a proxy in front of a real one:
5xx then recovery, 429 with Retry-After, timeouts, corrupted manifests and blobs, a blob
download cut short (resumed with Range), and blob redirects to another host (the
Authorization header must not follow)."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gate.cli import main
from gate.errors import DigestMismatchError, RegistryError
from gate.sources.image import open_image
from gate.sources.registry import client as registry_client
from gate.sources.registry.options import RegistryOptions
from gate.testing.image_writer import ImageSpec, build
from tests.registry_fixtures import FaultProxy, RegistryServer, push_image
from tests.sources.image.helpers import paths, read_all

pytestmark = pytest.mark.slow

FAST = RegistryOptions(backoff=0.01, retries=3, timeout=5)


@pytest.fixture(autouse=True)
def _fresh_transports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_client, "_transports", {})


@pytest.fixture
def pushed(plain_registry: RegistryServer, tmp_path: Path) -> tuple[str, ImageSpec]:
    spec = ImageSpec(layers=[{"/app/a.txt": secrets.token_bytes(64 * 1024)},
                             {"/app/b.txt": b"second layer"}])
    repo = f"team/faults-{secrets.token_hex(3)}"
    push_image(plain_registry, f"{repo}:v1", build(spec), tmp_path)
    return repo, spec


@dataclass(frozen=True)
class _Run:
    returncode: int
    stderr: str


def _gate(capsys: pytest.CaptureFixture[str], *args: str) -> _Run:
    """The CLI in-process (the subprocess path is covered by test_cli.py): exit code and
    stderr exactly as a pipeline sees them."""
    capsys.readouterr()
    code = main(["check", "--checks", "secrets", "--no-cache", *args])
    return _Run(code, capsys.readouterr().err)


def test_500s_then_recovery(fault_proxy: FaultProxy, pushed: tuple[str, ImageSpec]) -> None:
    repo, _ = pushed
    fault_proxy.add(rf"/v2/{repo}/manifests/v1$", "status", times=2, status=500)
    fault_proxy.add(r"/blobs/", "status", times=1, status=503)
    image = open_image(f"{fault_proxy.host}/{repo}:v1", registry=FAST)
    assert paths(image)[1] == ["/app/b.txt"]
    assert len(fault_proxy.requests_to(r"/manifests/v1$")) == 3


def test_429_honours_retry_after(fault_proxy: FaultProxy, pushed: tuple[str, ImageSpec]) -> None:
    repo, _ = pushed
    fault_proxy.add(r"/manifests/v1$", "status", times=1, status=429,
                    headers={"Retry-After": "1"})
    started = time.monotonic()
    open_image(f"{fault_proxy.host}/{repo}:v1", registry=FAST)
    # backoff alone would wait 0.01 s; the registry asked for 1 s.
    assert time.monotonic() - started >= 1.0


def test_persistent_503_is_exit_2_naming_registry_and_path(
    fault_proxy: FaultProxy, pushed: tuple[str, ImageSpec], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = pushed
    fault_proxy.add(r"/blobs/", "status", times=None, status=503)
    done = _gate(capsys, "--image", f"{fault_proxy.host}/{repo}:v1", "--registry-retries", "1")
    assert done.returncode == 2
    assert done.stderr.startswith(f"gate: error: registry {fault_proxy.host}: GET /v2/{repo}"
                                  "/blobs/sha256:")
    assert "answered HTTP 503 after 2 attempt(s)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_timeout_is_bounded_exit_2(
    fault_proxy: FaultProxy, pushed: tuple[str, ImageSpec], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = pushed
    fault_proxy.add(r"/manifests/v1$", "stall", times=None, seconds=8)
    started = time.monotonic()
    done = _gate(capsys, "--image", f"{fault_proxy.host}/{repo}:v1", "--registry-timeout", "1",
                 "--registry-retries", "1")
    elapsed = time.monotonic() - started
    assert done.returncode == 2
    assert f"registry {fault_proxy.host}: GET /v2/{repo}/manifests/v1 failed after 2 " \
           "attempt(s): read timed out" in done.stderr
    assert elapsed < 8


def test_corrupted_layer_is_a_digest_mismatch_exit_2(
    fault_proxy: FaultProxy, pushed: tuple[str, ImageSpec], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = pushed
    image = open_image(f"{fault_proxy.host}/{repo}:v1", registry=FAST)
    layer = image.layers[0].ref.digest
    fault_proxy.add(rf"/blobs/{layer}$", "corrupt", times=None)
    done = _gate(capsys, "--image", f"{fault_proxy.host}/{repo}:v1", "--jobs", "1")
    assert done.returncode == 2
    assert f"digest mismatch for layer 0 {layer}" in done.stderr


def test_corrupted_manifest_and_config(
    fault_proxy: FaultProxy, pushed: tuple[str, ImageSpec], plain_registry: RegistryServer
) -> None:
    repo, _ = pushed
    _, digest = plain_registry.raw_manifest(repo, "v1")
    corrupt = fault_proxy.add(rf"/manifests/{digest}$", "corrupt", times=1)
    with pytest.raises(DigestMismatchError, match=f"manifest .*@{digest}"):
        open_image(f"{fault_proxy.host}/{repo}@{digest}", registry=FAST)
    assert corrupt.times == 0
    # By tag the registry's Docker-Content-Digest header is the reference.
    fault_proxy.add(r"/manifests/v1$", "corrupt", times=1)
    with pytest.raises(DigestMismatchError, match=r"Docker-Content-Digest"):
        open_image(f"{fault_proxy.host}/{repo}:v1", registry=FAST)
    image = open_image(f"{fault_proxy.host}/{repo}:v1", registry=FAST)
    fault_proxy.add(rf"/blobs/{image.config_digest}$", "corrupt", times=1)
    with pytest.raises(DigestMismatchError, match=f"config {image.config_digest}"):
        open_image(f"{fault_proxy.host}/{repo}:v1", registry=FAST)


def test_cut_download_resumes_with_range(
    fault_proxy: FaultProxy, pushed: tuple[str, ImageSpec]
) -> None:
    repo, spec = pushed
    image = open_image(f"{fault_proxy.host}/{repo}:v1", registry=FAST)
    layer = image.layers[0].ref.digest
    fault_proxy.add(rf"/blobs/{layer}$", "truncate", times=1, after=20_000)
    assert read_all(image)[0][0][1] == spec.layers[0]["/app/a.txt"]  # type: ignore[index]
    ranges = [seen.headers.get("Range") for seen in fault_proxy.requests_to(rf"/blobs/{layer}$")]
    assert ranges == [None, "bytes=20000-"]

    fault_proxy.add(rf"/blobs/{layer}$", "truncate", times=None, after=10)
    with pytest.raises(RegistryError, match=r"broke off after \d+ bytes .*gave up after 3 "
                                            r"resume\(s\)"):
        read_all(image)


@pytest.fixture
def redirecting(basic_registry: RegistryServer) -> Iterator[tuple[FaultProxy, FaultProxy]]:
    """The basic-auth registry behind a front proxy that redirects blob downloads to a
    "CDN" on another loopback address, which fetches with its own credentials."""
    assert basic_registry.creds is not None
    basic = "Basic " + base64.b64encode(basic_registry.creds.encode()).decode()
    cdn = FaultProxy(basic_registry.host, host="127.0.0.2", upstream_headers={
        "Authorization": basic})
    front = FaultProxy(basic_registry.host)
    front.add(r"/blobs/", "redirect", times=None, target=f"http://{cdn.host}")
    yield front, cdn
    front.stop()
    cdn.stop()


def test_blob_redirect_to_another_host_drops_authorization(
    basic_registry: RegistryServer,
    redirecting: tuple[FaultProxy, FaultProxy],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert basic_registry.username and basic_registry.password
    front, cdn = redirecting
    repo = f"team/redirect-{secrets.token_hex(3)}"
    push_image(basic_registry, f"{repo}:v1", ImageSpec(layers=[{"/cdn.txt": b"via cdn"}]),
               tmp_path)
    monkeypatch.setenv("GATE_REGISTRY_USERNAME", basic_registry.username)
    monkeypatch.setenv("GATE_REGISTRY_PASSWORD", basic_registry.password)
    image = open_image(f"{front.host}/{repo}:v1", registry=FAST)
    assert read_all(image)[0][0][1] == b"via cdn"
    front_blobs = front.requests_to("/blobs/")
    cdn_blobs = cdn.requests_to("/blobs/")
    assert front_blobs and len(cdn_blobs) == len(front_blobs)
    assert all(seen.headers.get("Authorization", "").startswith("Basic ")
               for seen in front_blobs)
    assert not any("Authorization" in seen.headers for seen in cdn_blobs)
