"""One discovered artifact, unpacked into what verification needs (:class:`Material`).

Three wire formats, one shape:

* cosign simple signing (cosign ``specs/SIGNATURE_SPEC.md``): the layer blob is the payload; the
  layer annotations carry the base64 signature (``dev.cosignproject.cosign/signature``), for
  keyless the PEM certificate and chain (``dev.sigstore.cosign/certificate``, ``.../chain``) and,
  when the signature went to Rekor, the ``dev.sigstore.cosign/bundle`` JSON: the log entry body,
  integrated time, index, log id and the SignedEntryTimestamp (SET) over them.
* cosign attestations (``specs/ATTESTATION_SPEC.md``): the blob is a DSSE envelope holding an
  in-toto statement; the same annotations, with an empty signature annotation.
* sigstore bundles (protobuf-specs ``sigstore_bundle.proto``, media types v0.1 to v0.3): a
  certificate, certificate chain or public-key hint, transparency log entries, and either a
  ``messageSignature`` or a ``dsseEnvelope``.

An artifact that cannot be unpacked is not an error of the gate: anyone can push garbage next to
a valid signature. It becomes a Material with ``problems``, reported as an invalid signature.
"""

from __future__ import annotations

import base64
import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from gate.verifiers.artifacts import ArtifactFormat, DiscoveryScheme, SignatureArtifact
from gate.verifiers.payloads import (
    COSIGN_SIGN_PREDICATE,
    SIMPLE_SIGNING_MEDIA_TYPE,
    Envelope,
    PayloadError,
    SimpleSigning,
    Statement,
    b64decode,
    parse_envelope,
    parse_simple_signing,
    parse_statement,
    strict_json,
)

SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
CHAIN_ANNOTATION = "dev.sigstore.cosign/chain"
BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle"
BUNDLE_MEDIA_TYPES = (
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
)
SCHEME_NAMES = {
    DiscoveryScheme.COSIGN_TAG: "cosign tag",
    DiscoveryScheme.REFERRERS_API: "referrers API",
    DiscoveryScheme.REFERRERS_TAG: "referrers tag",
    DiscoveryScheme.OCI_LAYOUT: "OCI layout",
}


class MaterialKind(str, enum.Enum):
    SIMPLE_SIGNING = "simple-signing"
    DSSE = "dsse"
    MESSAGE_SIGNATURE = "message-signature"


class Role(str, enum.Enum):
    SIGNATURE = "signature"
    ATTESTATION = "attestation"


@dataclass(frozen=True)
class LogEntry:
    """A Rekor log entry as carried next to a signature."""

    kind: str
    version: str
    body: bytes
    """The canonicalized entry body (JSON), decoded."""
    body_b64: str
    """The body exactly as the SET signs it (base64 text)."""
    integrated_time: int
    log_index: int
    log_id: bytes
    signed_entry_timestamp: bytes | None
    has_inclusion_proof: bool = False


@dataclass(frozen=True)
class Material:
    number: int
    """1-based position among the artifacts found, for messages."""
    artifact: SignatureArtifact
    kind: MaterialKind | None
    role: Role | None
    signed_data: bytes = b""
    """What the signatures sign: the payload, or the DSSE PAE (empty for a message signature,
    which signs the image manifest, known by its digest)."""
    signatures: tuple[bytes, ...] = ()
    certificate: x509.Certificate | None = None
    chain: tuple[x509.Certificate, ...] = ()
    log_entries: tuple[LogEntry, ...] = ()
    simple_signing: SimpleSigning | None = None
    envelope: Envelope | None = None
    statement: Statement | None = None
    message_digest: str | None = None
    """A message signature's ``messageDigest``, as ``sha256:<hex>``."""
    bundle_media_type: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        word = self.role.value if self.role else "artifact"
        return f"{word} {self.number} ({self.artifact.location})"

    @property
    def keyless(self) -> bool:
        return self.certificate is not None


def unpack(number: int, artifact: SignatureArtifact) -> Material:
    try:
        if artifact.format is ArtifactFormat.COSIGN_SIMPLE_SIGNING:
            return _simple_signing(number, artifact)
        if artifact.format is ArtifactFormat.COSIGN_ATTESTATION:
            return _attestation(number, artifact)
        return _bundle(number, artifact)
    except PayloadError as exc:
        role = {
            ArtifactFormat.COSIGN_SIMPLE_SIGNING: Role.SIGNATURE,
            ArtifactFormat.COSIGN_ATTESTATION: Role.ATTESTATION,
        }.get(artifact.format)
        return Material(number, artifact, kind=None, role=role, problems=(str(exc),))


# -- cosign's annotation format ---------------------------------------------------------------


