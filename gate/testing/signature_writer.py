"""Signatures in cosign's and sigstore's exact formats, made with keys the tests generate.

One writer for every test and bench that needs a signed image. What cosign writes, byte for
byte where it matters (cosign ``specs/SIGNATURE_SPEC.md``, ``specs/ATTESTATION_SPEC.md``,
``specs/BUNDLE_SPEC.md``, sigstore protobuf-specs):

* keys and signatures: ECDSA P-256/P-384 (ASN.1 DER over the curve's hash), RSA PKCS#1 v1.5
  over SHA-256, Ed25519 over the message;
* the simple-signing payload and its ``.sig`` manifest: one layer per signature, media type
  ``application/vnd.dev.cosign.simplesigning.v1+json``, the base64 signature in the
  ``dev.cosignproject.cosign/signature`` layer annotation, certificate, chain and Rekor bundle
  in the ``dev.sigstore.cosign/*`` annotations;
* DSSE envelopes over in-toto statements (``.att`` layers), the DSSE PAE signed;
* sigstore bundles v0.3 (``publicKey`` hint or certificate, ``dsseEnvelope``), alone or as
  cosign's OCI 1.1 bundle artifact with ``subject`` = the image;
* the OCI 1.1 referrers tag index, and ``index.json`` entries that add any artifact to an OCI
  image layout (what ``cosign save`` writes);
* a private sigstore instance (:class:`TestSigstore`): a Fulcio-like CA issuing short-lived
  certificates with the Fulcio OID extensions and an embedded SCT from its CT log, a Rekor-like
  log signing SETs, and the ``trusted_root.json`` describing both, as a private deployment
  would publish it.

Nothing here is used by the gate itself. Output is deterministic for the same input, key
signatures aside.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyKind = Literal["p256", "p384", "rsa", "ed25519"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

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
_FULCIO = "1.3.6.1.4.1.57264.1."
_SCT_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256(data: bytes) -> str:
    """The OCI digest of ``data``: ``sha256:<hex>``."""
    return "sha256:" + sha256_hex(data)


def _json(doc: Any) -> bytes:
    # cosign (Go's encoding/json) writes no whitespace.
    return json.dumps(doc, separators=(",", ":")).encode()


# -- keys and signatures -----------------------------------------------------------------------


def generate_key(kind: KeyKind) -> PrivateKey:
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ed25519.Ed25519PrivateKey.generate()


def public_pem(key: PrivateKey) -> bytes:
    """The ``cosign.pub`` form: a PEM SubjectPublicKeyInfo."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign(key: PrivateKey, data: bytes) -> bytes:
    """As cosign signs: ECDSA over the curve's hash (ASN.1 DER signature), RSA PKCS#1 v1.5
    over SHA-256, Ed25519 over the message."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm: hashes.HashAlgorithm = (
            hashes.SHA384() if key.curve.name == "secp384r1" else hashes.SHA256()
        )
        return key.sign(data, ec.ECDSA(algorithm))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise TypeError(f"unsupported key type {type(key).__name__}")


# -- payloads ----------------------------------------------------------------------------------


def simple_signing_payload(
    *, digest: str, reference: str, optional: Mapping[str, Any] | None = None
) -> bytes:
    """cosign's payload, with its field order and no whitespace (what ``cosign sign`` writes).

    Keyword-only: both values are strings, and swapping them must not go unnoticed."""
    return _json({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": dict(optional) if optional is not None else None,
    })


def in_toto_statement(
    digest: str,
    predicate_type: str,
    predicate: Any,
    *,
    name: str = "",
    statement_type: str = "https://in-toto.io/Statement/v1",
) -> bytes:
    """An in-toto statement about the image ``name`` at ``digest``."""
    algorithm, _, encoded = digest.partition(":")
    return _json({
        "_type": statement_type,
        "subject": [{"name": name, "digest": {algorithm: encoded}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding (DSSE ``protocol.md``)."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope with one signature."""

    payload_type: str
    payload: bytes
    signature: bytes
    keyid: str = ""

    def json(self) -> bytes:
        return _json({
            "payloadType": self.payload_type,
            "payload": b64(self.payload),
            "signatures": [{"keyid": self.keyid, "sig": b64(self.signature)}],
        })


def dsse_envelope(
    key: PrivateKey, statement: bytes, payload_type: str = IN_TOTO, *, keyid: str = ""
) -> Envelope:
    return Envelope(payload_type, statement, sign(key, pae(payload_type, statement)), keyid)


# -- cosign's storage --------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One layer of a cosign ``.sig`` / ``.att`` manifest: the blob and its annotations."""

    media_type: str
    blob: bytes
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return sha256(self.blob)

    def descriptor(self) -> dict[str, Any]:
        return {
            "mediaType": self.media_type,
            "size": len(self.blob),
            "digest": self.digest,
            "annotations": dict(self.annotations),
        }


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


