"""Fulcio certificates (keyless signing): chain, SCT, validity at signing time, identity.

Steps (sigstore client spec "Verification", as sigstore-python numbers them):

1. the certificate chains to a certificate authority of the trusted root that was valid at the
   signing time, with the Fulcio profile: key usage digitalSignature, extended key usage
   codeSigning;
2. at least one embedded Signed Certificate Timestamp verifies with a CT log of the trusted root
   (RFC 6962 section 3.2: the log signed the precertificate's TBS, i.e. the certificate without
   its SCT extension, and the issuer's key hash);
3. the signing time (the integrated time of a verified Rekor entry) lies inside the
   certificate's validity: Fulcio certificates live for ten minutes, a signature made with an
   expired one is refused.

The identity is the Subject Alternative Name (e-mail, URI, or Fulcio's ``OtherName``
1.3.6.1.4.1.57264.1.7) and the OIDC issuer extension, 1.3.6.1.4.1.57264.1.8 (DER UTF8String,
"v2") or the deprecated 1.3.6.1.4.1.57264.1.1 (raw string, "v1"). GitHub Actions claims come from
the other extensions of Fulcio's ``docs/oid-info.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from gate.verifiers.keys import verify_signature
from gate.verifiers.trust import TrustRoot

_FULCIO = "1.3.6.1.4.1.57264.1."
OTHERNAME_OID = x509.ObjectIdentifier(_FULCIO + "7")
ISSUER_V1_OID = x509.ObjectIdentifier(_FULCIO + "1")
ISSUER_V2_OID = x509.ObjectIdentifier(_FULCIO + "8")


@dataclass(frozen=True)
class Claim:
    """A certificate claim a signer may constrain: the v1 extension (raw string) and/or the v2
    extension (DER UTF8String) that carries it."""

    name: str
    v1: str | None
    v2: str | None
    description: str
    repository_uri: bool = False
    """The v2 value is a repository URL; compared as ``owner/repo`` like the v1 value."""


CLAIMS: tuple[Claim, ...] = (
    Claim("github_workflow_repository", "5", "12", "repository (owner/name)", repository_uri=True),
    Claim("github_workflow_ref", "6", "14", "git ref of the run (refs/heads/main, refs/tags/v1)"),
    Claim("github_workflow_trigger", "2", "20", "event that triggered the run (push, release)"),
    Claim("github_workflow_sha", "3", "13", "commit SHA of the run"),
    Claim("github_workflow_name", "4", None, "workflow name"),
    Claim("build_config_uri", None, "18", "workflow file at a ref (Build Config URI)"),
    Claim("build_signer_uri", None, "9", "reusable workflow that signed (Build Signer URI)"),
    Claim("source_repository_uri", None, "12", "repository URL (Source Repository URI)"),
    Claim("runner_environment", None, "11", "github-hosted or self-hosted"),
)
CLAIMS_BY_NAME: Mapping[str, Claim] = {c.name: c for c in CLAIMS}


@dataclass(frozen=True)
class CertificateIdentity:
    sans: tuple[str, ...]
    issuer: str | None
    claims: Mapping[str, str]

    def describe(self) -> str:
        who = ", ".join(self.sans) or "(no SAN)"
        return f"{who} (issuer {self.issuer or 'none'})"


def identity_of(cert: x509.Certificate) -> CertificateIdentity:
    sans: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        sans += san.get_values_for_type(x509.RFC822Name)
        sans += san.get_values_for_type(x509.UniformResourceIdentifier)
        sans += san.get_values_for_type(x509.DNSName)
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id == OTHERNAME_OID:
                sans.append(_der_utf8(other.value) or other.value.decode("utf-8", "replace"))
    issuer = _extension(cert, ISSUER_V2_OID, der=True) or _extension(cert, ISSUER_V1_OID)
    claims: dict[str, str] = {}
    for claim in CLAIMS:
        value = None
        if claim.v1 is not None:
            value = _extension(cert, x509.ObjectIdentifier(_FULCIO + claim.v1))
        if value is None and claim.v2 is not None:
            value = _extension(cert, x509.ObjectIdentifier(_FULCIO + claim.v2), der=True)
            if value is not None and claim.repository_uri:
                value = _repository_path(value)
        if value is not None:
            claims[claim.name] = value
    return CertificateIdentity(sans=tuple(sans), issuer=issuer, claims=claims)


def _repository_path(uri: str) -> str:
    """``https://github.com/owner/repo`` -> ``owner/repo`` (the v1 extension's form)."""
    _, sep, rest = uri.partition("://")
    if not sep:
        return uri
    _, _, path = rest.partition("/")
    return path.rstrip("/")


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier, der: bool = False) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    raw = getattr(ext, "value", None)
    if not isinstance(raw, bytes):
        return None
    if der:
        return _der_utf8(raw)
    return raw.decode("utf-8", "replace")


