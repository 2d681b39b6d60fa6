"""One repository of one registry: manifests, blobs and referrers, all digest-verified.

Transports are shared per (registry, options) within a process, so the image pull and the
signature discovery reuse one scheme probe, one session and one token cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gate.errors import ImageError, RegistryError
from gate.sources.image import media_types as mt
from gate.sources.image.blob_stream import read_blob_verified
from gate.sources.image.layout_store import MAX_METADATA_BYTES
from gate.sources.json_file import parse_json
from gate.sources.registry.auth import pull_scope
from gate.sources.registry.blobs import RegistryBlobStore
from gate.sources.registry.manifests import FetchedManifest, fetch_manifest, read_limited
from gate.sources.registry.options import RegistryOptions
from gate.sources.registry.transport import Transport, error_detail

_MAX_REFERRER_PAGES = 16
_NO_REFERRERS_API = (400, 404, 405, 501)
"""Answers of registries without the API: the spec's 404, and what older registries say to
an unknown route (the digest gate sends is always well-formed, so 400 is not about it)."""
_transports: dict[tuple[str, RegistryOptions], Transport] = {}


def transport_for(registry: str, options: RegistryOptions) -> Transport:
    key = (registry, options)
    transport = _transports.get(key)
    if transport is None:
        transport = _transports[key] = Transport(registry, options)
    return transport


@dataclass(frozen=True)
class Referrers:
    """The answer of the referrers API (distribution spec 1.1 "Listing Referrers")."""

    descriptors: tuple[dict[str, Any], ...]
    """The ``manifests`` entries of the returned index, as JSON objects."""
    filtered_by_registry: bool
    """The registry applied the ``artifactType`` filter (``OCI-Filters-Applied``)."""


class RegistryClient:
    def __init__(self, registry: str, repository: str, options: RegistryOptions) -> None:
        self.registry = registry
        self.repository = repository
        self.transport = transport_for(registry, options)
        self.store = RegistryBlobStore(self.transport, repository)

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def manifest(self, reference: str) -> FetchedManifest:
        fetched = fetch_manifest(self.transport, self.repository, reference)
        assert fetched is not None
        return fetched

    def manifest_if_exists(self, reference: str) -> FetchedManifest | None:
        return fetch_manifest(self.transport, self.repository, reference, missing_ok=True)

    def read_manifest(self, digest: str, media_type: str | None, what: str) -> bytes:
        """For :func:`~gate.sources.image.manifest.build_image`: a manifest an index names."""
        return self.manifest(digest).data

    def blob(self, digest: str, max_size: int, what: str) -> bytes:
        return read_blob_verified(self.store, digest, max_size, what)

    def referrers(self, digest: str, artifact_type: str | None = None) -> Referrers | None:
        """Every referrer of ``digest`` (pages followed), or None when the registry has no
        referrers API (404, or 400/405/501 from older registries: the client must fall back
        to the referrers tag)."""
        path = f"/v2/{self.repository}/referrers/{digest}"
        params = {"artifactType": artifact_type} if artifact_type else None
        found: list[dict[str, Any]] = []
        filtered = artifact_type is not None
        for _ in range(_MAX_REFERRER_PAGES):
            response = self.transport.request(
                "GET", path, scope=pull_scope(self.repository),
                headers={"Accept": mt.OCI_INDEX}, params=params, what=f"GET {path}",
            )
            try:
                if response.status_code in _NO_REFERRERS_API and not found:
                    return None
                if response.status_code != 200:
                    raise RegistryError(f"registry {self.registry}: GET {path} answered "
                                        f"{error_detail(response)}")
                data = read_limited(response, MAX_METADATA_BYTES, f"referrers of {digest}")
                applied = response.headers.get("OCI-Filters-Applied", "")
                link = response.headers.get("Link", "")
            finally:
                response.close()
            filtered = filtered and "artifactType" in [p.strip() for p in applied.split(",")]
            found.extend(_index_entries(data, f"referrers of {digest} in {self.name}"))
            next_path = _next_link(link)
            if next_path is None:
                break
            path, params = next_path, None
        if artifact_type is not None and not filtered:
            # distribution spec: a registry that ignores the filter says so by omitting
            # OCI-Filters-Applied; the client filters itself.
            found = [d for d in found if d.get("artifactType") == artifact_type]
        return Referrers(tuple(found), filtered)


def _index_entries(data: bytes, what: str) -> list[dict[str, Any]]:
    doc = parse_json(data, what, ImageError)
    if not isinstance(doc, dict) or not isinstance(doc.get("manifests", []), list):
        raise ImageError(f"{what} is not an image index")
    entries = [m for m in doc.get("manifests", []) if isinstance(m, dict)]
    return entries


def _next_link(header: str) -> str | None:
    """RFC 8288 ``Link: </v2/...?n=..&last=..>; rel="next"`` -> path with query."""
    for part in header.split(","):
        if 'rel="next"' in part or "rel=next" in part:
            start, end = part.find("<"), part.find(">")
            if 0 <= start < end:
                target = urlsplit(part[start + 1:end])
                return target.path + (f"?{target.query}" if target.query else "")
    return None
