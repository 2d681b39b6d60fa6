"""Manifests and indexes from ``/v2/<name>/manifests/<reference>`` (distribution spec
"Pulling manifests"), digest-verified.

By digest, the bytes must hash to it. By tag, the digest is computed from the bytes and, when
the registry sends ``Docker-Content-Digest``, must equal it; that digest then names the image
for everything after (child manifests, signatures), so a tag moved mid-run cannot mix images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gate.errors import DigestMismatchError, ImageError, RegistryError
from gate.sources.image import media_types as mt
from gate.sources.image.digest import digest_of, is_digest, split_digest
from gate.sources.image.layout_store import MAX_METADATA_BYTES
from gate.sources.registry.auth import pull_scope
from gate.sources.registry.transport import Transport, error_detail

if TYPE_CHECKING:
    import requests

OCI_EMPTY = "application/vnd.oci.empty.v1+json"
ACCEPT = ", ".join((mt.OCI_INDEX, mt.OCI_MANIFEST, mt.DOCKER_MANIFEST_LIST, mt.DOCKER_MANIFEST))
"""Schema 1 is not asked for: a registry that only has it answers 404 or converts."""


@dataclass(frozen=True)
class FetchedManifest:
    data: bytes
    media_type: str | None
    """``Content-Type`` of the answer, parameters dropped."""
    digest: str
    """The digest the bytes hash to (verified)."""


def read_limited(response: requests.Response, limit: int, what: str) -> bytes:
    """The whole body, refused when larger than ``limit`` (checked before and while reading)."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ImageError(f"{what} is larger than {limit} bytes")
    try:
        data: bytes = response.raw.read(limit + 1, decode_content=True)
    except Exception as exc:
        from gate.sources.registry.transport import connection_reason

        raise RegistryError(f"cannot read {what}: {connection_reason(exc)}") from None
    if len(data) > limit:
        raise ImageError(f"{what} is larger than {limit} bytes")
    return data


def fetch_manifest(
    transport: Transport, repository: str, reference: str, *, missing_ok: bool = False
) -> FetchedManifest | None:
    """The manifest or index ``reference`` (tag or digest) of ``repository``; None if it
    does not exist and ``missing_ok``."""
    name = f"{transport.registry}/{repository}"
    separator = "@" if is_digest(reference) else ":"
    what = f"manifest {name}{separator}{reference}"
    path = f"/v2/{repository}/manifests/{reference}"
    response = transport.request("GET", path, scope=pull_scope(repository),
                                 headers={"Accept": ACCEPT}, what=f"GET {path}")
    try:
        if response.status_code == 404:
            if missing_ok:
                return None
            raise ImageError(f"{what} not found ({error_detail(response)})")
        if response.status_code != 200:
            raise RegistryError(f"registry {transport.registry}: GET {path} answered "
                                f"{error_detail(response)}")
        data = read_limited(response, MAX_METADATA_BYTES, what)
        header = response.headers.get("Docker-Content-Digest")
        content_type = response.headers.get("Content-Type", "")
    finally:
        response.close()
    media_type = content_type.split(";", 1)[0].strip() or None
    if is_digest(reference):
        algorithm, _ = split_digest(reference, what)
        actual = digest_of(data, algorithm)
        if actual != reference:
            raise DigestMismatchError(what, reference, actual)
        return FetchedManifest(data, media_type, reference)
    algorithm = "sha256"
    if header and is_digest(header):
        algorithm = header.split(":", 1)[0]
    actual = digest_of(data, algorithm)
    if header and header != actual:
        raise DigestMismatchError(f"{what} (Docker-Content-Digest)", header, actual)
    return FetchedManifest(data, media_type, actual)
