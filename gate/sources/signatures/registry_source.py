"""Signatures of an image in a registry repository, by every scheme cosign and the OCI
distribution spec 1.1 define, in this order:

1. cosign's tag scheme: ``<repo>:sha256-<hex>.sig`` (simple signing) and ``.att`` (DSSE
   attestations) - cosign ``specs/SIGNATURE_SPEC.md``;
2. the referrers API ``GET /v2/<name>/referrers/<digest>`` (sigstore bundles as OCI 1.1
   artifacts with ``subject`` = the image - cosign ``specs/BUNDLE_SPEC.md``), or, when the
   registry answers 404 (no API), the referrers tag ``<repo>:sha256-<hex>`` index.

Every manifest and blob is digest-verified; a referrer whose ``subject`` is another digest is
skipped with a note (a stale or forged fallback index cannot lend signatures to an image).
"""

from __future__ import annotations

from gate.errors import SignatureError
from gate.sources.image import media_types as mt
from gate.sources.image.digest import split_digest
from gate.sources.registry.client import RegistryClient
from gate.sources.signatures.media_types import (
    SIGNATURE_ARTIFACT_TYPES,
    cosign_tag,
    referrers_tag,
)
from gate.sources.signatures.parse import (
    artifacts_from_manifest,
    manifest_doc,
    subject_of,
)
from gate.verifiers.artifacts import DiscoveryResult, DiscoveryScheme, SignatureArtifact

_MAX_REFERRERS = 256
"""Referrer manifests opened per image at most (a registry could list thousands)."""


class RegistrySignatureSource:
    """Signature discovery in one registry repository."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client

    def describe(self) -> str:
        return f"registry {self.client.name}"

    def discover(self, subject_digest: str) -> DiscoveryResult:
        split_digest(subject_digest, "signature subject")
        artifacts: list[SignatureArtifact] = []
        notes: list[str] = []
        tried = [DiscoveryScheme.COSIGN_TAG]
        for suffix in ("sig", "att"):
            found, more = self._cosign_tag(cosign_tag(subject_digest, suffix))
            artifacts += found
            notes += more

        tried.append(DiscoveryScheme.REFERRERS_API)
        referrers = self.client.referrers(subject_digest)
        if referrers is not None:
            scheme = DiscoveryScheme.REFERRERS_API
            entries = list(referrers.descriptors)
        else:
            scheme = DiscoveryScheme.REFERRERS_TAG
            tried.append(scheme)
            tag = referrers_tag(subject_digest)
            notes.append(f"registry {self.client.registry} has no referrers API; used "
                         f"the referrers tag {tag}")
            entries = self._fallback_entries(tag)
        found, more = self._referrers(subject_digest, entries, scheme)
        artifacts += found
        notes += more
        return DiscoveryResult(subject_digest=subject_digest, artifacts=tuple(artifacts),
                               schemes_tried=tuple(tried), notes=tuple(notes))

    def _cosign_tag(self, tag: str) -> tuple[list[SignatureArtifact], list[str]]:
        fetched = self.client.manifest_if_exists(tag)
        if fetched is None:
            return [], []
        location = f"{self.client.name}:{tag}"
        doc = manifest_doc(fetched.data, f"signature manifest {location}")
        if "manifests" in doc:
            raise SignatureError(f"{location} is an index, not a cosign signature manifest")
        return artifacts_from_manifest(doc, fetched.digest, self.client.blob,
                                       DiscoveryScheme.COSIGN_TAG, location)

    def _fallback_entries(self, tag: str) -> list[dict[str, object]]:
        fetched = self.client.manifest_if_exists(tag)
        if fetched is None:
            return []
        what = f"referrers tag index {self.client.name}:{tag}"
        doc = manifest_doc(fetched.data, what)
        entries = doc.get("manifests")
        media = doc.get("mediaType") or fetched.media_type
        if not isinstance(entries, list) or media not in (mt.OCI_INDEX, None):
            raise SignatureError(f"{what} is not an OCI image index")
        return [entry for entry in entries if isinstance(entry, dict)]

    def _referrers(
        self, subject: str, entries: list[dict[str, object]], scheme: DiscoveryScheme
    ) -> tuple[list[SignatureArtifact], list[str]]:
        artifacts: list[SignatureArtifact] = []
        notes: list[str] = []
        other = 0
        opened = 0
        for entry in entries:
            artifact_type = entry.get("artifactType")
            digest = entry.get("digest")
            if not isinstance(digest, str):
                raise SignatureError(f"a referrer of {subject} in {self.client.name} has no "
                                     "digest")
            if artifact_type is not None and artifact_type not in SIGNATURE_ARTIFACT_TYPES:
                other += 1
                continue
            opened += 1
            if opened > _MAX_REFERRERS:
                notes.append(f"more than {_MAX_REFERRERS} referrers of {subject}; the rest "
                             "were not opened")
                break
            location = f"{self.client.name}@{digest}"
            fetched = self.client.manifest_if_exists(digest)
            if fetched is None:
                notes.append(f"referrer {location} is listed but missing; skipped")
                continue
            doc = manifest_doc(fetched.data, f"referrer manifest {location}")
            if subject_of(doc) != subject:
                notes.append(f"referrer {location} has subject {subject_of(doc)}, not "
                             f"{subject}; skipped")
                continue
            found, more = artifacts_from_manifest(doc, fetched.digest, self.client.blob,
                                                  scheme, location)
            artifacts += found
            notes += more
        if other:
            notes.append(f"{other} referrer(s) of other artifact types (SBOMs, other signature "
                         "formats) ignored")
        return artifacts, notes