def _signer_annotations(
    certificate: x509.Certificate | None,
    chain: Sequence[x509.Certificate],
    rekor_bundle: bytes | None,
) -> dict[str, str]:
    annotations: dict[str, str] = {}
    if certificate is not None:
        annotations[CERTIFICATE_ANNOTATION] = _pem(certificate).decode()
    if chain:
        annotations[CHAIN_ANNOTATION] = b"".join(_pem(c) for c in chain).decode()
    if rekor_bundle is not None:
        annotations[BUNDLE_ANNOTATION] = rekor_bundle.decode()
    return annotations


def signature_layer(
    payload: bytes,
    signature: bytes,
    *,
    certificate: x509.Certificate | None = None,
    chain: Sequence[x509.Certificate] = (),
    rekor_bundle: bytes | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Layer:
    """One simple-signing layer: the payload blob, its base64 ``signature`` (see :func:`sign`),
    the signer's certificate, chain and Rekor bundle, then any further ``annotations``."""
    merged = {SIGNATURE_ANNOTATION: b64(signature)}
    merged.update(_signer_annotations(certificate, chain, rekor_bundle))
    merged.update(annotations or {})
    return Layer(SIMPLE_SIGNING, payload, merged)


def attestation_layer(
    envelope: Envelope,
    *,
    predicate_type: str,
    certificate: x509.Certificate | None = None,
    chain: Sequence[x509.Certificate] = (),
    rekor_bundle: bytes | None = None,
) -> Layer:
    """One ``.att`` layer (cosign leaves the signature annotation empty for DSSE)."""
    annotations = {SIGNATURE_ANNOTATION: "", "predicateType": predicate_type}
    annotations.update(_signer_annotations(certificate, chain, rekor_bundle))
    return Layer(DSSE_ENVELOPE, envelope.json(), annotations)


def cosign_manifest(layers: Sequence[Layer]) -> Artifact:
    """cosign's ``sha256-<hex>.sig`` / ``.att`` image holding ``layers``: an OCI manifest whose
    config is what go-containerregistry writes for layers appended to its empty image (one
    history entry and one diff id per layer)."""
    config = _json({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"} for _ in layers],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
        "config": {},
    })
    manifest = _json({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": sha256(config)},
        "layers": [layer.descriptor() for layer in layers],
    })
    blobs = {sha256(config): config, **{layer.digest: layer.blob for layer in layers}}
    return Artifact(manifest, OCI_MANIFEST, blobs)


def cosign_tag(digest: str, suffix: str = "sig") -> str:
    """``sha256:<hex>`` -> ``sha256-<hex>.sig`` (``suffix`` ``sig``/``att``) or, with an
    empty suffix, the referrers tag ``sha256-<hex>`` (distribution spec 1.1 "Referrers Tag
    Schema")."""
    algorithm, encoded = digest.split(":", 1)
    return f"{algorithm}-{encoded}" + (f".{suffix}" if suffix else "")


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


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


# -- a private sigstore instance ---------------------------------------------------------------


def _spki(key: Any) -> bytes:
    der: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def _der_utf8(text: str) -> bytes:
    raw = text.encode()
    if len(raw) < 0x80:
        return bytes([0x0C, len(raw)]) + raw
    size = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
    return bytes([0x0C, 0x80 | len(size)]) + size + raw


def _der_octets(raw: bytes) -> bytes:
    if len(raw) < 0x80:
        return bytes([0x04, len(raw)]) + raw
    size = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
    return bytes([0x04, 0x80 | len(size)]) + size + raw


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


V1_CLAIMS = {
    "github_workflow_trigger": "2",
    "github_workflow_sha": "3",
    "github_workflow_name": "4",
    "github_workflow_repository": "5",
    "github_workflow_ref": "6",
}
V2_CLAIMS = {
    "build_signer_uri": "9",
    "runner_environment": "11",
    "source_repository_uri": "12",
    "source_repository_digest": "13",
    "source_repository_ref": "14",
    "build_config_uri": "18",
    "build_trigger": "20",
}


@dataclass
class TestSigstore:
    """A Fulcio CA, a CT log and a Rekor log with generated keys, valid from ``start``."""

    __test__ = False  # not a pytest test class

    start: dt.datetime = field(
        default_factory=lambda: dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    )
    root_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP384R1())
    )
    intermediate_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP384R1())
    )
    ct_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    rekor_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    next_log_index: int = 1000

    def __post_init__(self) -> None:
        end = self.start + dt.timedelta(days=3650)
        root_name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gate-test.invalid"),
                x509.NameAttribute(NameOID.COMMON_NAME, "gate-test-root"),
            ]
        )
        inter_name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gate-test.invalid"),
                x509.NameAttribute(NameOID.COMMON_NAME, "gate-test-intermediate"),
            ]
        )
        root_pub = self.root_key.public_key()
        self.root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_pub), critical=False)
            .sign(self.root_key, hashes.SHA384())
        )
        inter_pub = self.intermediate_key.public_key()
        self.intermediate = (
            x509.CertificateBuilder()
            .subject_name(inter_name)
            .issuer_name(root_name)
            .public_key(inter_pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(inter_pub), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_pub), critical=False
            )
            .sign(self.root_key, hashes.SHA384())
        )

    # -- identities ------------------------------------------------------------------------

    def issue(
        self,
        identity: str,
        issuer: str,
        *,
        at: dt.datetime | None = None,
        lifetime: dt.timedelta = dt.timedelta(minutes=10),
        key: ec.EllipticCurvePrivateKey | None = None,
        claims: Mapping[str, str] | None = None,
        issuer_v1: bool = True,
        issuer_v2: bool = True,
        with_sct: bool = True,
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A Fulcio-style leaf: empty subject, critical SAN (e-mail or URI), codeSigning,
        the OIDC issuer as v1 (raw) and/or v2 (DER UTF8String) extension, claims as the v1
        (GitHub) or v2 extensions of Fulcio's ``oid-info.md``, and an embedded SCT."""
        key = key or ec.generate_private_key(ec.SECP256R1())
        at = at or self.start + dt.timedelta(days=1)
        san: x509.GeneralName = (
            x509.UniformResourceIdentifier(identity)
            if "://" in identity
            else x509.RFC822Name(identity)
        )
        extensions: list[tuple[x509.ExtensionType, bool]] = [
            (x509.KeyUsage(True, False, False, False, False, False, False, False, False), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
            (
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.intermediate_key.public_key()
                ),
                False,
            ),
            (x509.SubjectAlternativeName([san]), True),
        ]
        if issuer_v1:
            extensions.append((_raw_ext("1", issuer.encode()), False))
        if issuer_v2:
            extensions.append((_raw_ext("8", _der_utf8(issuer)), False))
        for name, value in (claims or {}).items():
            if name in V1_CLAIMS:
                extensions.append((_raw_ext(V1_CLAIMS[name], value.encode()), False))
            elif name in V2_CLAIMS:
                extensions.append((_raw_ext(V2_CLAIMS[name], _der_utf8(value)), False))
            else:
                raise ValueError(f"unknown claim {name}")
        serial = x509.random_serial_number()

        def build(extra: Sequence[tuple[x509.ExtensionType, bool]]) -> x509.Certificate:
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([]))
                .issuer_name(self.intermediate.subject)
                .public_key(key.public_key())
                .serial_number(serial)
                .not_valid_before(at)
                .not_valid_after(at + lifetime)
            )
            for ext, critical in (*extensions, *extra):
                builder = builder.add_extension(ext, critical=critical)
            return builder.sign(self.intermediate_key, hashes.SHA384())

        if not with_sct:
            return key, build(())
        # RFC 6962 section 3.2: the log signs the precertificate TBS, which is the final
        # certificate's TBS without the SCT extension; building the certificate first without
        # it (same serial, same extension order) yields exactly those bytes.
        precert_tbs = build(()).tbs_certificate_bytes
        return key, build(((self._sct_extension(precert_tbs, at), False),))

    def _sct_extension(self, tbs: bytes, at: dt.datetime) -> x509.UnrecognizedExtension:
        millis = int(at.timestamp() * 1000)
        issuer_key_hash = hashlib.sha256(_spki(self.intermediate_key.public_key())).digest()
        signed = (
            struct.pack(">BBQH", 0, 0, millis, 1)
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + (0).to_bytes(2, "big")
        )
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        log_id = hashlib.sha256(_spki(self.ct_key.public_key())).digest()
        # SignedCertificateTimestamp: version, log id, timestamp, extensions<0..2^16-1>,
        # digitally-signed (hash sha256 = 4, signature ecdsa = 3, signature<0..2^16-1>).
        sct = (
            b"\x00"
            + log_id
            + struct.pack(">Q", millis)
            + (0).to_bytes(2, "big")
            + bytes([4, 3])
            + len(signature).to_bytes(2, "big")
            + signature
        )
        sct_list = len(sct).to_bytes(2, "big") + sct
        tls = len(sct_list).to_bytes(2, "big") + sct_list
        return x509.UnrecognizedExtension(_SCT_OID, _der_octets(tls))

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        return (self.intermediate, self.root)

    # -- the transparency log --------------------------------------------------------------

    @property
    def rekor_log_id(self) -> bytes:
        return hashlib.sha256(_spki(self.rekor_key.public_key())).digest()

    def log_entry(
        self, body: Mapping[str, Any], at: dt.datetime | None = None
    ) -> dict[str, Any]:
        """Rekor's answer for a new entry: body (canonical JSON, base64), integrated time,
        index, log id (hex) and the SET over them."""
        at = at or self.start + dt.timedelta(days=1, seconds=5)
        body_b64 = b64(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
        payload = {
            "body": body_b64,
            "integratedTime": int(at.timestamp()),
            "logID": self.rekor_log_id.hex(),
            "logIndex": self.next_log_index,
        }
        self.next_log_index += 1
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        signature = self.rekor_key.sign(canonical, ec.ECDSA(hashes.SHA256()))
        return {"SignedEntryTimestamp": b64(signature), "Payload": payload}

    def rekor_bundle(self, entry: Mapping[str, Any]) -> bytes:
        """The ``dev.sigstore.cosign/bundle`` annotation value."""
        return json.dumps(entry, separators=(",", ":")).encode()

    # -- trusted_root.json -----------------------------------------------------------------

    def trusted_root(self) -> bytes:
        start = _time(self.start)

        def log(key: ec.EllipticCurvePrivateKey, url: str) -> dict[str, Any]:
            der = _spki(key.public_key())
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(der),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": start},
                },
                "logId": {"keyId": b64(hashlib.sha256(der).digest())},
            }

        doc = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(self.rekor_key, "https://rekor.gate-test.invalid")],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "gate-test.invalid", "commonName": "gate-test"},
                    "uri": "https://fulcio.gate-test.invalid",
                    "certChain": {
                        "certificates": [
                            {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))}
                            for c in self.chain
                        ]
                    },
                    "validFor": {"start": start},
                }
            ],
            "ctlogs": [log(self.ct_key, "https://ctfe.gate-test.invalid")],
            "timestampAuthorities": [],
        }
        return json.dumps(doc, indent=2).encode()


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def _raw_ext(suffix: str, value: bytes) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(_FULCIO + suffix), value)


