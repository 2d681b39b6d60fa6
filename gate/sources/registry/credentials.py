"""Where registry credentials come from, in this order (the first that has one wins):

1. ``GATE_REGISTRY_USERNAME`` / ``GATE_REGISTRY_PASSWORD`` (given to gate on purpose);
2. the docker config (``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``):
   ``credHelpers[<registry>]``, then ``credsStore``, both through
   ``docker-credential-<name> get``, then ``auths[<registry>]`` (``auth`` = base64
   ``user:password``, or ``identitytoken``, an OAuth2 refresh token);
3. what the CI provides: ``GITHUB_TOKEN`` for ``ghcr.io`` (user ``GITHUB_ACTOR``), and
   ``CI_REGISTRY_USER`` / ``CI_REGISTRY_PASSWORD`` for the GitLab registry ``CI_REGISTRY``.

None found means anonymous access. A :class:`Credentials` never shows its secret in ``repr``
or messages; only its ``source`` is named.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gate.errors import InputError, RegistryError
from gate.sources.json_file import json_object, read_json
from gate.sources.registry.endpoint import credential_keys, normalise_config_key

_HELPER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_HELPER_TIMEOUT = 30.0
_TOKEN_USERNAME = "<token>"
"""docker-credential-helpers protocol: this username means the secret is an identity token."""


@dataclass(frozen=True)
class Credentials:
    username: str
    secret: str = field(repr=False)
    """Password, personal access token or job token."""
    source: str = ""
    """Where they came from, for messages (``docker config /root/.docker/config.json``)."""
    identity_token: bool = False
    """``secret`` is an OAuth2 refresh token (docker ``identitytoken``), not a password."""


def find_credentials(
    registry: str,
    environ: Mapping[str, str] | None = None,
    docker_config_dir: str | None = None,
) -> Credentials | None:
    """The credentials for ``registry`` (``host[:port]`` as in the reference), or None."""
    env = os.environ if environ is None else environ
    username, password = env.get("GATE_REGISTRY_USERNAME"), env.get("GATE_REGISTRY_PASSWORD")
    if username and password:
        return Credentials(username, password, "GATE_REGISTRY_USERNAME/GATE_REGISTRY_PASSWORD")
    if bool(username) != bool(password):
        raise RegistryError("GATE_REGISTRY_USERNAME and GATE_REGISTRY_PASSWORD must be set "
                            "together")
    found = _from_docker_config(registry, env, docker_config_dir)
    if found is not None:
        return found
    return _from_ci(registry, env)


def docker_config_path(env: Mapping[str, str], docker_config_dir: str | None) -> Path:
    base = docker_config_dir or env.get("DOCKER_CONFIG")
    if base:
        return Path(base) / "config.json"
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".docker" / "config.json"


def _from_docker_config(
    registry: str, env: Mapping[str, str], docker_config_dir: str | None
) -> Credentials | None:
    path = docker_config_path(env, docker_config_dir)
    found = read_json(path, f"docker config {path}", missing_ok=True)
    if found is None:
        return None
    doc = json_object(found, f"docker config {path}")
    wanted = normalise_config_key(registry)

    helpers = doc.get("credHelpers") if doc.get("credHelpers") is not None else {}
    if not isinstance(helpers, dict):
        raise InputError(f"docker config {path}: credHelpers must be an object")
    for key, helper in helpers.items():
        if normalise_config_key(str(key)) == wanted:
            return _from_helper(str(helper), registry, f"{path} credHelpers", env)
    store = doc.get("credsStore")
    if store:
        found = _from_helper(str(store), registry, f"{path} credsStore", env)
        if found is not None:
            return found

    auths = doc.get("auths") if doc.get("auths") is not None else {}
    if not isinstance(auths, dict):
        raise InputError(f"docker config {path}: auths must be an object")
    for key, entry in auths.items():
        if normalise_config_key(str(key)) != wanted:
            continue
        if not isinstance(entry, dict):
            raise InputError(f"docker config {path}: auths.{key} must be an object")
        return _from_auth_entry(entry, f"docker config {path} (auths.{key})")
    return None


def _from_auth_entry(entry: Mapping[str, object], source: str) -> Credentials | None:
    username, password = "", ""
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InputError(f"{source}: auth is not base64 of user:password") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise InputError(f"{source}: auth is not base64 of user:password")
    elif isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        username, password = str(entry["username"]), str(entry["password"])
    token = entry.get("identitytoken")
    if isinstance(token, str) and token:
        return Credentials(username or _TOKEN_USERNAME, token, source, identity_token=True)
    if username and password:
        return Credentials(username, password, source)
    return None


def _from_helper(
    name: str, registry: str, source: str, env: Mapping[str, str]
) -> Credentials | None:
    """docker-credential-helpers protocol: ``get`` reads the server URL on stdin and prints
    ``{"ServerURL", "Username", "Secret"}``; "not found" is a non-zero exit."""
    if not _HELPER_NAME.fullmatch(name):
        raise InputError(f"{source}: invalid credential helper name {name!r}")
    program = f"docker-credential-{name}"
    for key in credential_keys(registry):
        try:
            done = subprocess.run(
                [program, "get"], input=key.encode(), capture_output=True,
                timeout=_HELPER_TIMEOUT, env=dict(env), check=False,
            )
        except FileNotFoundError:
            raise RegistryError(f"credential helper {program} (from {source}) is not on "
                                "PATH") from None
        except subprocess.TimeoutExpired:
            raise RegistryError(f"credential helper {program} did not answer within "
                                f"{_HELPER_TIMEOUT:.0f} s") from None
        if done.returncode != 0:
            # "credentials not found in native keychain" and friends: try the next key.
            continue
        try:
            doc = json.loads(done.stdout)
        except ValueError:
            raise RegistryError(f"credential helper {program} printed invalid JSON") from None
        if not isinstance(doc, dict):
            raise RegistryError(f"credential helper {program} printed no JSON object")
        username, secret = doc.get("Username"), doc.get("Secret")
        if not isinstance(secret, str) or not secret:
            continue
        username = username if isinstance(username, str) else ""
        where = f"credential helper {program} ({source})"
        if username == _TOKEN_USERNAME:
            return Credentials(username, secret, where, identity_token=True)
        return Credentials(username, secret, where)
    return None


def _from_ci(registry: str, env: Mapping[str, str]) -> Credentials | None:
    wanted = normalise_config_key(registry)
    token = env.get("GITHUB_TOKEN")
    if token and wanted == "ghcr.io":
        return Credentials(env.get("GITHUB_ACTOR") or "github-actions", token, "GITHUB_TOKEN")
    ci_registry = env.get("CI_REGISTRY")
    user, password = env.get("CI_REGISTRY_USER"), env.get("CI_REGISTRY_PASSWORD")
    if ci_registry and user and password and normalise_config_key(ci_registry) == wanted:
        return Credentials(user, password, "CI_REGISTRY_USER/CI_REGISTRY_PASSWORD")
    return None