def _der_utf8(raw: bytes) -> str | None:
    """The text of a DER UTF8String (X.690 8.23; tag 0x0C, definite length)."""
    if len(raw) < 2 or raw[0] != 0x0C:
        return None
    length, offset = raw[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(raw) < 2 + count:
            return None
        length, offset = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
    if offset + length != len(raw):
        return None
    return raw[offset:].decode("utf-8", "replace")


# -- steps 1 to 3 -----------------------------------------------------------------------------


def chain_problems(
    cert: x509.Certificate,
    untrusted: tuple[x509.Certificate, ...],
    trust: TrustRoot,
    at: dt.datetime,
) -> tuple[list[str], list[x509.Certificate]]:
    """Step 1: problems, and the verified chain (issuer first) when there are none."""
    anchors = trust.ca_certificates(at)
    if not anchors:
        return [f"no certificate authority of the trusted root was valid at {at.isoformat()}"], []
    # Fulcio certificates carry codeSigning, not the serverAuth/clientAuth the Web PKI profile
    # expects: let any EKU through the path builder and check codeSigning below (as
    # sigstore-python does); every other Web PKI extension rule stays.
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(anchors))
        .time(at)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        chain = list(verifier.verify(cert, list(untrusted)).chain[1:])
    except (VerificationError, x509.UnsupportedGeneralNameType, ValueError) as exc:
        return [f"the certificate does not chain to the trusted root ({trust.name}): {exc}"], []
    problems = []
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            problems.append("the certificate's key usage is not digitalSignature")
    except x509.ExtensionNotFound:
        problems.append("the certificate has no key usage extension")
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CODE_SIGNING not in eku:
            problems.append("the certificate is not for code signing (extended key usage)")
    except x509.ExtensionNotFound:
        problems.append("the certificate has no extended key usage extension")
    return problems, chain


def sct_problems(cert: x509.Certificate, issuer: x509.Certificate, trust: TrustRoot) -> list[str]:
    """Step 2: at least one embedded SCT verifies (RFC 6962 section 3.2 ``digitally-signed``)."""
    try:
        scts = cert.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps
        ).value
    except x509.ExtensionNotFound:
        return ["the certificate has no signed certificate timestamp (SCT)"]
    issuer_key_hash = hashlib.sha256(
        issuer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).digest()
    tbs = cert.tbs_precertificate_bytes
    reasons = []
    for sct in scts:
        log = trust.ctlog(sct.log_id)
        if log is None:
            reasons.append(f"SCT from unknown CT log {sct.log_id.hex()[:16]}...")
            continue
        stamp = sct.timestamp.replace(tzinfo=dt.timezone.utc)
        if not log.validity.contains(stamp):
            reasons.append(f"SCT from CT log {log.base_url} outside its validity")
            continue
        millis = (stamp - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(
            milliseconds=1
        )
        # version v1 (0), signature_type certificate_timestamp (0), timestamp, entry_type
        # precert_entry (1), issuer_key_hash, tbs_certificate<1..2^24-1>, extensions<0..2^16-1>
        signed = (
            struct.pack(">BBQH", 0, 0, millis, 1)
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + len(sct.extension_bytes).to_bytes(2, "big")
            + sct.extension_bytes
        )
        signature = getattr(sct, "signature", b"")
        if verify_signature(log.key, signature, signed):
            return []
        reasons.append(f"SCT from CT log {log.base_url} does not verify")
    return ["no signed certificate timestamp verifies: " + "; ".join(reasons or ["none embedded"])]


def validity_problems(cert: x509.Certificate, at: dt.datetime) -> list[str]:
    """Step 3."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if start <= at <= end:
        return []
    word = "expired" if at > end else "not yet valid"
    return [
        f"certificate {word} at signing time: signed {at.isoformat()}, certificate valid "
        f"{start.isoformat()} to {end.isoformat()}"
    ]


__all__ = [
    "CLAIMS",
    "CLAIMS_BY_NAME",
    "CertificateIdentity",
    "Claim",
    "chain_problems",
    "identity_of",
    "sct_problems",
    "validity_problems",
]
