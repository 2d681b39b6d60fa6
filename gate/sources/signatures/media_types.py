"""Media types and names of signature material (cosign ``specs/SIGNATURE_SPEC.md``,
``specs/ATTESTATION_SPEC.md``, ``specs/BUNDLE_SPEC.md``; sigstore protobuf-specs bundle
media types; OCI distribution spec 1.1 "Referrers Tag Schema")."""

from __future__ import annotations

from gate.sources.image.digest import split_digest
from gate.verifiers.artifacts import ArtifactFormat

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
BUNDLE_V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
BUNDLE_V02 = "application/vnd.dev.sigstore.bundle+json;version=0.2"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
BUNDLE_V03_LEGACY = "application/vnd.dev.sigstore.bundle+json;version=0.3"
BUNDLE_TYPES = frozenset({BUNDLE_V01, BUNDLE_V02, BUNDLE_V03, BUNDLE_V03_LEGACY})

COSIGN_SIG_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
"""``artifactType`` cosign gives ``.sig``-style manifests pushed as OCI 1.1 referrers."""
COSIGN_ATT_ARTIFACT = "application/vnd.dev.cosign.artifact.att.v1+json"

SIGNATURE_ARTIFACT_TYPES = BUNDLE_TYPES | {COSIGN_SIG_ARTIFACT, COSIGN_ATT_ARTIFACT}
"""Referrers of these artifact types (or of none) are opened; others (SBOMs, notation
signatures) are counted and skipped."""

LAYER_FORMATS: dict[str, ArtifactFormat] = {
    SIMPLE_SIGNING: ArtifactFormat.COSIGN_SIMPLE_SIGNING,
    DSSE_ENVELOPE: ArtifactFormat.COSIGN_ATTESTATION,
    **{media: ArtifactFormat.SIGSTORE_BUNDLE for media in BUNDLE_TYPES},
}

COSIGN_KIND = "kind"
"""``cosign save`` marks index.json entries with this annotation."""
COSIGN_KIND_SIGS = "dev.cosignproject.cosign/sigs"
COSIGN_KIND_ATTS = "dev.cosignproject.cosign/atts"


def layer_format(media_type: str) -> ArtifactFormat | None:
    normalised = media_type.replace(" ", "").lower()
    return LAYER_FORMATS.get(normalised)


def cosign_tag(digest: str, suffix: str) -> str:
    """``sha256:<hex>`` -> ``sha256-<hex>.sig`` (cosign's tag scheme)."""
    algorithm, encoded = split_digest(digest, "signature subject")
    return f"{algorithm}-{encoded}.{suffix}"


def referrers_tag(digest: str) -> str:
    """distribution spec 1.1 referrers tag: ``<alg>-<ref>``, algorithm truncated to 32 and
    the encoded part to 64 characters."""
    algorithm, encoded = split_digest(digest, "signature subject")
    return f"{algorithm[:32]}-{encoded[:64]}"
