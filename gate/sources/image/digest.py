"""Digest strings (OCI image spec ``descriptor.md`` "Digests"): ``algorithm:encoded``."""

from __future__ import annotations

import hashlib
import re

from gate.errors import ImageError

# image-spec descriptor.md: algorithm and encoded grammar; only registered algorithms are
# hashed (sha256, sha512), anything else cannot be verified and is refused.
_ENCODED = {"sha256": re.compile(r"[a-f0-9]{64}"), "sha512": re.compile(r"[a-f0-9]{128}")}


def split_digest(digest: str, what: str) -> tuple[str, str]:
    """``(algorithm, hex)`` of a digest; ImageError naming ``what`` if it is malformed."""
    algorithm, sep, encoded = digest.partition(":")
    if not sep:
        raise ImageError(f"malformed digest {digest!r} in {what}")
    pattern = _ENCODED.get(algorithm)
    if pattern is None:
        raise ImageError(f"unsupported digest algorithm {algorithm!r} in {what}")
    if not pattern.fullmatch(encoded):
        raise ImageError(f"malformed {algorithm} digest {digest!r} in {what}")
    return algorithm, encoded


def is_digest(value: str) -> bool:
    algorithm, sep, encoded = value.partition(":")
    pattern = _ENCODED.get(algorithm)
    return bool(sep) and pattern is not None and pattern.fullmatch(encoded) is not None


def new_hash(digest: str, what: str) -> hashlib._Hash:
    """A fresh hash object for the algorithm of ``digest``."""
    algorithm, _ = split_digest(digest, what)
    return hashlib.new(algorithm)


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