def _simple_signing(number: int, artifact: SignatureArtifact) -> Material:
    if artifact.media_type != SIMPLE_SIGNING_MEDIA_TYPE:
        raise PayloadError(
            f"layer media type {artifact.media_type!r} is not a cosign simple-signing payload"
        )
    payload = parse_simple_signing(artifact.payload)
    signature = b64decode(artifact.annotations.get(SIGNATURE_ANNOTATION), "signature annotation")
    if not signature:
        raise PayloadError(f"empty {SIGNATURE_ANNOTATION} annotation")
    cert, chain = _annotated_certificates(artifact.annotations)
    return Material(
        number=number,
        artifact=artifact,
        kind=MaterialKind.SIMPLE_SIGNING,
        role=Role.SIGNATURE,
        signed_data=artifact.payload,
        signatures=(signature,),
        certificate=cert,
        chain=chain,
        log_entries=_annotated_log_entry(artifact.annotations),
        simple_signing=payload,
    )


def _attestation(number: int, artifact: SignatureArtifact) -> Material:
    envelope = parse_envelope(strict_json(artifact.payload, "DSSE envelope"))
    statement = parse_statement(envelope)
    cert, chain = _annotated_certificates(artifact.annotations)
    return Material(
        number=number,
        artifact=artifact,
        kind=MaterialKind.DSSE,
        role=Role.ATTESTATION,
        signed_data=envelope.pae(),
        signatures=envelope.signatures,
        certificate=cert,
        chain=chain,
        log_entries=_annotated_log_entry(artifact.annotations),
        envelope=envelope,
        statement=statement,
    )


def _annotated_certificates(
    annotations: Mapping[str, str],
) -> tuple[x509.Certificate | None, tuple[x509.Certificate, ...]]:
    pem = annotations.get(CERTIFICATE_ANNOTATION)
    if not pem:
        return None, ()
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("utf-8"))
    except ValueError:
        raise PayloadError(f"{CERTIFICATE_ANNOTATION} is not a PEM certificate") from None
    chain_pem = annotations.get(CHAIN_ANNOTATION)
    chain: list[x509.Certificate] = []
    if chain_pem:
        try:
            chain = x509.load_pem_x509_certificates(chain_pem.encode("utf-8"))
        except ValueError:
            raise PayloadError(f"{CHAIN_ANNOTATION} is not a PEM certificate chain") from None
    return cert, tuple(chain)


def _annotated_log_entry(annotations: Mapping[str, str]) -> tuple[LogEntry, ...]:
    """``dev.sigstore.cosign/bundle``: ``{"SignedEntryTimestamp", "Payload": {"body",
    "integratedTime", "logIndex", "logID"}}`` (SIGNATURE_SPEC.md "bundle")."""
    text = annotations.get(BUNDLE_ANNOTATION)
    if not text:
        return ()
    doc = strict_json(text, BUNDLE_ANNOTATION)
    payload = doc.get("Payload") if isinstance(doc, Mapping) else None
    if not isinstance(payload, Mapping):
        raise PayloadError(f"{BUNDLE_ANNOTATION} has no Payload")
    body_b64 = payload.get("body")
    log_id = payload.get("logID")
    integrated, index = payload.get("integratedTime"), payload.get("logIndex")
    if not isinstance(body_b64, str) or not isinstance(log_id, str):
        raise PayloadError(f"{BUNDLE_ANNOTATION} Payload needs body and logID strings")
    numbers = (integrated, index)
    if not (isinstance(integrated, int) and isinstance(index, int)) or any(
        isinstance(n, bool) for n in numbers
    ):
        raise PayloadError(f"{BUNDLE_ANNOTATION} Payload needs integer integratedTime, logIndex")
    try:
        log_id_bytes = bytes.fromhex(log_id)
    except ValueError:
        raise PayloadError(f"{BUNDLE_ANNOTATION} logID is not hex") from None
    body = b64decode(body_b64, f"{BUNDLE_ANNOTATION} body")
    kind, version = _kind_version(body)
    return (
        LogEntry(
            kind=kind,
            version=version,
            body=body,
            body_b64=body_b64,
            integrated_time=integrated,
            log_index=index,
            log_id=log_id_bytes,
            signed_entry_timestamp=b64decode(
                doc.get("SignedEntryTimestamp"), f"{BUNDLE_ANNOTATION} SignedEntryTimestamp"
            ),
        ),
    )


def _kind_version(body: bytes) -> tuple[str, str]:
    doc = strict_json(body, "transparency log entry body")
    if not isinstance(doc, Mapping):
        raise PayloadError("transparency log entry body is not a JSON object")
    return str(doc.get("kind", "")), str(doc.get("apiVersion", ""))


# -- sigstore bundles -------------------------------------------------------------------------


