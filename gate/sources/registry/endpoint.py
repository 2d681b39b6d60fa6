"""Which host to talk to for a registry name, and whether plain HTTP may be used.

Docker Hub is named ``docker.io`` in references but served from ``registry-1.docker.io``,
and its credentials are stored under ``https://index.docker.io/v1/`` (docker CLI
``registry.IndexServer``). Plain HTTP is allowed only for loopback addresses and for the
registries named with ``--insecure-registry``: everything else is HTTPS with verified
certificates.
"""

from __future__ import annotations

import ipaddress

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_CREDENTIAL_KEY = "https://index.docker.io/v1/"


def api_host(registry: str) -> str:
    """``host[:port]`` the distribution API of ``registry`` is served from."""
    return DOCKER_HUB_API if registry in (DOCKER_HUB, "index.docker.io") else registry


def split_host(netloc: str) -> tuple[str, str | None]:
    """``(host, port)`` of ``host[:port]`` or ``[v6]:port``."""
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else None
    host, sep, port = netloc.rpartition(":")
    if not sep or not port.isdigit():
        return netloc, None
    return host, port


def is_loopback(netloc: str) -> bool:
    host, _ = split_host(netloc)
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_allowed(netloc: str, insecure: tuple[str, ...]) -> bool:
    """Loopback, or named in ``--insecure-registry`` (``host:port`` exactly, or a bare
    ``host`` for every port of it)."""
    if is_loopback(netloc):
        return True
    host, _ = split_host(netloc)
    for entry in insecure:
        entry = entry.strip().lower().removeprefix("http://").removeprefix("https://").rstrip("/")
        if entry == netloc.lower() or (":" not in entry.strip("[]") and entry == host.lower()):
            return True
    return False


def credential_keys(registry: str) -> tuple[str, ...]:
    """The keys a credential may be stored under for ``registry`` (docker config ``auths``,
    credential helpers), most specific first."""
    if registry in (DOCKER_HUB, "index.docker.io", DOCKER_HUB_API):
        return (DOCKER_HUB_CREDENTIAL_KEY, "docker.io", "index.docker.io", DOCKER_HUB_API)
    return (registry, f"https://{registry}", f"http://{registry}")


def normalise_config_key(key: str) -> str:
    """A docker config ``auths`` key (``https://host/v1/``, ``host``) -> ``host[:port]``."""
    text = key.strip().lower()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = text.split("/", 1)[0]
    if text in ("index.docker.io", DOCKER_HUB_API):
        return DOCKER_HUB
    return text
