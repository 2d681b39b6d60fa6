"""What a signature says it signs: cosign simple-signing payloads, DSSE envelopes, in-toto
statements. Parsing only; whether the content matches the image is decided by the check.

Every document here comes from a registry anyone may push to, so JSON is parsed strictly: a
duplicated key (which two parsers may resolve differently) makes the document invalid.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_SIGNATURE_TYPE = "cosign container image signature"
DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
IN_TOTO_STATEMENT_TYPES = ("https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1")
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
"""Predicate type of the in-toto statement ``cosign sign --new-bundle-format`` signs: a plain
image signature, not an attestation."""


_URLSAFE = str.maketrans("-_", "+/")


class PayloadError(ValueError):
    """A payload that cannot be what it claims to be; the message says why, in one line."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise PayloadError(f"duplicate JSON key {key!r}")
        doc[key] = value
    return doc


def strict_json(data: bytes | str, what: str) -> Any:
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates)
    except PayloadError as exc:
        raise PayloadError(f"{what}: {exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"{what} is not JSON ({exc})") from None


def b64decode(value: Any, what: str) -> bytes:
    """Standard or URL-safe base64, padded or not (DSSE ``envelope.md`` allows both)."""
    if not isinstance(value, str):
        raise PayloadError(f"{what} must be a base64 string")
    text = value.strip().translate(_URLSAFE)
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError(f"{what} is not valid base64") from None


def _get_folded(doc: Mapping[str, Any], name: str, what: str) -> Any:
    """``doc[name]`` matched case-insensitively, as cosign's Go decoder does; two keys that
    differ only in case are refused (which one a verifier reads would be up to the parser)."""
    found = [key for key in doc if key.lower() == name.lower()]
    if len(found) > 1:
        raise PayloadError(f"{what}: keys {', '.join(found)} differ only in case")
    return doc[found[0]] if found else None


@dataclass(frozen=True)
class SimpleSigning:
    """containers/image ``containers-signature.5.md`` JSON data format, cosign's variant."""

    manifest_digest: str
    docker_reference: str | None
    type: str


def parse_simple_signing(data: bytes) -> SimpleSigning:
    doc = strict_json(data, "simple-signing payload")
    if not isinstance(doc, Mapping):
        raise PayloadError("simple-signing payload is not a JSON object")
    critical = _get_folded(doc, "critical", "simple-signing payload")
    if not isinstance(critical, Mapping):
        raise PayloadError("simple-signing payload has no critical section")
    image = _get_folded(critical, "image", "critical")
    identity = _get_folded(critical, "identity", "critical")
    kind = _get_folded(critical, "type", "critical")
    digest = (
        _get_folded(image, "docker-manifest-digest", "critical.image")
        if isinstance(image, Mapping)
        else None
    )
    if not isinstance(digest, str) or not digest:
        raise PayloadError("simple-signing payload has no critical.image.docker-manifest-digest")
    reference = (
        _get_folded(identity, "docker-reference", "critical.identity")
        if isinstance(identity, Mapping)
        else None
    )
    if reference is not None and not isinstance(reference, str):
        raise PayloadError("critical.identity.docker-reference must be a string")
    if not isinstance(kind, str):
        raise PayloadError("simple-signing payload has no critical.type")
    return SimpleSigning(manifest_digest=digest, docker_reference=reference or None, type=kind)


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope (secure-systems-lab/dsse ``envelope.md``)."""

    payload_type: str
    payload: bytes
    signatures: tuple[bytes, ...]

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding (``protocol.md``): what is actually signed.

    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``, lengths as ASCII decimal byte counts.
    """
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def parse_envelope(doc: Any, what: str = "DSSE envelope") -> Envelope:
    if not isinstance(doc, Mapping):
        raise PayloadError(f"{what} is not a JSON object")
    payload_type = doc.get("payloadType")
    if not isinstance(payload_type, str) or not payload_type:
        raise PayloadError(f"{what} has no payloadType")
    payload = b64decode(doc.get("payload"), f"{what} payload")
    signatures = doc.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise PayloadError(f"{what} has no signatures")
    sigs = []
    for i, entry in enumerate(signatures):
        if not isinstance(entry, Mapping):
            raise PayloadError(f"{what} signatures[{i}] is not an object")
        sigs.append(b64decode(entry.get("sig"), f"{what} signatures[{i}].sig"))
    return Envelope(payload_type=payload_type, payload=payload, signatures=tuple(sigs))


@dataclass(frozen=True)
class Subject:
    name: str
    digests: Mapping[str, str]
    """Algorithm -> lower-case hex (``{"sha256": "ab12..."}``)."""


@dataclass(frozen=True)
class Statement:
    """An in-toto attestation statement (in-toto/attestation ``spec/v1/statement.md``)."""

    type: str
    predicate_type: str
    subjects: tuple[Subject, ...]
    predicate: Any = field(default=None)

    def names_digest(self, digest: str) -> bool:
        """Is ``algorithm:hex`` one of the subjects' digests?"""
        algorithm, _, encoded = digest.partition(":")
        return any(s.digests.get(algorithm) == encoded.lower() for s in self.subjects)

    def subject_digests(self) -> list[str]:
        return [f"{alg}:{hexd}" for s in self.subjects for alg, hexd in s.digests.items()]


def parse_statement(envelope: Envelope) -> Statement:
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise PayloadError(
            f"DSSE payloadType is {envelope.payload_type!r}, not an in-toto statement "
            f"({IN_TOTO_PAYLOAD_TYPE})"
        )
    doc = strict_json(envelope.payload, "in-toto statement")
    if not isinstance(doc, Mapping):
        raise PayloadError("in-toto statement is not a JSON object")
    kind = doc.get("_type")
    if kind not in IN_TOTO_STATEMENT_TYPES:
        raise PayloadError(f"in-toto statement _type {kind!r} is not a known statement type")
    predicate_type = doc.get("predicateType")
    if not isinstance(predicate_type, str) or not predicate_type:
        raise PayloadError("in-toto statement has no predicateType")
    raw_subjects = doc.get("subject")
    if not isinstance(raw_subjects, list) or not raw_subjects:
        raise PayloadError("in-toto statement has no subject")
    subjects = []
    for i, entry in enumerate(raw_subjects):
        digests = entry.get("digest") if isinstance(entry, Mapping) else None
        if not isinstance(digests, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in digests.items()
        ):
            raise PayloadError(f"in-toto statement subject[{i}] has no digest map")
        name = entry.get("name", "")
        subjects.append(
            Subject(
                name=name if isinstance(name, str) else "",
                digests={k.lower(): v.lower() for k, v in digests.items()},
            )
        )
    return Statement(
        type=str(kind),
        predicate_type=predicate_type,
        subjects=tuple(subjects),
        predicate=doc.get("predicate"),
    )


__all__ = [
    "COSIGN_SIGNATURE_TYPE",
    "COSIGN_SIGN_PREDICATE",
    "DSSE_MEDIA_TYPE",
    "IN_TOTO_PAYLOAD_TYPE",
    "SIMPLE_SIGNING_MEDIA_TYPE",
    "Envelope",
    "PayloadError",
    "SimpleSigning",
    "Statement",
    "Subject",
    "b64decode",
    "pae",
    "parse_envelope",
    "parse_simple_signing",
    "parse_statement",
    "strict_json",
]
