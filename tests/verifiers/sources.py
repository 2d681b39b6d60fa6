"""A SignatureSource for tests: the artifacts discovery would hand over, held in memory.

Discovery itself (registry, referrers, OCI layout) is tested with its own code; here the
artifacts come from real files (``../shared/data/sigstore``) or from
:mod:`gate.testing.signature_writer`, in the shape discovery produces them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gate.verifiers.artifacts import (
    ArtifactFormat,
    DiscoveryResult,
    DiscoveryScheme,
    SignatureArtifact,
)

ALL_SCHEMES = (
    DiscoveryScheme.COSIGN_TAG,
    DiscoveryScheme.REFERRERS_API,
    DiscoveryScheme.REFERRERS_TAG,
)


@dataclass
class MemorySignatureSource:
    """Returns ``artifacts`` for ``digest``; nothing for any other digest."""

    digest: str
    artifacts: list[SignatureArtifact] = field(default_factory=list)
    schemes: tuple[DiscoveryScheme, ...] = ALL_SCHEMES
    notes: tuple[str, ...] = ()
    asked: list[str] = field(default_factory=list)

    def discover(self, subject_digest: str) -> DiscoveryResult:
        self.asked.append(subject_digest)
        found = self.artifacts if subject_digest == self.digest else []
        return DiscoveryResult(
            subject_digest=subject_digest,
            artifacts=tuple(found),
            schemes_tried=self.schemes,
            notes=self.notes,
        )

    def describe(self) -> str:
        return "memory"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def artifact(
    fmt: ArtifactFormat,
    payload: bytes,
    media_type: str,
    annotations: Mapping[str, str] | None = None,
    *,
    location: str = "127.0.0.1:5000/team/app:sha256-x.sig",
    found_via: DiscoveryScheme = DiscoveryScheme.COSIGN_TAG,
) -> SignatureArtifact:
    return SignatureArtifact(
        format=fmt,
        payload=payload,
        payload_digest=_sha(payload),
        media_type=media_type,
        found_via=found_via,
        location=location,
        annotations=dict(annotations or {}),
    )


def containers_image_signature(path: Path) -> SignatureArtifact:
    """A containers/image ``signature-N`` file: ``\\x00sigstore-json\\n`` + JSON with
    ``mimeType``, base64 ``payload`` and the layer ``annotations`` (their on-disk form of a
    cosign signature layer)."""
    raw = path.read_bytes()
    doc = json.loads(raw[raw.index(b"{") :])
    return artifact(
        ArtifactFormat.COSIGN_SIMPLE_SIGNING,
        base64.b64decode(doc["payload"]),
        doc["mimeType"],
        doc.get("annotations") or {},
        location=str(path),
    )


def attestation_file(path: Path, annotations: Mapping[str, str] | None = None) -> SignatureArtifact:
    """A DSSE envelope file, as a ``.att`` layer holds it."""
    return artifact(
        ArtifactFormat.COSIGN_ATTESTATION,
        path.read_bytes(),
        "application/vnd.dsse.envelope.v1+json",
        {"dev.cosignproject.cosign/signature": "", **(annotations or {})},
        location=str(path),
    )


def bundle_file(path: Path) -> SignatureArtifact:
    data = path.read_bytes()
    return artifact(
        ArtifactFormat.SIGSTORE_BUNDLE,
        data,
        json.loads(data)["mediaType"],
        location=str(path),
        found_via=DiscoveryScheme.REFERRERS_TAG,
    )


def manifest_digest(path: Path) -> str:
    """The digest of an image manifest file: SHA-256 of its bytes."""
    return _sha(path.read_bytes())


def source(digest: str, artifacts: Iterable[SignatureArtifact]) -> MemorySignatureSource:
    return MemorySignatureSource(digest, list(artifacts))
