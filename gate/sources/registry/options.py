"""Registry options, resolved by the CLI and carried as ``GateRequest.extra["registry"]``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegistryOptions:
    """How gate talks to registries. No field holds a credential: those are looked up per
    registry when needed (:mod:`gate.sources.registry.credentials`)."""

    ca_bundle: str | None = None
    """PEM file of CA certificates trusted for registry TLS instead of the system store."""
    insecure_registries: tuple[str, ...] = ()
    """``host[:port]`` names that may be reached over plain HTTP (loopback always may)."""
    timeout: float = 30.0
    """Seconds to connect, and seconds without a byte before a read gives up."""
    retries: int = 3
    """Further attempts after a failed one (429, 5xx, connection error, timeout)."""
    backoff: float = 0.5
    """Seconds before the first retry; doubled for each further one."""
    max_backoff: float = 10.0
    """Cap on one wait, ``Retry-After`` included."""
    signature_repository: str | None = None
    """``REGISTRY/REPO`` to look for signatures in instead of where the image is."""
    docker_config: str | None = None
    """Directory of ``config.json`` (default ``$DOCKER_CONFIG`` or ``~/.docker``)."""