def _bundle(number: int, artifact: SignatureArtifact) -> Material:
    doc = strict_json(artifact.payload, "sigstore bundle")
    if not isinstance(doc, Mapping):
        raise PayloadError("sigstore bundle is not a JSON object")
    media_type = doc.get("mediaType")
    if media_type not in BUNDLE_MEDIA_TYPES:
        raise PayloadError(f"unknown sigstore bundle media type {media_type!r}")
    material = doc.get("verificationMaterial")
    if not isinstance(material, Mapping):
        raise PayloadError("sigstore bundle has no verificationMaterial")
    cert, chain = _bundle_certificates(material)
    entries = tuple(_bundle_log_entry(e, i) for i, e in enumerate(_list(material, "tlogEntries")))
    common: dict[str, Any] = {
        "number": number,
        "artifact": artifact,
        "certificate": cert,
        "chain": chain,
        "log_entries": entries,
        "bundle_media_type": str(media_type),
    }
    if "dsseEnvelope" in doc:
        envelope = parse_envelope(doc["dsseEnvelope"], "bundle dsseEnvelope")
        statement = parse_statement(envelope)
        signature_kind = statement.predicate_type == COSIGN_SIGN_PREDICATE
        return Material(
            kind=MaterialKind.DSSE,
            role=Role.SIGNATURE if signature_kind else Role.ATTESTATION,
            signed_data=envelope.pae(),
            signatures=envelope.signatures,
            envelope=envelope,
            statement=statement,
            **common,
        )
    message = doc.get("messageSignature")
    if not isinstance(message, Mapping):
        raise PayloadError("sigstore bundle has neither messageSignature nor dsseEnvelope")
    signature = b64decode(message.get("signature"), "bundle messageSignature.signature")
    digest_doc = message.get("messageDigest")
    message_digest = None
    if isinstance(digest_doc, Mapping):
        if digest_doc.get("algorithm") != "SHA2_256":
            raise PayloadError(
                f"bundle messageDigest algorithm {digest_doc.get('algorithm')!r} is not SHA2_256"
            )
        raw = b64decode(digest_doc.get("digest"), "bundle messageDigest.digest")
        message_digest = "sha256:" + raw.hex()
    return Material(
        kind=MaterialKind.MESSAGE_SIGNATURE,
        role=Role.SIGNATURE,
        signatures=(signature,),
        message_digest=message_digest,
        **common,
    )


def _list(doc: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise PayloadError(f"bundle {key} must be an array of objects")
    return value


def _der_cert(value: Any, what: str) -> x509.Certificate:
    raw = b64decode(value.get("rawBytes") if isinstance(value, Mapping) else None, what)
    try:
        return x509.load_der_x509_certificate(raw)
    except ValueError:
        raise PayloadError(f"{what} is not a DER certificate") from None


def _bundle_certificates(
    material: Mapping[str, Any],
) -> tuple[x509.Certificate | None, tuple[x509.Certificate, ...]]:
    if "certificate" in material:
        return _der_cert(material["certificate"], "bundle certificate"), ()
    if "x509CertificateChain" in material:
        chain = material["x509CertificateChain"]
        listed = _list(chain if isinstance(chain, Mapping) else {}, "certificates")
        certs = [_der_cert(c, f"bundle certificate chain [{i}]") for i, c in enumerate(listed)]
        if not certs:
            raise PayloadError("bundle x509CertificateChain is empty")
        return certs[0], tuple(certs[1:])
    if "publicKey" in material:
        return None, ()
    raise PayloadError("bundle has no certificate, certificate chain or public key")


def _bundle_log_entry(entry: Mapping[str, Any], index: int) -> LogEntry:
    what = f"bundle tlogEntries[{index}]"
    body_b64 = entry.get("canonicalizedBody")
    body = b64decode(body_b64, f"{what}.canonicalizedBody")
    kind_version = entry.get("kindVersion")
    kind, version = _kind_version(body)
    if isinstance(kind_version, Mapping):
        kind = str(kind_version.get("kind", kind))
        version = str(kind_version.get("version", version))
    log_id = entry.get("logId")
    promise = entry.get("inclusionPromise")
    set_bytes = None
    if isinstance(promise, Mapping):
        set_bytes = b64decode(
            promise.get("signedEntryTimestamp"), f"{what}.inclusionPromise.signedEntryTimestamp"
        )
    try:
        integrated = int(str(entry.get("integratedTime", 0)))
        log_index = int(str(entry.get("logIndex", -1)))
    except ValueError:
        raise PayloadError(f"{what}: integratedTime and logIndex must be integers") from None
    # Rekor signs the entry body in its base64 text form (the REST API's "body"); bundles
    # carry the same bytes, re-encoded here in standard base64 as Rekor emits it.
    return LogEntry(
        kind=kind,
        version=version,
        body=body,
        body_b64=base64.b64encode(body).decode("ascii"),
        integrated_time=integrated,
        log_index=log_index,
        log_id=b64decode(
            log_id.get("keyId") if isinstance(log_id, Mapping) else None, f"{what}.logId.keyId"
        ),
        signed_entry_timestamp=set_bytes,
        has_inclusion_proof=isinstance(entry.get("inclusionProof"), Mapping),
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = [
    "BUNDLE_ANNOTATION",
    "CERTIFICATE_ANNOTATION",
    "CHAIN_ANNOTATION",
    "SCHEME_NAMES",
    "SIGNATURE_ANNOTATION",
    "LogEntry",
    "Material",
    "MaterialKind",
    "Role",
    "sha256_hex",
    "unpack",
]
