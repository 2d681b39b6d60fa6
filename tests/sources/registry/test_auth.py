"""Authentication and TLS against real registries: htpasswd Basic auth, token auth against the
test's token issuer (anonymous, Basic, identity token), credentials from the environment, the
docker config and a real credential helper program, and a TLS registry with a private CA."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gate.errors import RegistryError
from gate.sources.image import open_image
from gate.sources.registry import client as registry_client
from gate.sources.registry.options import RegistryOptions
from gate.testing.image_writer import ImageSpec
from tests.conftest import REPO_ROOT
from tests.registry_fixtures import RegistryServer, push_image
from tests.sources.image.helpers import paths

pytestmark = pytest.mark.slow

SPEC = ImageSpec(layers=[{"/app/auth.txt": b"authenticated"}, {"/app/two.txt": b"2"}])


@pytest.fixture(autouse=True)
def _isolated_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No credential of the machine or the CI leaks into these tests, and every test gets
    # fresh transports (token caches live per process).
    for name in ("GATE_REGISTRY_USERNAME", "GATE_REGISTRY_PASSWORD", "GITHUB_TOKEN",
                 "CI_REGISTRY", "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    monkeypatch.setattr(registry_client, "_transports", {})


def _repo(name: str) -> str:
    return f"team/{name}-{secrets.token_hex(3)}"


def _docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, doc: object) -> Path:
    directory = tmp_path / "docker"
    directory.mkdir(exist_ok=True)
    (directory / "config.json").write_text(json.dumps(doc))
    monkeypatch.setenv("DOCKER_CONFIG", str(directory))
    return directory


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_auth_from_environment(
    basic_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert basic_registry.username and basic_registry.password
    repo = _repo("basic")
    push_image(basic_registry, f"{repo}:v1", SPEC, tmp_path)
    ref = f"{basic_registry.host}/{repo}:v1"

    with pytest.raises(RegistryError, match=rf"registry {basic_registry.host} requires "
                                            "credentials"):
        open_image(ref)

    monkeypatch.setattr(registry_client, "_transports", {})
    monkeypatch.setenv("GATE_REGISTRY_USERNAME", basic_registry.username)
    monkeypatch.setenv("GATE_REGISTRY_PASSWORD", "wrong-" + secrets.token_hex(4))
    with pytest.raises(RegistryError, match=r"401 unauthorized \(credentials from "
                                            "GATE_REGISTRY_USERNAME") as wrong:
        open_image(ref)
    assert "wrong-" not in str(wrong.value)

    monkeypatch.setattr(registry_client, "_transports", {})
    monkeypatch.setenv("GATE_REGISTRY_PASSWORD", basic_registry.password)
    assert paths(open_image(ref))[0] == ["/app/auth.txt"]


def test_basic_auth_from_docker_config_auths(
    basic_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert basic_registry.username and basic_registry.password
    repo = _repo("config")
    push_image(basic_registry, f"{repo}:v1", SPEC, tmp_path)
    _docker_config(tmp_path, monkeypatch, {"auths": {
        f"https://{basic_registry.host}/v1/": {
            "auth": _auth(basic_registry.username, basic_registry.password)},
        "other.example:5000": {"auth": _auth("someone", "else")},
    }})
    assert paths(open_image(f"{basic_registry.host}/{repo}:v1"))[1] == ["/app/two.txt"]


def _helper(tmp_path: Path, name: str, store: dict[str, dict[str, str]]) -> Path:
    """A real docker-credential-<name> program (docker-credential-helpers protocol)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    data = tmp_path / f"{name}-store.json"
    data.write_text(json.dumps(store))
    program = bin_dir / f"docker-credential-{name}"
    program.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "if sys.argv[1:] != ['get']:\n    sys.exit(2)\n"
        "server = sys.stdin.read().strip()\n"
        f"store = json.load(open({str(data)!r}))\n"
        "if server not in store:\n"
        "    print('credentials not found in native keychain'); sys.exit(1)\n"
        "entry = store[server]\n"
        "print(json.dumps({'ServerURL': server, 'Username': entry['user'],"
        " 'Secret': entry['secret']}))\n"
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def test_credential_helper_and_creds_store(
    basic_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert basic_registry.username and basic_registry.password
    repo = _repo("helper")
    push_image(basic_registry, f"{repo}:v1", SPEC, tmp_path)
    entry = {"user": basic_registry.username, "secret": basic_registry.password}
    bin_dir = _helper(tmp_path, "gatetest", {basic_registry.host: entry})
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    ref = f"{basic_registry.host}/{repo}:v1"

    # credHelpers names the helper for this registry; auths holds a stale password that
    # must not be used.
    _docker_config(tmp_path, monkeypatch, {
        "credHelpers": {basic_registry.host: "gatetest"},
        "auths": {basic_registry.host: {"auth": _auth(basic_registry.username, "stale")}},
    })
    assert paths(open_image(ref))[0] == ["/app/auth.txt"]

    monkeypatch.setattr(registry_client, "_transports", {})
    _docker_config(tmp_path, monkeypatch, {"credsStore": "gatetest"})
    assert paths(open_image(ref))[0] == ["/app/auth.txt"]

    monkeypatch.setattr(registry_client, "_transports", {})
    _docker_config(tmp_path, monkeypatch, {"credHelpers": {basic_registry.host: "absent"}})
    with pytest.raises(RegistryError, match="credential helper docker-credential-absent"):
        open_image(ref)


def test_token_auth_anonymous_public_repository(
    token_registry: RegistryServer, tmp_path: Path
) -> None:
    assert token_registry.issuer is not None
    repo = f"public/app-{secrets.token_hex(3)}"
    push_image(token_registry, f"{repo}:v1", SPEC, tmp_path)
    before = len(token_registry.issuer.requests)
    image = open_image(f"{token_registry.host}/{repo}:v1")
    assert paths(image) == [["/app/auth.txt"], ["/app/two.txt"]]
    asked = token_registry.issuer.requests[before:]
    # One anonymous token for the pull scope, reused for the manifest, config and layers.
    assert [(r.method, r.scopes, r.user) for r in asked] == [
        ("GET", [f"repository:{repo}:pull"], None)]


def test_token_auth_private_repository(
    token_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    repo = _repo("private")
    push_image(token_registry, f"{repo}:v1", SPEC, tmp_path)
    ref = f"{token_registry.host}/{repo}:v1"

    # Anonymous: the issuer grants nothing, the registry refuses (401 without credentials).
    with pytest.raises(RegistryError, match=r"refused GET .*: 401 unauthorized "
                                            r"\(no credentials\)"):
        open_image(ref)

    monkeypatch.setattr(registry_client, "_transports", {})
    _docker_config(tmp_path, monkeypatch, {"auths": {
        token_registry.host: {"auth": _auth("gate-user", issuer.users["gate-user"])}}})
    before = len(issuer.requests)
    image = open_image(ref)
    assert paths(image)[0] == ["/app/auth.txt"]
    asked = issuer.requests[before:]
    assert [(r.scopes, r.user) for r in asked] == [([f"repository:{repo}:pull"], "gate-user")]

    monkeypatch.setattr(registry_client, "_transports", {})
    _docker_config(tmp_path, monkeypatch, {"auths": {
        token_registry.host: {"auth": _auth("gate-user", "not-the-password")}}})
    with pytest.raises(RegistryError, match="token service .* refused the credentials from "
                                            r"docker config .* \(HTTP 401\)") as refused:
        open_image(ref)
    assert "not-the-password" not in str(refused.value)


def test_token_auth_with_identity_token(
    token_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    repo = _repo("identity")
    push_image(token_registry, f"{repo}:v1", SPEC, tmp_path)
    refresh = issuer.add_identity_token("gate-user")
    _docker_config(tmp_path, monkeypatch, {"auths": {
        token_registry.host: {"auth": "", "identitytoken": refresh}}})
    before = len(issuer.requests)
    assert paths(open_image(f"{token_registry.host}/{repo}:v1"))[0] == ["/app/auth.txt"]
    assert [(r.method, r.user) for r in issuer.requests[before:]] == [("POST", "gate-user")]


def test_tls_registry_needs_its_ca(tls_registry: RegistryServer, tmp_path: Path) -> None:
    assert tls_registry.ca_bundle is not None
    repo = _repo("tls")
    push_image(tls_registry, f"{repo}:v1", SPEC, tmp_path)
    ref = f"{tls_registry.host}/{repo}:v1"
    # Loopback may use plain HTTP, but a TLS server with an untrusted certificate is an
    # error, never a downgrade.
    with pytest.raises(RegistryError, match=r"certificate not trusted.*--registry-ca-bundle"):
        open_image(ref)
    image = open_image(ref, registry=RegistryOptions(ca_bundle=str(tls_registry.ca_bundle)))
    assert paths(image)[0] == ["/app/auth.txt"]
    assert image.store.transport.scheme == "https"  # type: ignore[attr-defined]


def test_cli_pulls_with_docker_config_and_ca_bundle(
    tls_registry: RegistryServer, tmp_path: Path
) -> None:
    assert tls_registry.ca_bundle is not None
    repo = _repo("cli")
    push_image(tls_registry, f"{repo}:v1", SPEC, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DOCKER_CONFIG": str(tmp_path)}
    cmd = [sys.executable, "-m", "gate", "check", "--image", f"{tls_registry.host}/{repo}:v1",
           "--checks", "secrets", "--no-cache", "--json", str(tmp_path / "r.json")]
    failed = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert failed.returncode == 2
    assert "certificate not trusted" in failed.stderr
    done = subprocess.run([*cmd, "--registry-ca-bundle", str(tls_registry.ca_bundle)],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    image = report["target"]["image"]
    assert image["reference"] == f"{tls_registry.host}/{repo}:v1"
    assert image["manifest_digest"] == tls_registry.raw_manifest(repo, "v1")[1]
