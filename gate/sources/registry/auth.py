"""Registry authentication: Basic, and the Bearer token flow of distribution
``docs/spec/auth/token.md`` (with the OAuth2 refresh-token variant of ``oauth.md``).

On a 401 the registry names a scheme. For Bearer, a token is fetched from the challenge's
``realm`` with its ``service`` and the ``scope`` of the request
(``repository:team/app:pull``) - anonymously, with Basic credentials, or by POSTing an
identity token - and cached per (realm, service, scope) until it expires. Tokens and
credentials never appear in messages; only where the credentials came from does.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gate.errors import RegistryError
from gate.sources.registry.challenge import Challenge
from gate.sources.registry.credentials import Credentials, find_credentials
from gate.sources.registry.endpoint import plain_http_allowed

if TYPE_CHECKING:
    from gate.sources.registry.transport import Transport

DEFAULT_TOKEN_LIFETIME = 60
"""Seconds a token lives when the answer has no ``expires_in`` (token.md: "defaults to 60")."""
_EXPIRY_MARGIN = 10
_MAX_TOKEN_ANSWER = 1024 * 1024


@dataclass
class _Token:
    value: str
    expires_at: float


def pull_scope(repository: str) -> str:
    return f"repository:{repository}:pull"


class Authenticator:
    """Authorization headers for one registry, learned from its challenges."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.challenge: Challenge | None = None
        self._tokens: dict[tuple[str, str, str], _Token] = {}
        self._credentials: Credentials | None = None
        self._looked_up = False
        self.token_requests = 0
        """How many tokens were fetched (tests check the cache)."""

    def __getstate__(self) -> dict[str, Any]:
        # Worker processes get the tokens (no new round trip per layer) but look the
        # credentials up again themselves: passwords do not travel through pickles.
        state = self.__dict__.copy()
        state["_credentials"] = None
        state["_looked_up"] = False
        return state

    # -- credentials --------------------------------------------------------------------

    def credentials(self) -> Credentials | None:
        if not self._looked_up:
            options = self._transport.options
            self._credentials = find_credentials(self._transport.registry,
                                                 docker_config_dir=options.docker_config)
            self._looked_up = True
        return self._credentials

    def describe_credentials(self) -> str:
        creds = self.credentials()
        return f"credentials from {creds.source}" if creds else "no credentials"

    # -- headers ------------------------------------------------------------------------

    def headers_for(self, scope: str | None) -> dict[str, str]:
        """The Authorization header for a request in ``scope`` as far as it is known."""
        challenge = self.challenge
        if challenge is None:
            return {}
        if challenge.scheme == "basic":
            creds = self.credentials()
            return {"Authorization": _basic(creds)} if creds and not creds.identity_token else {}
        if challenge.scheme == "bearer":
            token = self._token(challenge, scope or challenge.params.get("scope", ""))
            return {"Authorization": f"Bearer {token}"}
        return {}

    def learn(self, challenges: list[Challenge], what: str) -> None:
        """Remember the scheme a 401 (or the ``/v2/`` ping) asked for."""
        for challenge in challenges:
            if challenge.scheme in ("bearer", "basic"):
                self.challenge = challenge
                return
        names = ", ".join(c.scheme for c in challenges) or "none"
        raise RegistryError(f"registry {self._transport.registry} asks for an unsupported "
                            f"authentication scheme ({names}) for {what}")

    def answer(self, challenges: list[Challenge], scope: str | None, what: str) -> None:
        """React to a 401: learn the challenge, drop the refused token, check that a new
        attempt can differ (else the 401 is final)."""
        self.learn(challenges, what)
        challenge = self.challenge
        assert challenge is not None
        if challenge.scheme == "basic":
            creds = self.credentials()
            if creds is None:
                raise RegistryError(
                    f"registry {self._transport.registry} requires credentials for {what}",
                    hint="docker login, or set GATE_REGISTRY_USERNAME/GATE_REGISTRY_PASSWORD",
                )
            if creds.identity_token:
                raise RegistryError(f"registry {self._transport.registry} asks for Basic "
                                    f"authentication but {creds.source} holds an identity "
                                    "token")
            return
        wanted = scope or challenge.params.get("scope", "")
        self._tokens.pop((challenge.realm, challenge.params.get("service", ""), wanted), None)

    # -- tokens -------------------------------------------------------------------------

    def _token(self, challenge: Challenge, scope: str) -> str:
        key = (challenge.realm, challenge.params.get("service", ""), scope)
        cached = self._tokens.get(key)
        if cached is not None and cached.expires_at > time.time():
            return cached.value
        token = self._fetch_token(challenge, scope)
        self._tokens[key] = token
        return token.value

    def _fetch_token(self, challenge: Challenge, scope: str) -> _Token:
        transport = self._transport
        realm = challenge.realm
        parts = urlsplit(realm)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise RegistryError(f"registry {transport.registry} names an invalid token realm")
        if parts.scheme == "http" and not plain_http_allowed(
            parts.netloc, transport.options.insecure_registries
        ):
            raise RegistryError(
                f"registry {transport.registry} sends gate to a plain-HTTP token service "
                f"({parts.netloc}); refused",
                hint="name it with --insecure-registry if that is really wanted",
            )
        params: dict[str, str] = {}
        if challenge.params.get("service"):
            params["service"] = challenge.params["service"]
        if scope:
            params["scope"] = scope
        creds = self.credentials()
        what = f"token request to {parts.netloc}{parts.path}"
        self.token_requests += 1
        if creds is not None and creds.identity_token:
            # oauth.md: POST grant_type=refresh_token with the identity token.
            form = {"grant_type": "refresh_token", "refresh_token": creds.secret,
                    "client_id": "gate", **params}
            response = transport.send("POST", realm, {}, what, data=form)
        else:
            headers = {"Authorization": _basic(creds)} if creds else {}
            response = transport.send("GET", realm, headers, what, params=params)
        try:
            if response.status_code in (401, 403):
                who = f"the credentials from {creds.source}" if creds else "anonymous access"
                raise RegistryError(
                    f"token service of registry {transport.registry} refused {who} for "
                    f"{scope or 'the registry'} (HTTP {response.status_code})",
                    hint=None if creds else "docker login, or set GATE_REGISTRY_USERNAME/"
                    "GATE_REGISTRY_PASSWORD",
                )
            if response.status_code != 200:
                raise RegistryError(f"token service of registry {transport.registry} answered "
                                    f"HTTP {response.status_code} for {scope}")
            body = response.raw.read(_MAX_TOKEN_ANSWER + 1, decode_content=True)
        finally:
            response.close()
        return _parse_token(body, transport.registry)


def _parse_token(body: bytes, registry: str) -> _Token:
    import json

    try:
        doc = json.loads(body)
    except ValueError:
        raise RegistryError(f"token service of registry {registry} answered invalid "
                            "JSON") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"token service of registry {registry} answered no JSON object")
    value = doc.get("token") or doc.get("access_token")
    if not isinstance(value, str) or not value:
        raise RegistryError(f"token service of registry {registry} answered no token")
    lifetime = doc.get("expires_in")
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_LIFETIME
    return _Token(value, time.time() + max(lifetime - _EXPIRY_MARGIN, 1))


def _basic(creds: Credentials | None) -> str:
    assert creds is not None
    raw = f"{creds.username}:{creds.secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")
