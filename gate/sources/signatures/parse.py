"""Signature manifests -> :class:`~gate.verifiers.artifacts.SignatureArtifact`.

One layer is one artifact: a ``.sig`` manifest holds one simple-signing layer per signature
(its descriptor annotations carry the signature, certificate, chain and Rekor bundle), a
``.att`` manifest one DSSE layer per attestation, a bundle manifest one sigstore bundle
layer. Every blob is read through ``read_blob`` (digest-verified, size-capped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gate.errors import DigestMismatchError, ImageError, SignatureError
from gate.sources.image.manifest import descriptors, load_json
from gate.sources.signatures.media_types import layer_format
from gate.verifiers.artifacts import DiscoveryScheme, SignatureArtifact

MAX_ARTIFACT_BYTES = 64 * 1024 * 1024
"""Largest signature/attestation blob read (SBOM attestations can be tens of MB)."""

BlobReader = Callable[[str, int, str], bytes]
"""``(digest, max size, what) -> verified bytes``."""


def manifest_doc(data: bytes, what: str) -> dict[str, Any]:
    try:
        return load_json(data, what)
    except ImageError as exc:
        raise SignatureError(exc.message) from None


def subject_of(doc: Mapping[str, Any]) -> str | None:
    subject = doc.get("subject")
    if isinstance(subject, dict) and isinstance(subject.get("digest"), str):
        return str(subject["digest"])
    return None


def artifact_type_of(doc: Mapping[str, Any]) -> str | None:
    """``artifactType``, else the config media type when it is not a plain image config
    (image-spec 1.1 "Guidelines for Artifact Usage")."""
    value = doc.get("artifactType")
    if isinstance(value, str) and value:
        return value
    config = doc.get("config")
    if isinstance(config, dict):
        media = config.get("mediaType")
        if isinstance(media, str) and media not in (
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.oci.empty.v1+json",
        ):
            return media
    return None


def artifacts_from_manifest(
    doc: Mapping[str, Any],
    manifest_digest: str,
    read_blob: BlobReader,
    found_via: DiscoveryScheme,
    location: str,
) -> tuple[list[SignatureArtifact], list[str]]:
    """The signature artifacts of one manifest, and notes on layers that are none."""
    what = f"signature manifest {location}"
    try:
        layers = descriptors(doc, "layers", what)
    except ImageError as exc:
        raise SignatureError(exc.message) from None
    artifact_type = artifact_type_of(doc)
    artifacts: list[SignatureArtifact] = []
    notes: list[str] = []
    for index, layer in enumerate(layers):
        media = layer.media_type or ""
        kind = layer_format(media)
        if kind is None:
            notes.append(f"{location}: layer {index} ({media or 'no media type'}) is not a "
                         "signature format gate reads")
            continue
        if layer.size > MAX_ARTIFACT_BYTES:
            raise SignatureError(f"{location}: layer {index} {layer.digest} is "
                                 f"{layer.size} bytes, more than {MAX_ARTIFACT_BYTES}")
        blob_what = f"signature blob {layer.digest} of {location}"
        try:
            payload = read_blob(layer.digest, MAX_ARTIFACT_BYTES, blob_what)
        except DigestMismatchError:
            raise
        except ImageError as exc:
            raise SignatureError(exc.message) from None
        artifacts.append(SignatureArtifact(
            format=kind,
            payload=payload,
            payload_digest=layer.digest,
            media_type=media,
            found_via=found_via,
            location=location,
            annotations=dict(layer.annotations or {}),
            artifact_type=artifact_type,
            manifest_digest=manifest_digest,
        ))
    return artifacts, notes
