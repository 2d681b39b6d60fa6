"""Public keys: loading the PEM files a policy names, and checking one signature with one key.

cosign signs with ECDSA (P-256, P-384, P-521), RSA or Ed25519 keys. No information about the
scheme travels with a signature (cosign ``specs/SIGNATURE_SPEC.md`` "Signature Schemes"), so the
key decides: ECDSA over the curve's hash (sigstore's default verifier: P-256/SHA-256,
P-384/SHA-384, P-521/SHA-512) or SHA-256 (what cosign used for every curve before that default),
RSA PKCS#1 v1.5 or PSS over SHA-256, Ed25519 over the message itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from gate.errors import SignatureError

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey

_CURVE_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}


def supported_key(key: object) -> bool:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.name in _CURVE_HASH
    return isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey)


def load_public_key(path: Path, what: str) -> PublicKey:
    """The PEM public key in ``path``; ``what`` names the policy field for messages."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SignatureError(f"{what}: cannot read key {path}: {exc.strerror or exc}") from None
    return parse_public_key(data, f"{what}: key {path}")


def parse_public_key(data: bytes, what: str) -> PublicKey:
    if b"PRIVATE KEY-----" in data:
        raise SignatureError(f"{what} is a private key; the policy needs the public key")
    if b"-----BEGIN CERTIFICATE-----" in data and b"PUBLIC KEY-----" not in data:
        raise SignatureError(
            f"{what} is a certificate, not a public key",
            hint="for a keyless signer give identity and issuer instead of key",
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"{what} is not a PEM public key ({exc})") from None
    if not supported_key(key):
        raise SignatureError(
            f"{what}: unsupported key type {type(key).__name__} "
            "(supported: ECDSA P-256/P-384/P-521, RSA, Ed25519)"
        )
    return key  # type: ignore[return-value]  # narrowed by supported_key


def key_der(key: PublicKey) -> bytes:
    """DER SubjectPublicKeyInfo: how keys are compared and how Rekor log ids are made."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: PublicKey) -> str:
    """``sha256:<hex>`` of the DER public key, for messages."""
    return "sha256:" + hashlib.sha256(key_der(key)).hexdigest()


def describe_key(key: PublicKey) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    return "Ed25519"


def verify_signature(
    key: PublicKey, signature: bytes, data: bytes, *, prehashed: bool = False
) -> bool:
    """Does ``signature`` sign ``data`` under ``key`` (schemes in the module docstring)?

    ``prehashed``: ``data`` is the SHA-256 digest of the message, not the message (a sigstore
    bundle's ``messageSignature``); ECDSA and RSA are then checked over that digest, and an
    Ed25519 signature, which is made over whole messages only, cannot be checked."""
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if prehashed:
                return False
            key.verify(signature, data)
            return True
        if isinstance(key, ec.EllipticCurvePublicKey):
            preferred = _CURVE_HASH.get(key.curve.name, hashes.SHA256)
            candidates: list[type[hashes.HashAlgorithm]] = [preferred]
            if preferred is not hashes.SHA256:
                candidates.append(hashes.SHA256)
            if prehashed:
                candidates = [hashes.SHA256]
            for algorithm in candidates:
                try:
                    key.verify(signature, data, ec.ECDSA(_hash(algorithm(), prehashed)))
                    return True
                except InvalidSignature:
                    continue
            return False
        for scheme in (
            padding.PKCS1v15(),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
        ):
            try:
                key.verify(signature, data, scheme, _hash(hashes.SHA256(), prehashed))
                return True
            except InvalidSignature:
                continue
        return False
    except (InvalidSignature, ValueError):
        return False


def _hash(
    algorithm: hashes.HashAlgorithm, prehashed: bool
) -> hashes.HashAlgorithm | Prehashed:
    return Prehashed(algorithm) if prehashed else algorithm


__all__ = [
    "PublicKey",
    "describe_key",
    "key_der",
    "key_id",
    "load_public_key",
    "parse_public_key",
    "supported_key",
    "verify_signature",
]
