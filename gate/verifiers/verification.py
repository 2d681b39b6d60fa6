"""Checks of one signature or attestation that do not depend on who is expected to have signed.

:class:`VerifyContext` holds the run's facts (image digest, trusted root, ``require_tlog``) and
answers, once per material:

* :meth:`~VerifyContext.binding`: does the material sign *this image* (simple-signing
  ``critical.image.docker-manifest-digest``, the in-toto subject digest, the message digest) and,
  when the policy names one, this repository (``critical.identity.docker-reference``)?
* :meth:`~VerifyContext.with_key`: does a public key verify it, with its Rekor entry?
* :meth:`~VerifyContext.keyless`: does its Fulcio certificate verify, with its Rekor entry?

Every answer is an :class:`Outcome` that lists all reasons, never only the first.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from gate.verifiers import fulcio, rekor
from gate.verifiers.bundle import BundleVerifier, handled_by_sigstore
from gate.verifiers.keys import PublicKey, supported_key, verify_signature
from gate.verifiers.material import LogEntry, Material, MaterialKind
from gate.verifiers.payloads import COSIGN_SIGNATURE_TYPE
from gate.verifiers.trust import TrustRoot


class ReasonKind(str, enum.Enum):
    FORMAT = "format"
    """The artifact cannot be read as what it claims to be."""
    DIGEST = "digest"
    """It signs another image."""
    REFERENCE = "reference"
    """It names another repository than ``signature.docker_reference``."""
    SIGNATURE = "signature"
    """The signature does not verify (wrong key, changed payload)."""
    CERTIFICATE = "certificate"
    """Chain, SCT, key usage, validity at signing time."""
    TLOG = "tlog"
    """A transparency log entry is present but does not verify, or does not match."""
    TLOG_MISSING = "tlog-missing"
    """No transparency log entry where one is needed."""
    IDENTITY = "identity"
    """Verified, but by a signer the policy does not accept."""
    PREDICATE = "predicate"
    """An attestation's predicate fails a policy condition."""


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text: str


@dataclass(frozen=True)
class Outcome:
    reasons: tuple[Reason, ...] = ()
    facts: tuple[str, ...] = ()
    """What was established, for the report of a verified signature."""

    @property
    def ok(self) -> bool:
        return not self.reasons

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(self.reasons + other.reasons, self.facts + other.facts)


def reasons(kind: ReasonKind, texts: list[str]) -> tuple[Reason, ...]:
    return tuple(Reason(kind, t) for t in texts)


def repository_of(reference: str) -> str:
    """``registry/repo:tag`` or ``registry/repo@sha256:...`` -> ``registry/repo``."""
    name = reference.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


