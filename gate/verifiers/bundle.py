"""Certificate-signed sigstore bundles, verified by sigstore-python's ``Verifier``.

sigstore-python implements the whole client verification of a bundle: the certificate chain at
the verified signing time, SCTs, Fulcio's X.509 profile, the Rekor entry (inclusion proof with
its signed checkpoint, inclusion promise, Rekor v2 entries), RFC 3161 timestamps, and the
consistency of the entry with the signature. It is used for every bundle whose log entry it
supports. It raises at the first failure; the gate adds its own checks (identity, digest,
predicate) next to that one reason, so a report still lists every reason.

The identity policy handed to sigstore-python accepts any certificate on purpose: the gate
evaluates identities itself (exact or regular expression, v1 and v2 issuer extensions, GitHub
claims) on the same certificate, and never reports a pass without that evaluation.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gate.verifiers.material import Material, MaterialKind
from gate.verifiers.trust import TrustRoot

if TYPE_CHECKING:
    from cryptography.x509 import Certificate
    from sigstore.verify import Verifier

# sigstore-python logs warnings (e.g. a root CA inside a bundle) through the logging module; with
# no handler configured they would go to stderr as stray lines. The gate reports its own reasons.
logging.getLogger("sigstore").addHandler(logging.NullHandler())

_SUPPORTED_ENTRIES = {("hashedrekord", "0.0.1"), ("hashedrekord", "0.0.2"), ("dsse", "0.0.1")}


def handled_by_sigstore(material: Material) -> bool:
    """Bundles sigstore-python can verify: a certificate, one log entry of a kind it supports,
    with an inclusion proof (which its bundle model requires). Older shapes (v0.1 bundles with
    only an inclusion promise, ``intoto`` entries) are verified like cosign's annotation format,
    by their SET."""
    if material.bundle_media_type is None or material.certificate is None:
        return False
    if len(material.log_entries) != 1:
        return len(material.log_entries) == 0
    entry = material.log_entries[0]
    return (entry.kind, entry.version) in _SUPPORTED_ENTRIES and entry.has_inclusion_proof


class _IdentityEvaluatedByGate:
    """A sigstore-python ``VerificationPolicy`` that defers the identity decision to the gate's
    signer objects (see the module docstring). Never use it without them."""

    def verify(self, cert: Certificate) -> None:
        return None


class BundleVerifier:
    """One sigstore-python ``Verifier`` for the run, built on first use from the trusted root
    file (the same file the gate's own checks read)."""

    def __init__(self, trust: TrustRoot) -> None:
        self.trust = trust
        self._verifier: Verifier | None = None

    def _get(self) -> Verifier:
        if self._verifier is None:
            from sigstore.errors import Error
            from sigstore.models import TrustedRoot
            from sigstore.verify import Verifier

            assert self.trust.path is not None
            try:
                root = TrustedRoot.from_file(str(self.trust.path))
                self._verifier = Verifier(trusted_root=root)
            except (Error, ValueError) as exc:
                from gate.errors import SignatureError

                raise SignatureError(
                    f"trusted root {self.trust.name}: sigstore-python refuses it: "
                    + _one_line(str(exc))
                ) from None
        return self._verifier

    def problems(self, material: Material, signed_digest: str) -> list[str]:
        """Why sigstore-python does not verify the bundle (empty: it does). ``signed_digest``:
        what a message signature signs (the image manifest's digest)."""
        from sigstore.errors import Error
        from sigstore.hashes import Hashed
        from sigstore.models import Bundle
        from sigstore_models.common.v1 import HashAlgorithm

        verifier = self._get()
        try:
            bundle = Bundle.from_json(material.artifact.payload)
            if material.kind is MaterialKind.DSSE:
                verifier.verify_dsse(bundle, _IdentityEvaluatedByGate())
            else:
                _, _, encoded = signed_digest.partition(":")
                hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(encoded))
                verifier.verify_artifact(hashed, bundle, _IdentityEvaluatedByGate())
        except Error as exc:
            return [f"sigstore-python: {_one_line(str(exc))}"]
        except ValueError as exc:  # pydantic validation of a malformed bundle
            return [f"sigstore-python cannot read the bundle: {_one_line(str(exc))}"]
        return []


def _one_line(text: str) -> str:
    return " ".join(text.split())


__all__ = ["BundleVerifier", "handled_by_sigstore"]
