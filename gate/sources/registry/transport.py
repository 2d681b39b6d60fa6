"""HTTP to one registry: scheme and TLS rules, retries with backoff, redirects, auth.

* HTTPS with verified certificates (system store, or ``--registry-ca-bundle``). Plain HTTP
  only for loopback and ``--insecure-registry`` names, and only when the server does not
  speak TLS at all: a certificate that fails verification is an error, never a downgrade.
* 429, 5xx (but 501/505), connection errors and timeouts are retried with exponential
  backoff (``Retry-After`` honoured, capped), a bounded number of times, then a
  :class:`~gate.errors.RegistryError` names the registry and the URL path - never a query
  string (signed redirect URLs carry credentials there) nor a token.
* Redirects (blob downloads to a CDN or object store) are followed by hand; the
  ``Authorization`` header is dropped when the host changes (as Docker and containerd do),
  and HTTPS -> HTTP downgrades are refused.
* A 401 is answered once through :class:`~gate.sources.registry.auth.Authenticator`.

``requests`` is imported only when the first request is made (the CLI must start fast).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from gate import __version__
from gate.errors import InputError, RegistryError
from gate.sources.registry.auth import Authenticator
from gate.sources.registry.challenge import parse_challenges
from gate.sources.registry.endpoint import api_host, plain_http_allowed
from gate.sources.registry.options import RegistryOptions

if TYPE_CHECKING:
    import requests

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5
_NOT_RETRIED_5XX = (501, 505)
_PROBE_TIMEOUT = 5.0
"""Seconds the HTTPS probe of a loopback/insecure registry may take before plain HTTP is
tried: a plain-HTTP server that waits for a request line never answers a TLS hello."""
_CONNECTION_PHRASES = (
    "Connection refused", "Connection reset", "Connection aborted", "Remote end closed",
    "Name or service not known", "Temporary failure in name resolution", "No route to host",
    "Network is unreachable", "Read timed out", "timed out",
)


def retryable_status(status: int) -> bool:
    return status == 429 or (500 <= status <= 599 and status not in _NOT_RETRIED_5XX)


def connection_reason(exc: BaseException) -> str:
    """A short reason for a network error, without the URL the exception text holds."""
    text = str(exc)
    for phrase in _CONNECTION_PHRASES:
        if phrase in text:
            return phrase.lower()
    name = type(exc).__name__
    return "timed out" if "Timeout" in name else f"connection failed ({name})"


class Transport:
    """Requests to one registry host. Picklable: the HTTP session is made per process."""

    def __init__(self, registry: str, options: RegistryOptions) -> None:
        self.registry = registry
        """The registry as the reference names it (``docker.io``, ``127.0.0.1:5000``)."""
        self.host = api_host(registry)
        self.options = options
        self.scheme: str | None = None
        self.auth = Authenticator(self)
        self.sleep = time.sleep
        self._session: requests.Session | None = None
        self._verify: str | bool = True

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_session"] = None
        state["sleep"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.sleep = time.sleep

    # -- plumbing -----------------------------------------------------------------------

    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            bundle = self.options.ca_bundle
            if bundle is not None:
                import os

                if not os.path.isfile(bundle):
                    raise InputError(f"registry CA bundle {bundle} does not exist")
            session = requests.Session()
            session.headers["User-Agent"] = f"gate/{__version__}"
            self._session = session
            # Per request, not on the session: requests lets REQUESTS_CA_BUNDLE override a
            # session's verify, and an explicit --registry-ca-bundle must win.
            self._verify = bundle if bundle else True
        return self._session

    def backoff_delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.options.backoff * (2.0 ** attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after.strip()))
        return min(delay, self.options.max_backoff)

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        what: str,
        *,
        stream: bool = True,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One logical request with retries and redirects; no authentication logic."""
        import requests

        attempts = self.options.retries + 1
        for attempt in range(attempts):
            try:
                response = self._follow(method, url, dict(headers), stream, params, data)
            except requests.exceptions.SSLError as exc:
                raise RegistryError(
                    f"registry {self.registry}: TLS failed for {what}: {_tls_reason(exc)}",
                    hint="trust its CA with --registry-ca-bundle FILE",
                ) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = connection_reason(exc)
                if attempt + 1 < attempts:
                    self.sleep(self.backoff_delay(attempt, None))
                    continue
                raise RegistryError(f"registry {self.registry}: {what} failed after "
                                    f"{attempts} attempt(s): {reason}") from None
            if retryable_status(response.status_code):
                status = response.status_code
                retry_after = response.headers.get("Retry-After")
                response.close()
                if attempt + 1 < attempts:
                    self.sleep(self.backoff_delay(attempt, retry_after))
                    continue
                raise RegistryError(f"registry {self.registry}: {what} answered HTTP {status} "
                                    f"after {attempts} attempt(s)")
            return response
        raise AssertionError("unreachable")

    def _follow(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        stream: bool,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
    ) -> requests.Response:
        timeout = (self.options.timeout, self.options.timeout)
        session = self.session()
        for _ in range(_MAX_REDIRECTS + 1):
            response = session.request(method, url, headers=headers, params=params, data=data,
                                        stream=stream, allow_redirects=False, timeout=timeout,
                                        verify=self._verify)
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                return response
            response.close()
            target = urljoin(url, location)
            old, new = urlsplit(url), urlsplit(target)
            if new.scheme not in ("http", "https"):
                raise RegistryError(f"registry {self.registry} redirected to an unsupported "
                                    f"URL scheme {new.scheme!r}")
            if new.scheme == "http" and old.scheme == "https" and not plain_http_allowed(
                new.netloc, self.options.insecure_registries
            ):
                raise RegistryError(f"registry {self.registry} redirected from HTTPS to plain "
                                    f"HTTP ({new.netloc}{new.path}); refused")
            if new.netloc != old.netloc:
                # The registry's credentials are for the registry: a CDN or object store
                # gets a pre-signed URL instead, never the Authorization header.
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if response.status_code == 303:
                method, data = "GET", None
            url, params = target, None
        raise RegistryError(f"registry {self.registry}: more than {_MAX_REDIRECTS} redirects")

    # -- the registry API ---------------------------------------------------------------

    def base_url(self) -> str:
        self._ensure_scheme()
        return f"{self.scheme}://{self.host}"

    def _ensure_scheme(self) -> None:
        """Pick https or http once, and learn the auth challenge from ``GET /v2/``."""
        if self.scheme is not None:
            return
        import requests

        scheme = "https"
        if plain_http_allowed(self.registry, self.options.insecure_registries):
            # One HTTPS attempt: a server that does not speak TLS answers garbage at once.
            try:
                probe_timeout = min(self.options.timeout, _PROBE_TIMEOUT)
                probe = self.session().get(f"https://{self.host}/v2/", allow_redirects=False,
                                           timeout=(probe_timeout,) * 2, stream=True,
                                           verify=self._verify)
                probe.close()
            except requests.exceptions.SSLError as exc:
                if _verification_failed(exc):
                    raise RegistryError(
                        f"registry {self.registry}: TLS certificate not trusted: "
                        f"{_tls_reason(exc)}",
                        hint="trust its CA with --registry-ca-bundle FILE",
                    ) from None
                scheme = "http"
            except (requests.ConnectionError, requests.Timeout):
                scheme = "http"
        self.scheme = scheme
        response = self.send("GET", f"{scheme}://{self.host}/v2/", {}, "GET /v2/")
        try:
            if response.status_code == 401:
                self.auth.learn(parse_challenges(response.headers.get("WWW-Authenticate", "")),
                                "GET /v2/")
            elif response.status_code == 404:
                raise RegistryError(f"{self.registry} is not an OCI registry (GET /v2/ answered "
                                    "404)")
        finally:
            response.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        scope: str | None,
        headers: Mapping[str, str] | None = None,
        what: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """``method path`` on the registry, authenticated for ``scope``; the response is
        streamed (the caller closes it). 401 and 403 become RegistryError here."""
        url = self.base_url() + path
        what = what or f"{method} {path}"
        base_headers = dict(headers or {})
        response = self.send(method, url, {**base_headers, **self.auth.headers_for(scope)},
                             what, params=params)
        if response.status_code == 401:
            challenges = parse_challenges(response.headers.get("WWW-Authenticate", ""))
            response.close()
            self.auth.answer(challenges, scope, what)
            response = self.send(method, url, {**base_headers, **self.auth.headers_for(scope)},
                                 what, params=params)
            if response.status_code == 401:
                response.close()
                raise RegistryError(
                    f"registry {self.registry} refused {what}: 401 unauthorized "
                    f"({self.auth.describe_credentials()})",
                    hint="docker login, or set GATE_REGISTRY_USERNAME/GATE_REGISTRY_PASSWORD",
                )
        if response.status_code == 403:
            response.close()
            raise RegistryError(f"registry {self.registry} denied {what}: 403 forbidden "
                                f"({self.auth.describe_credentials()})")
        return response


def error_detail(response: requests.Response) -> str:
    """The registry's own error code and message (distribution spec "Error Codes")."""
    import json

    try:
        body = response.raw.read(64 * 1024, decode_content=True)
        doc = json.loads(body)
        first = doc["errors"][0]
        text = f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
    except Exception:
        return f"HTTP {response.status_code}"
    return f"HTTP {response.status_code} {text[:200]}"


def _verification_failed(exc: BaseException) -> bool:
    text = str(exc)
    return any(marker in text for marker in (
        "CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "doesn't match",
        "Hostname mismatch", "IP address mismatch",
    ))


def _tls_reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("certificate verify failed: ", "Hostname mismatch", "IP address mismatch"):
        at = text.find(marker)
        if at >= 0:
            return text[at:].split("(_ssl", 1)[0].split("')", 1)[0].strip(" ('\")")
    return "handshake failed"
