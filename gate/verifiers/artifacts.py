"""Signature material as discovery hands it to verification.

Discovery (registry client, OCI layout) finds the artifacts that sign or attest an image and
returns them with their content already digest-checked; verification decides whether any of
them satisfies the policy. Neither side knows how the other works: the registry code never
verifies a signature, the verifier never speaks HTTP.

Formats (cosign ``specs/SIGNATURE_SPEC.md``, sigstore ``bundle`` protobuf specs):

* ``cosign-simple-signing``: a layer of a ``sha256-<hex>.sig`` manifest; ``payload`` is the
  simple-signing JSON, the layer annotations carry ``dev.cosignproject.cosign/signature``
  (base64) and, for keyless, ``dev.sigstore.cosign/certificate``, ``dev.sigstore.cosign/chain``
  and ``dev.sigstore.cosign/bundle`` (the Rekor SET).
* ``cosign-attestation``: a layer of a ``sha256-<hex>.att`` manifest; ``payload`` is a DSSE
  envelope whose payload is an in-toto statement.
* ``sigstore-bundle``: a sigstore bundle (v0.1 to v0.3 media types), e.g. cosign's new bundle
  format, an OCI artifact whose ``subject`` is the image, found through the referrers API or
  its tag fallback; ``payload`` is the bundle JSON.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class ArtifactFormat(str, enum.Enum):
    COSIGN_SIMPLE_SIGNING = "cosign-simple-signing"
    COSIGN_ATTESTATION = "cosign-attestation"
    SIGSTORE_BUNDLE = "sigstore-bundle"


class DiscoveryScheme(str, enum.Enum):
    COSIGN_TAG = "cosign-tag"
    """``<repo>:sha256-<hex>.sig`` / ``.att`` (cosign's tag scheme)."""
    REFERRERS_API = "referrers-api"
    """``GET /v2/<name>/referrers/<digest>`` (OCI distribution spec 1.1)."""
    REFERRERS_TAG = "referrers-tag"
    """``<repo>:sha256-<hex>``: the referrers tag schema fallback of the same spec."""
    OCI_LAYOUT = "oci-layout"
    """The same artifacts stored inside a local OCI layout or archive."""


@dataclass(frozen=True)
class SignatureArtifact:
    """One signature, attestation or bundle found for an image."""

    format: ArtifactFormat
    payload: bytes
    """The blob content (digest already verified against ``payload_digest``)."""
    payload_digest: str
    media_type: str
    """Media type of the blob (layer) that held the payload."""
    found_via: DiscoveryScheme
    location: str
    """Where it was found, for messages: ``127.0.0.1:5000/team/app:sha256-<hex>.sig``."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations of the layer descriptor (cosign keeps signature, certificate, bundle here)."""
    artifact_type: str | None = None
    """``artifactType`` of the manifest that carried it (referrers), if any."""
    manifest_digest: str | None = None
    """Digest of the signature manifest itself."""


@dataclass(frozen=True)
class DiscoveryResult:
    subject_digest: str
    """The image manifest digest the artifacts were looked up for."""
    artifacts: tuple[SignatureArtifact, ...]
    schemes_tried: tuple[DiscoveryScheme, ...]
    """Every scheme looked at, so "no signature found" can say where it looked."""
    notes: tuple[str, ...] = ()
    """E.g. "registry has no referrers API; used the tag fallback"."""


class SignatureSource(Protocol):
    """Finds the signature material of one image digest (registry, OCI layout, ...)."""

    def discover(self, subject_digest: str) -> DiscoveryResult: ...

    def describe(self) -> str:
        """Human name for messages: ``registry 127.0.0.1:5000/team/app``."""
        ...
