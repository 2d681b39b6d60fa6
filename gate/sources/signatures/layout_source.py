"""Signatures stored next to an image inside a local OCI layout or oci-archive.

Tools that copy signed images into layouts keep the registry names: ``cosign save`` writes
the signature and attestation manifests as ``index.json`` entries whose
``org.opencontainers.image.ref.name`` is ``[REPO:]sha256-<hex>.sig`` / ``.att`` and whose
``kind`` annotation is ``dev.cosignproject.cosign/sigs`` / ``atts`` (older cosign: the
``kind`` only); ``oras copy -r`` / ``skopeo`` keep OCI 1.1 referrers as entries whose
manifest has a ``subject``, or a referrers tag index ``sha256-<hex>``. All of these are
read; every manifest and blob is digest-verified.
"""

from __future__ import annotations

from gate.errors import SignatureError
from gate.sources.image import media_types as mt
from gate.sources.image.blob_stream import read_blob_verified
from gate.sources.image.layout_store import MAX_METADATA_BYTES, LayoutStore
from gate.sources.image.manifest import Descriptor, descriptors
from gate.sources.image.oci_layout import REF_NAME, index_entries
from gate.sources.signatures.media_types import (
    COSIGN_KIND,
    COSIGN_KIND_ATTS,
    COSIGN_KIND_SIGS,
    SIGNATURE_ARTIFACT_TYPES,
    cosign_tag,
    referrers_tag,
)
from gate.sources.signatures.parse import (
    artifact_type_of,
    artifacts_from_manifest,
    manifest_doc,
    subject_of,
)
from gate.verifiers.artifacts import DiscoveryResult, DiscoveryScheme, SignatureArtifact

_MAX_ENTRIES = 4096
"""index.json entries inspected at most."""


def _tag_matches(name: str, tag: str) -> bool:
    """``sha256-<hex>.sig`` or a full ``registry/repo:sha256-<hex>.sig`` (cosign save)."""
    return name == tag or name.endswith(f":{tag}")


class LayoutSignatureSource:
    """Signature discovery inside one OCI image layout (directory or archive)."""

    def __init__(self, store: LayoutStore, name: str | None = None) -> None:
        self.store = store
        self.name = name or store.describe()

    def describe(self) -> str:
        return f"OCI layout {self.name}"

    def _read(self, digest: str, max_size: int, what: str) -> bytes:
        return read_blob_verified(self.store, digest, max_size, what)

    def discover(self, subject_digest: str) -> DiscoveryResult:
        sig_tag, att_tag = cosign_tag(subject_digest, "sig"), cosign_tag(subject_digest, "att")
        fallback_tag = referrers_tag(subject_digest)
        artifacts: list[SignatureArtifact] = []
        notes: list[str] = []
        seen: set[str] = set()
        entries = index_entries(self.store)
        if len(entries) > _MAX_ENTRIES:
            notes.append(f"index.json of {self.name} lists {len(entries)} entries; only the "
                         f"first {_MAX_ENTRIES} were inspected")
            entries = entries[:_MAX_ENTRIES]
        for entry in entries:
            if entry.digest in seen:
                continue
            annotations = entry.annotations or {}
            name = annotations.get(REF_NAME, "")
            kind = annotations.get(COSIGN_KIND, "")
            if name and _tag_matches(name, fallback_tag):
                seen.add(entry.digest)
                found, more = self._fallback_index(entry, subject_digest, seen)
            elif (name and (_tag_matches(name, sig_tag) or _tag_matches(name, att_tag))) or (
                not name and kind in (COSIGN_KIND_SIGS, COSIGN_KIND_ATTS)
            ):
                seen.add(entry.digest)
                found, more = self._manifest(entry, name or kind, None)
            elif entry.media_type in (mt.OCI_MANIFEST, None) and entry.digest != subject_digest:
                # Possibly an OCI 1.1 referrer kept as a plain entry: open it, keep it only
                # if its subject is this image.
                found, more = self._manifest(entry, name or entry.digest, subject_digest,
                                             quiet=True)
                if found or more:
                    seen.add(entry.digest)
            else:
                continue
            artifacts += found
            notes += more
        return DiscoveryResult(subject_digest=subject_digest, artifacts=tuple(artifacts),
                               schemes_tried=(DiscoveryScheme.OCI_LAYOUT,), notes=tuple(notes))

    def _manifest(
        self, entry: Descriptor, label: str, subject: str | None, *, quiet: bool = False
    ) -> tuple[list[SignatureArtifact], list[str]]:
        location = f"{self.name}:{label}" if not label.startswith("sha256:") else (
            f"{self.name}@{label}")
        data = read_blob_verified(self.store, entry.digest, MAX_METADATA_BYTES,
                                  f"manifest {entry.digest} of {self.name}")
        doc = manifest_doc(data, f"signature manifest {location}")
        if "manifests" in doc:
            if quiet:
                return [], []
            raise SignatureError(f"{location} is an index, not a signature manifest")
        if subject is not None:
            if subject_of(doc) != subject:
                return [], []
            artifact_type = artifact_type_of(doc)
            if artifact_type is not None and artifact_type not in SIGNATURE_ARTIFACT_TYPES:
                return [], [f"{location}: referrer of artifact type {artifact_type} ignored"]
        return artifacts_from_manifest(doc, entry.digest, self._read,
                                       DiscoveryScheme.OCI_LAYOUT, location)

    def _fallback_index(
        self, entry: Descriptor, subject: str, seen: set[str]
    ) -> tuple[list[SignatureArtifact], list[str]]:
        what = f"referrers tag index {self.name}:{referrers_tag(subject)}"
        data = read_blob_verified(self.store, entry.digest, MAX_METADATA_BYTES, what)
        doc = manifest_doc(data, what)
        try:
            listed = descriptors(doc, "manifests", what)
        except Exception as exc:
            raise SignatureError(f"{what} is not an image index ({exc})") from None
        artifacts: list[SignatureArtifact] = []
        notes: list[str] = []
        for item in listed:
            if item.digest in seen:
                continue
            seen.add(item.digest)
            found, more = self._manifest(item, item.digest, subject)
            if not found and not more:
                notes.append(f"{what}: {item.digest} has another subject; skipped")
            artifacts += found
            notes += more
        return artifacts, notes
