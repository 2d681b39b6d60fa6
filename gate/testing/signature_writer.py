"""Signature artifacts in cosign's exact formats, for tests and examples.

Builds the manifests and blobs cosign pushes (cosign ``specs/SIGNATURE_SPEC.md``,
``specs/ATTESTATION_SPEC.md``, ``specs/BUNDLE_SPEC.md``): a ``.sig`` manifest with one
simple-signing layer per signature and the ``dev.cosignproject.cosign/signature``
annotation, a ``.att`` manifest with DSSE envelope layers, a sigstore bundle artifact with
``subject`` = the image, the OCI 1.1 referrers tag index, and ``index.json`` entries to add
any of them to an OCI image layout. Signing uses keys the caller makes (``cryptography``).
Output is deterministic for the same input and key signatures aside.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
EMPTY_JSON = b"{}"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
IN_TOTO = "application/vnd.in-toto+json"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
CHAIN_ANNOTATION = "dev.sigstore.cosign/chain"
BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle"
REF_NAME = "org.opencontainers.image.ref.name"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Layer:
    """One blob of an artifact manifest and its descriptor annotations."""

    data: bytes
    media_type: str
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return sha256(self.data)


@dataclass(frozen=True)
class Artifact:
    """A manifest (or index) and every blob it needs, ready to push or to store."""

    manifest: bytes
    media_type: str
    blobs: Mapping[str, bytes]
    artifact_type: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    def descriptor(self) -> dict[str, Any]:
        """Its descriptor as a referrers index lists it (with artifactType and annotations)."""
        doc: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest,
                               "size": len(self.manifest)}
        if self.artifact_type:
            doc["artifactType"] = self.artifact_type
        if self.annotations:
            doc["annotations"] = dict(self.annotations)
        return doc


def cosign_tag(digest: str, suffix: str) -> str:
    """``sha256:<hex>`` -> ``sha256-<hex>.sig`` (``suffix`` ``sig``/``att``) or, with an
    empty suffix, the referrers tag ``sha256-<hex>``."""
    algorithm, encoded = digest.split(":", 1)
    return f"{algorithm}-{encoded}" + (f".{suffix}" if suffix else "")


def simple_signing_payload(
    docker_reference: str, manifest_digest: str, optional: Mapping[str, Any] | None = None
) -> bytes:
    """cosign's simple-signing payload (``critical.identity``, ``critical.image``)."""
    return _json({
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": manifest_digest},
            "type": "cosign container image signature",
        },
        "optional": dict(optional) if optional is not None else None,
    })