@dataclass
class VerifyContext:
    image_digest: str
    image_reference: str
    trust_loader: Callable[[], TrustRoot]
    require_tlog: bool = False
    docker_reference: str | None = None
    index_digest: str | None = None
    """The multi-platform index the image was picked from: ``cosign sign TAG`` signs what the
    tag names, so a signature of the index covers each of its platform images."""
    _trust: TrustRoot | None = field(default=None, repr=False)
    _bundles: BundleVerifier | None = field(default=None, repr=False)
    _binding: dict[int, Outcome] = field(default_factory=dict, repr=False)
    _keyless: dict[int, Outcome] = field(default_factory=dict, repr=False)

    def _signed(self, digest: str) -> bool:
        digest = digest.lower()
        return digest == self.image_digest or (
            self.index_digest is not None and digest == self.index_digest
        )

    @property
    def trust(self) -> TrustRoot:
        if self._trust is None:
            self._trust = self.trust_loader()
        return self._trust

    # -- what the material signs ------------------------------------------------------------

    def binding(self, m: Material) -> Outcome:
        cached = self._binding.get(m.number)
        if cached is None:
            cached = self._binding[m.number] = self._compute_binding(m)
        return cached

    def _compute_binding(self, m: Material) -> Outcome:
        if m.problems or m.kind is None:
            texts = [f"unreadable: {p}" for p in m.problems] or ["unreadable"]
            return Outcome(reasons(ReasonKind.FORMAT, texts))
        found: list[Reason] = []
        names: list[str] = []
        if m.simple_signing is not None:
            payload = m.simple_signing
            if payload.type.lower() != COSIGN_SIGNATURE_TYPE:
                found.append(
                    Reason(
                        ReasonKind.FORMAT,
                        f"critical.type is {payload.type!r}, not {COSIGN_SIGNATURE_TYPE!r}",
                    )
                )
            if not self._signed(payload.manifest_digest):
                found.append(_digest_mismatch(payload.manifest_digest, self.image_digest))
            if payload.docker_reference:
                names.append(payload.docker_reference)
        elif m.statement is not None:
            if not m.statement.names_digest(self.image_digest) and not (
                self.index_digest is not None and m.statement.names_digest(self.index_digest)
            ):
                signed = ", ".join(m.statement.subject_digests()) or "nothing"
                found.append(_digest_mismatch(signed, self.image_digest))
            names += [s.name for s in m.statement.subjects if s.name]
        elif m.message_digest is not None and not self._signed(m.message_digest):
            found.append(_digest_mismatch(m.message_digest, self.image_digest))
        if self.docker_reference is not None:
            wanted = repository_of(self.docker_reference)
            if not names:
                found.append(
                    Reason(
                        ReasonKind.REFERENCE,
                        f"it names no docker-reference (signature.docker_reference = {wanted})",
                    )
                )
            elif wanted not in {repository_of(n) for n in names}:
                found.append(
                    Reason(
                        ReasonKind.REFERENCE,
                        f"docker-reference {', '.join(names)} is not {wanted} "
                        "(signature.docker_reference)",
                    )
                )
        return Outcome(tuple(found))

    def message_digest(self, m: Material) -> str:
        """What a message signature signs: its ``messageDigest`` (which :meth:`binding` holds
        to the image digest), or the image digest when the bundle does not say."""
        return m.message_digest or self.image_digest

    # -- key signers --------------------------------------------------------------------------

    def with_key(self, m: Material, key: PublicKey) -> Outcome:
        if m.kind is None:
            return Outcome()
        if not self._key_verifies(m, key):
            return Outcome(
                (
                    Reason(
                        ReasonKind.SIGNATURE,
                        "the signature does not verify with this key (signed with another key, "
                        "or the payload was changed)",
                    ),
                )
            )
        return self._key_log(m, key)

    def _key_verifies(self, m: Material, key: PublicKey) -> bool:
        if m.kind is MaterialKind.MESSAGE_SIGNATURE:
            digest = bytes.fromhex(self.message_digest(m).partition(":")[2])
            return any(verify_signature(key, s, digest, prehashed=True) for s in m.signatures)
        return any(verify_signature(key, s, m.signed_data) for s in m.signatures)

    def _key_log(self, m: Material, key: PublicKey) -> Outcome:
        promised = [e for e in m.log_entries if e.signed_entry_timestamp is not None]
        if not promised:
            if m.log_entries:
                note = (
                    "its transparency log entry has no inclusion promise (SET), which is how "
                    "gate verifies the log entries of key-signed bundles"
                )
                if self.require_tlog:
                    return Outcome((Reason(ReasonKind.TLOG_MISSING, note),))
                return Outcome(facts=(f"not verified: {note}",))
            if self.require_tlog:
                return Outcome(
                    (
                        Reason(
                            ReasonKind.TLOG_MISSING,
                            "no transparency log entry (signature.require_tlog = true)",
                        ),
                    )
                )
            return Outcome(facts=("no transparency log entry (not required)",))
        verified, problems = self._verified_entry(m, promised, key)
        if verified is None:
            return Outcome(reasons(ReasonKind.TLOG, problems))
        return Outcome(facts=(_entry_fact(verified),))

    def _verified_entry(
        self, m: Material, entries: list[LogEntry], signer: rekor.Signer
    ) -> tuple[LogEntry | None, list[str]]:
        """The first entry whose SET and body verify, else every entry's problems."""
        signed_hex = (
            self.message_digest(m).partition(":")[2]
            if m.kind is MaterialKind.MESSAGE_SIGNATURE
            else hashlib.sha256(m.signed_data).hexdigest()
        )
        problems: list[str] = []
        for entry in entries:
            found = rekor.set_problems(entry, self.trust)
            found += rekor.body_problems(entry, m, signer, signed_hex)
            if not found:
                return entry, []
            problems += [f"transparency log entry (index {entry.log_index}): {p}" for p in found]
        return None, problems

    # -- keyless ------------------------------------------------------------------------------

    def keyless(self, m: Material) -> Outcome:
        """Fulcio certificate, SCT, Rekor entry and signing time: signer-independent."""
        cached = self._keyless.get(m.number)
        if cached is None:
            cached = self._keyless[m.number] = self._compute_keyless(m)
        return cached

    def _compute_keyless(self, m: Material) -> Outcome:
        cert = m.certificate
        if cert is None or m.kind is None:
            return Outcome()
        if handled_by_sigstore(m):
            if self._bundles is None:
                self._bundles = BundleVerifier(self.trust)
            problems = self._bundles.problems(m, self.message_digest(m))
            kind = ReasonKind.SIGNATURE
            if any("expired" in p for p in problems):
                kind = ReasonKind.CERTIFICATE
            if problems:
                return Outcome(reasons(kind, problems))
            return Outcome(facts=("verified by sigstore-python",))
        found: list[Reason] = []
        key = cert.public_key()
        if not supported_key(key):
            return Outcome((Reason(ReasonKind.CERTIFICATE, "unsupported certificate key"),))
        if not self._key_verifies(m, key):  # type: ignore[arg-type]  # narrowed above
            found.append(
                Reason(
                    ReasonKind.SIGNATURE,
                    "the signature does not verify with the certificate's key (the payload "
                    "was changed, or the certificate belongs to another signature)",
                )
            )
        promised = [e for e in m.log_entries if e.signed_entry_timestamp is not None]
        signed_at: dt.datetime | None = None
        facts: list[str] = []
        if not promised:
            found.append(
                Reason(
                    ReasonKind.TLOG_MISSING,
                    "no transparency log entry: a keyless signature needs one to prove it was "
                    "made while its short-lived certificate was valid",
                )
            )
        else:
            entry, problems = self._verified_entry(m, promised, cert)
            if entry is None:
                found += reasons(ReasonKind.TLOG, problems)
            else:
                signed_at = rekor.integrated_at(entry)
                facts.append(_entry_fact(entry))
        # Without a proven signing time, still check the chain (at the certificate's start)
        # so that every problem is reported at once.
        chain_at = signed_at or cert.not_valid_before_utc
        if signed_at is not None:
            found += reasons(ReasonKind.CERTIFICATE, fulcio.validity_problems(cert, signed_at))
            if not (cert.not_valid_before_utc <= signed_at <= cert.not_valid_after_utc):
                chain_at = cert.not_valid_before_utc
        chain_issues, chain = fulcio.chain_problems(cert, m.chain, self.trust, chain_at)
        found += reasons(ReasonKind.CERTIFICATE, chain_issues)
        if chain:
            sct_issues = fulcio.sct_problems(cert, chain[0], self.trust)
            found += reasons(ReasonKind.CERTIFICATE, sct_issues)
        return Outcome(tuple(found), tuple(facts))


def _digest_mismatch(signed: str, image: str) -> Reason:
    return Reason(ReasonKind.DIGEST, f"digest mismatch: signed {signed} but image is {image}")


def _entry_fact(entry: LogEntry) -> str:
    return (
        f"Rekor log index {entry.log_index}, integrated "
        f"{rekor.integrated_at(entry).isoformat().replace('+00:00', 'Z')}"
    )


__all__ = ["Outcome", "Reason", "ReasonKind", "VerifyContext", "reasons", "repository_of"]
