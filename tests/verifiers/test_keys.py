"""gate.verifiers.keys.verify_signature: cosign's schemes over a message, and over a SHA-256
digest (a sigstore bundle's messageSignature), with keys the tests generate."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from gate.testing import signature_writer as w
from gate.verifiers.keys import PublicKey, verify_signature

MESSAGE = b'{"critical":{}}'
DIGEST = hashlib.sha256(MESSAGE).digest()


def public(key: w.PrivateKey) -> PublicKey:
    return serialization.load_pem_public_key(w.public_pem(key))  # type: ignore[return-value]


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa"])
def test_a_digest_signature_checks_only_as_prehashed(kind: w.KeyKind) -> None:
    key = w.generate_key(kind)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(DIGEST, ec.ECDSA(Prehashed(hashes.SHA256())))
    else:
        assert isinstance(key, rsa.RSAPrivateKey)
        signature = key.sign(DIGEST, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    assert verify_signature(public(key), signature, DIGEST, prehashed=True)
    assert not verify_signature(public(key), signature, DIGEST)
    assert not verify_signature(public(key), signature, hashlib.sha256(b"x").digest(),
                                prehashed=True)
    # a signature over the message itself is the same thing for SHA-256 keys
    message_signature = w.sign(key, MESSAGE)
    assert verify_signature(public(key), message_signature, MESSAGE)
    assert verify_signature(public(key), message_signature, DIGEST, prehashed=True) is (
        kind != "p384")  # cosign signs with P-384's own hash, SHA-384


def test_ed25519_signs_messages_only() -> None:
    key = w.generate_key("ed25519")
    signature = w.sign(key, MESSAGE)
    assert verify_signature(public(key), signature, MESSAGE)
    assert not verify_signature(public(key), signature, DIGEST, prehashed=True)