def sign(private_key: Any, data: bytes) -> bytes:
    """A signature as cosign makes it: ECDSA (ASN.1 DER, SHA-256), RSA PKCS#1 v1.5 SHA-256,
    or Ed25519, depending on the key type."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(data)
    raise TypeError(f"unsupported key type {type(private_key).__name__}")


def signature_layer(
    payload: bytes, private_key: Any, extra_annotations: Mapping[str, str] | None = None
) -> Layer:
    """One simple-signing layer: the payload blob, its base64 signature as annotation."""
    annotations = {SIGNATURE_ANNOTATION: base64.b64encode(sign(private_key, payload)).decode()}
    annotations.update(extra_annotations or {})
    return Layer(payload, SIMPLE_SIGNING, annotations)


def _config_for(layers: Sequence[Layer]) -> bytes:
    # What cosign (go-containerregistry's empty image + layers) writes as the config.
    return _json({
        "architecture": "", "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"} for _ in layers],
        "os": "", "rootfs": {"type": "layers",
                             "diff_ids": [layer.digest for layer in layers]},
        "config": {},
    })


def cosign_manifest(layers: Sequence[Layer]) -> Artifact:
    """A ``.sig`` or ``.att`` manifest holding ``layers``."""
    config = _config_for(layers)
    manifest = _json({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": sha256(config)},
        "layers": [{"mediaType": layer.media_type, "size": len(layer.data),
                    "digest": layer.digest, "annotations": dict(layer.annotations)}
                   for layer in layers],
    })
    blobs = {sha256(config): config, **{layer.digest: layer.data for layer in layers}}
    return Artifact(manifest, OCI_MANIFEST, blobs)


def in_toto_statement(
    name: str, digest: str, predicate_type: str, predicate: Mapping[str, Any]
) -> bytes:
    """An in-toto v1 statement about the image ``name`` at ``digest``."""
    algorithm, encoded = digest.split(":", 1)
    return _json({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {algorithm: encoded}}],
        "predicateType": predicate_type,
        "predicate": dict(predicate),
    })


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding (DSSE ``protocol.md``)."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def dsse_envelope(statement: bytes, private_key: Any, keyid: str = "") -> bytes:
    signature = sign(private_key, pae(IN_TOTO, statement))
    return _json({
        "payloadType": IN_TOTO,
        "payload": base64.b64encode(statement).decode(),
        "signatures": [{"keyid": keyid, "sig": base64.b64encode(signature).decode()}],
    })


def attestation_layer(envelope: bytes, predicate_type: str) -> Layer:
    """One ``.att`` layer (cosign leaves the signature annotation empty for DSSE)."""
    return Layer(envelope, DSSE_ENVELOPE,
                 {SIGNATURE_ANNOTATION: "", "predicateType": predicate_type})


def bundle_artifact(
    bundle: bytes,
    subject_digest: str,
    subject_media_type: str,
    subject_size: int,
    *,
    media_type: str = BUNDLE_V03,
    annotations: Mapping[str, str] | None = None,
) -> Artifact:
    """cosign's new bundle format: an OCI 1.1 artifact manifest, empty config, one bundle
    layer, ``subject`` = the image (cosign ``specs/BUNDLE_SPEC.md``)."""
    digest = sha256(bundle)
    manifest_annotations = dict(annotations or {"dev.sigstore.bundle.content": "dsse-envelope"})
    manifest = _json({
        "mediaType": OCI_MANIFEST, "schemaVersion": 2, "artifactType": media_type,
        "config": {"mediaType": OCI_EMPTY, "digest": sha256(EMPTY_JSON), "size": 2},
        "layers": [{"digest": digest, "mediaType": media_type, "size": len(bundle),
                    "annotations": {"org.opencontainers.image.title":
                                    f"{cosign_tag(digest, '')}.sigstore.json"}}],
        "annotations": manifest_annotations,
        "subject": {"digest": subject_digest, "mediaType": subject_media_type,
                    "size": subject_size},
    })
    return Artifact(manifest, OCI_MANIFEST, {sha256(EMPTY_JSON): EMPTY_JSON, digest: bundle},
                    artifact_type=media_type, annotations=manifest_annotations)


def referrers_index(referrers: Sequence[Artifact | Mapping[str, Any]]) -> Artifact:
    """The referrers tag index (distribution spec 1.1 "Referrers Tag Schema")."""
    entries = [r.descriptor() if isinstance(r, Artifact) else dict(r) for r in referrers]
    index = _json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    return Artifact(index, OCI_INDEX, {})


def add_to_layout(
    layout: str | Path,
    artifact: Artifact,
    *,
    ref_name: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> None:
    """Store ``artifact`` in the OCI layout and list it in ``index.json`` (tagged
    ``ref_name`` if given, with ``annotations`` such as cosign save's ``kind``)."""
    root = Path(layout)
    for digest, data in {**artifact.blobs, artifact.digest: artifact.manifest}.items():
        algorithm, encoded = digest.split(":", 1)
        target = root / "blobs" / algorithm / encoded
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    index_path = root / "index.json"
    index = json.loads(index_path.read_bytes())
    entry = artifact.descriptor()
    entry_annotations = dict(annotations or {})
    if ref_name is not None:
        entry_annotations[REF_NAME] = ref_name
    if entry_annotations:
        entry["annotations"] = entry_annotations
    else:
        entry.pop("annotations", None)
    index["manifests"].append(entry)
    index_path.write_bytes(_json(index))
