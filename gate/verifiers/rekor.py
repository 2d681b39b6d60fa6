"""Rekor transparency log entries: the SignedEntryTimestamp and the entry body's consistency.

A SET (Rekor's "inclusion promise") is the log's signature over the canonical JSON of
``{"body", "integratedTime", "logID", "logIndex"}`` (cosign ``SIGNATURE_SPEC.md`` "bundle";
Rekor ``pkg/api/entries.go``, canonicalised with RFC 8785). A verified SET proves the log
accepted *that body* at *that time*; it proves nothing about the signature next to it unless the
body describes that very signature, key or certificate and payload. So the body is checked
against the material too (the cosign fix for CVE-2022-36056), per entry kind:

* ``hashedrekord`` 0.0.1: ``spec.data.hash`` = SHA-256 of the signed payload,
  ``spec.signature.content`` = the signature, ``spec.signature.publicKey.content`` = the PEM
  key or certificate;
* ``intoto`` 0.0.1 / 0.0.2 and ``dsse`` 0.0.1 (attestations): ``payloadHash`` = SHA-256 of the
  DSSE payload, and a signature/verifier pair (0.0.2, dsse) or ``publicKey`` (0.0.1) naming the
  signer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gate.verifiers.keys import PublicKey, key_der, verify_signature
from gate.verifiers.material import LogEntry, Material
from gate.verifiers.payloads import PayloadError, b64decode, strict_json
from gate.verifiers.trust import TrustRoot

Signer = PublicKey | x509.Certificate


def integrated_at(entry: LogEntry) -> dt.datetime:
    return dt.datetime.fromtimestamp(entry.integrated_time, dt.timezone.utc)


def canonical_payload(entry: LogEntry) -> bytes:
    """The bytes the SET signs. For these values (ASCII strings and integers) RFC 8785
    canonical JSON is sorted keys and no whitespace, which is what ``json.dumps`` writes."""
    doc = {
        "body": entry.body_b64,
        "integratedTime": entry.integrated_time,
        "logID": entry.log_id.hex(),
        "logIndex": entry.log_index,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("ascii")


def set_problems(entry: LogEntry, trust: TrustRoot) -> list[str]:
    """Why the SET of ``entry`` does not verify under ``trust`` (empty: it does)."""
    if entry.signed_entry_timestamp is None:
        return ["the log entry has no signed entry timestamp (inclusion promise)"]
    log = trust.tlog(entry.log_id)
    if log is None:
        return [
            f"the log entry is from log {entry.log_id.hex()[:16]}..., which is not in the "
            f"trusted root ({trust.name})"
        ]
    problems = []
    when = integrated_at(entry)
    if not log.validity.contains(when):
        problems.append(f"the key of log {log.base_url} was not valid at {when.isoformat()}")
    if not verify_signature(log.key, entry.signed_entry_timestamp, canonical_payload(entry)):
        problems.append(
            f"the signed entry timestamp does not verify with the key of log {log.base_url}"
        )
    return problems


def body_problems(
    entry: LogEntry, material: Material, signer: Signer, signed_hex: str
) -> list[str]:
    """Why the entry body does not describe this signature by this signer.

    ``signed_hex``: SHA-256 (hex) of what the signature signs for ``hashedrekord`` (the
    payload, or the image manifest for a message signature).
    """
    try:
        doc = strict_json(entry.body, "log entry body")
        if not isinstance(doc, Mapping) or not isinstance(doc.get("spec"), Mapping):
            return ["the log entry body has no spec"]
        spec: Mapping[str, Any] = doc["spec"]
        kind = (entry.kind, entry.version)
        if kind == ("hashedrekord", "0.0.1"):
            return _hashedrekord(spec, material, signer, signed_hex)
        if kind == ("intoto", "0.0.1"):
            return _intoto_v1(spec, material, signer)
        if kind == ("intoto", "0.0.2"):
            return _intoto_v2(spec, material, signer)
        if kind == ("dsse", "0.0.1"):
            return _dsse(spec, material, signer)
        return [f"log entry kind {entry.kind} {entry.version} is not supported"]
    except PayloadError as exc:
        return [f"the log entry body is malformed: {exc}"]
    except (KeyError, TypeError, AttributeError) as exc:
        return [f"the log entry body is malformed (missing {exc})"]


def _hash_value(doc: Any, what: str) -> str:
    if not isinstance(doc, Mapping) or doc.get("algorithm") != "sha256":
        raise PayloadError(f"{what} is not a sha256 hash")
    value = doc.get("value")
    if not isinstance(value, str):
        raise PayloadError(f"{what} has no value")
    return value.lower()


def _payload_hash_problem(spec_hash: Any, material: Material) -> list[str]:
    if material.envelope is None:
        return ["the log entry is for an attestation, but this is not one"]
    expected = hashlib.sha256(material.envelope.payload).hexdigest()
    if _hash_value(spec_hash, "payloadHash") != expected:
        return ["the log entry records another payload (payloadHash differs)"]
    return []


def _hashedrekord(
    spec: Mapping[str, Any], material: Material, signer: Signer, signed_hex: str
) -> list[str]:
    problems = []
    if _hash_value(spec["data"]["hash"], "spec.data.hash") != signed_hex:
        problems.append("the log entry records another payload (data hash differs)")
    signature = b64decode(spec["signature"]["content"], "spec.signature.content")
    if signature not in material.signatures:
        problems.append("the log entry records another signature")
    pem = b64decode(spec["signature"]["publicKey"]["content"], "spec.signature.publicKey")
    problems += _signer_problems(pem, signer)
    return problems


def _intoto_v1(spec: Mapping[str, Any], material: Material, signer: Signer) -> list[str]:
    problems = _payload_hash_problem(spec["content"]["payloadHash"], material)
    problems += _signer_problems(b64decode(spec["publicKey"], "spec.publicKey"), signer)
    return problems


def _intoto_v2(spec: Mapping[str, Any], material: Material, signer: Signer) -> list[str]:
    content = spec["content"]
    problems = _payload_hash_problem(content["payloadHash"], material)
    pairs = []
    for entry in content["envelope"]["signatures"]:
        # 0.0.2 stores the envelope's base64 signature base64-encoded once more.
        inner = b64decode(entry["sig"], "envelope signature").decode("ascii", "replace")
        pairs.append((b64decode(inner, "envelope signature"), entry["publicKey"]))
    return problems + _pair_problems(pairs, material, signer)


def _dsse(spec: Mapping[str, Any], material: Material, signer: Signer) -> list[str]:
    problems = _payload_hash_problem(spec["payloadHash"], material)
    pairs = [
        (b64decode(entry["signature"], "signature"), entry["verifier"])
        for entry in spec["signatures"]
    ]
    return problems + _pair_problems(pairs, material, signer)


def _pair_problems(pairs: list[tuple[bytes, Any]], material: Material, signer: Signer) -> list[str]:
    for signature, pem_b64 in pairs:
        if signature in material.signatures and not _signer_problems(
            b64decode(pem_b64, "verifier"), signer
        ):
            return []
    return ["the log entry records another signature or signer"]


def _signer_problems(pem: bytes, signer: Signer) -> list[str]:
    """Does the PEM key or certificate recorded in the log name ``signer``?"""
    try:
        if b"CERTIFICATE" in pem:
            recorded_cert = x509.load_pem_x509_certificate(pem)
            if isinstance(signer, x509.Certificate):
                same = recorded_cert == signer
            else:
                same = _spki(recorded_cert.public_key()) == key_der(signer)
        else:
            recorded_key = serialization.load_pem_public_key(pem)
            wanted = signer.public_key() if isinstance(signer, x509.Certificate) else signer
            same = _spki(recorded_key) == _spki(wanted)
    except ValueError:
        return ["the log entry's key or certificate is not PEM"]
    return [] if same else ["the log entry records another key or certificate"]


def _spki(key: Any) -> bytes:
    der: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


__all__ = ["body_problems", "canonical_payload", "integrated_at", "set_problems"]
