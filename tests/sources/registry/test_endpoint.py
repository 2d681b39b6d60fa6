"""Registry host rules (no network): Docker Hub's API host and credential key, which hosts
may use plain HTTP, WWW-Authenticate parsing, retry classification."""

from __future__ import annotations

import pytest

from gate.errors import RegistryError
from gate.sources.registry.challenge import Challenge, parse_challenges
from gate.sources.registry.endpoint import (
    api_host,
    credential_keys,
    is_loopback,
    normalise_config_key,
    plain_http_allowed,
)
from gate.sources.registry.options import RegistryOptions
from gate.sources.registry.transport import Transport, retryable_status


def test_docker_hub_names() -> None:
    assert api_host("docker.io") == "registry-1.docker.io"
    assert api_host("ghcr.io") == "ghcr.io"
    assert credential_keys("docker.io")[0] == "https://index.docker.io/v1/"
    assert normalise_config_key("https://index.docker.io/v1/") == "docker.io"
    assert normalise_config_key("HTTPS://Registry.Example:5000/v2/") == "registry.example:5000"


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1:5000", True), ("127.8.9.1", True), ("localhost:5000", True),
    ("[::1]:5000", True), ("10.0.0.1:5000", False), ("registry.example", False),
    ("127.0.0.1.example.com", False),
])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_plain_http_only_for_loopback_and_named_registries() -> None:
    assert plain_http_allowed("127.0.0.1:5000", ())
    assert not plain_http_allowed("registry.example:5000", ())
    assert plain_http_allowed("registry.example:5000", ("registry.example:5000",))
    assert plain_http_allowed("registry.example:5000", ("registry.example",))
    assert plain_http_allowed("registry.example:5000", ("http://Registry.Example:5000/",))
    assert not plain_http_allowed("registry.example:5000", ("registry.example:5001",))
    assert not plain_http_allowed("evil-registry.example", ("registry.example",))


def test_a_remote_registry_is_never_tried_over_plain_http() -> None:
    transport = Transport("registry.invalid:5000", RegistryOptions(retries=0, timeout=2))
    with pytest.raises(RegistryError, match=r"registry registry\.invalid:5000: GET /v2/ failed"):
        transport.base_url()
    assert transport.scheme == "https"


def test_challenges() -> None:
    assert parse_challenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/alpine:pull"') == [Challenge("bearer", {
            "realm": "https://auth.docker.io/token", "service": "registry.docker.io",
            "scope": "repository:library/alpine:pull"})]
    assert parse_challenges('Basic realm="Registry Realm"') == [
        Challenge("basic", {"realm": "Registry Realm"})]
    two = parse_challenges('Basic realm="a", Bearer realm="b\\"q",error="insufficient_scope"')
    assert [c.scheme for c in two] == ["basic", "bearer"] and two[1].realm == 'b"q'
    assert parse_challenges("Bearer realm=https://x.example/token, service=reg")[0].params == {
        "realm": "https://x.example/token", "service": "reg"}
    assert parse_challenges("") == []


def test_retryable_statuses() -> None:
    assert [s for s in (200, 400, 401, 404, 429, 500, 501, 502, 503, 504, 505)
            if retryable_status(s)] == [429, 500, 502, 503, 504]
