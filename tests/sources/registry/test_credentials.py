"""Credential lookup order and formats (no network): GATE_REGISTRY_*, docker config auths /
identitytoken / credHelpers / credsStore, CI variables; errors name the file, never a secret."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from gate.errors import InputError, RegistryError
from gate.sources.registry.credentials import Credentials, find_credentials

SECRET = "s3cr" + "et-" + "Zk29QmWx"


def _config(tmp_path: Path, doc: object) -> str:
    directory = tmp_path / "docker"
    directory.mkdir(exist_ok=True)
    (directory / "config.json").write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return str(directory)


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_nothing_configured_is_anonymous(tmp_path: Path) -> None:
    assert find_credentials("ghcr.io", {}, str(tmp_path)) is None


def test_environment_wins_and_must_be_complete(tmp_path: Path) -> None:
    config = _config(tmp_path, {"auths": {"ghcr.io": {"auth": _auth("cfg", "cfg-pw")}}})
    env = {"GATE_REGISTRY_USERNAME": "ci", "GATE_REGISTRY_PASSWORD": SECRET,
           "GITHUB_TOKEN": "gh-token"}
    found = find_credentials("ghcr.io", env, config)
    assert found == Credentials("ci", SECRET, "GATE_REGISTRY_USERNAME/GATE_REGISTRY_PASSWORD")
    assert SECRET not in repr(found)
    with pytest.raises(RegistryError, match="must be set together"):
        find_credentials("ghcr.io", {"GATE_REGISTRY_USERNAME": "ci"}, config)


def test_docker_config_auths_keys_and_fields(tmp_path: Path) -> None:
    config = _config(tmp_path, {"auths": {
        "https://index.docker.io/v1/": {"auth": _auth("hub", SECRET)},
        "http://registry.example:5000/v2/": {"auth": _auth("ex", "pw:with:colons")},
        "quay.io": {"identitytoken": "refresh-token-value"},
        "empty.example": {},
    }})
    hub = find_credentials("docker.io", {}, config)
    assert hub is not None and (hub.username, hub.secret) == ("hub", SECRET)
    assert "auths.https://index.docker.io/v1/" in hub.source
    ex = find_credentials("registry.example:5000", {}, config)
    assert ex is not None and ex.secret == "pw:with:colons"
    quay = find_credentials("quay.io", {}, config)
    assert quay is not None and quay.identity_token and quay.secret == "refresh-token-value"
    assert find_credentials("empty.example", {}, config) is None
    assert find_credentials("registry.example:5001", {}, config) is None


def test_docker_config_location_from_environment(tmp_path: Path) -> None:
    directory = _config(tmp_path, {"auths": {"ghcr.io": {"auth": _auth("u", "p")}}})
    assert find_credentials("ghcr.io", {"DOCKER_CONFIG": directory}) is not None
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(
        json.dumps({"auths": {"ghcr.io": {"auth": _auth("h", "p")}}}))
    found = find_credentials("ghcr.io", {"HOME": str(home)})
    assert found is not None and found.username == "h"


@pytest.mark.parametrize(("doc", "message"), [
    ("{not json", r"config\.json: not valid JSON \(line 1, column 2: "),
    ("[]", r"config\.json: not a JSON object"),
    ({"auths": []}, "auths must be an object"),
    ({"auths": {"ghcr.io": "x"}}, "auths.ghcr.io must be an object"),
    ({"auths": {"ghcr.io": {"auth": "%%%"}}}, "auth is not base64 of user:password"),
    ({"auths": {"ghcr.io": {"auth": base64.b64encode(b"nocolon").decode()}}},
     "auth is not base64"),
    ({"credHelpers": {"ghcr.io": "../evil"}}, "invalid credential helper name"),
])
def test_malformed_docker_config_is_an_input_error(
    tmp_path: Path, doc: object, message: str
) -> None:
    config = _config(tmp_path, doc)
    with pytest.raises(InputError, match=message) as caught:
        find_credentials("ghcr.io", {}, config)
    assert str(Path(config) / "config.json") in str(caught.value)


def _helper(tmp_path: Path, script: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "docker-credential-unit"
    program.write_text(f"#!{sys.executable}\nimport json, sys\n{script}\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_credential_helper_protocol(tmp_path: Path) -> None:
    env = _helper(tmp_path, (
        "server = sys.stdin.read()\n"
        "if server == 'https://index.docker.io/v1/':\n"
        "    print(json.dumps({'ServerURL': server, 'Username': '<token>', 'Secret': 'idt'}))\n"
        "elif server == 'ghcr.io':\n"
        "    print(json.dumps({'ServerURL': server, 'Username': 'me', 'Secret': 'pat'}))\n"
        "else:\n"
        "    print('credentials not found in native keychain'); sys.exit(1)"))
    config = _config(tmp_path, {"credsStore": "unit",
                                "auths": {"quay.io": {"auth": _auth("q", "fallback")}}})
    ghcr = find_credentials("ghcr.io", env, config)
    assert ghcr is not None and (ghcr.username, ghcr.secret) == ("me", "pat")
    assert "docker-credential-unit" in ghcr.source
    hub = find_credentials("docker.io", env, config)
    assert hub is not None and hub.identity_token and hub.secret == "idt"
    # Not in the store: the plain auths entry still counts.
    quay = find_credentials("quay.io", env, config)
    assert quay is not None and quay.secret == "fallback"
    assert find_credentials("other.example", env, config) is None


def test_credential_helper_printing_garbage(tmp_path: Path) -> None:
    env = _helper(tmp_path, "print('not json')")
    config = _config(tmp_path, {"credHelpers": {"ghcr.io": "unit"}})
    with pytest.raises(RegistryError, match="printed invalid JSON"):
        find_credentials("ghcr.io", env, config)


def test_ci_credentials(tmp_path: Path) -> None:
    empty = str(tmp_path)
    github = {"GITHUB_TOKEN": "ghs_" + "x" * 36, "GITHUB_ACTOR": "octocat"}
    found = find_credentials("ghcr.io", github, empty)
    assert found is not None and found.username == "octocat" and found.source == "GITHUB_TOKEN"
    assert find_credentials("docker.io", github, empty) is None
    gitlab = {"CI_REGISTRY": "registry.gitlab.example:5050", "CI_REGISTRY_USER": "gitlab-ci-token",
              "CI_REGISTRY_PASSWORD": "job-token"}
    found = find_credentials("registry.gitlab.example:5050", gitlab, empty)
    assert found is not None and found.secret == "job-token"
    assert find_credentials("registry.gitlab.example", gitlab, empty) is None
    # A docker login in the job wins over what the CI provides.
    config = _config(tmp_path, {"auths": {"ghcr.io": {"auth": _auth("login", "pw")}}})
    found = find_credentials("ghcr.io", github, config)
    assert found is not None and found.username == "login"