# -- Rekor entry bodies ------------------------------------------------------------------------


def _signer_pem(signer: x509.Certificate | bytes) -> bytes:
    """The certificate (PEM) or the PEM public key a Rekor entry names as its verifier."""
    return _pem(signer) if isinstance(signer, x509.Certificate) else signer


def hashedrekord_body(
    payload: bytes, signature: bytes, signer: x509.Certificate | bytes
) -> dict[str, Any]:
    """``hashedrekord`` 0.0.1; ``signer`` is the certificate or the PEM public key."""
    pem = _signer_pem(signer)
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": sha256_hex(payload)}},
            "signature": {"content": b64(signature), "publicKey": {"content": b64(pem)}},
        },
    }


def intoto_body(envelope: Envelope, signer: x509.Certificate | bytes) -> dict[str, Any]:
    """``intoto`` 0.0.1, what ``cosign attest`` records."""
    pem = _signer_pem(signer)
    return {
        "apiVersion": "0.0.1",
        "kind": "intoto",
        "spec": {
            "content": {
                "hash": {"algorithm": "sha256", "value": sha256_hex(envelope.json())},
                "payloadHash": {"algorithm": "sha256", "value": sha256_hex(envelope.payload)},
            },
            "publicKey": b64(pem),
        },
    }


def dsse_body(envelope: Envelope, signer: x509.Certificate | bytes) -> dict[str, Any]:
    """``dsse`` 0.0.1."""
    pem = _signer_pem(signer)
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": sha256_hex(envelope.json())},
            "payloadHash": {"algorithm": "sha256", "value": sha256_hex(envelope.payload)},
            "signatures": [{"signature": b64(envelope.signature), "verifier": b64(pem)}],
        },
    }


# -- sigstore bundles --------------------------------------------------------------------------


def key_bundle(envelope: Envelope, log_entry: Mapping[str, Any] | None = None) -> bytes:
    """A v0.3 bundle as ``cosign attest --new-bundle-format --key`` stores it: a public-key
    hint, the DSSE envelope and, when uploaded, the Rekor entry with its inclusion promise."""
    entries = []
    if log_entry is not None:
        payload = log_entry["Payload"]
        body = json.loads(base64.b64decode(payload["body"]))
        entries.append(
            {
                "logIndex": str(payload["logIndex"]),
                "logId": {"keyId": b64(bytes.fromhex(payload["logID"]))},
                "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
                "integratedTime": str(payload["integratedTime"]),
                "inclusionPromise": {"signedEntryTimestamp": log_entry["SignedEntryTimestamp"]},
                "canonicalizedBody": payload["body"],
            }
        )
    doc = {
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": entries},
        "dsseEnvelope": {
            "payload": b64(envelope.payload),
            "payloadType": envelope.payload_type,
            "signatures": [{"sig": b64(envelope.signature)}],
        },
    }
    return json.dumps(doc).encode()
