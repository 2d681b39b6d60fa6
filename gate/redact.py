"""Redaction: the only way a found secret may appear in any output.

A secret is shown as its first few characters followed by ``****`` and identified by a
fingerprint: an HMAC-SHA256 of the full value. The key is fixed by default so fingerprints are
stable across runs and machines (a policy exception can name one secret); an organisation can
set ``GATE_FINGERPRINT_KEY`` so published fingerprints cannot be tested against guessed values.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from gate.models import Fingerprint

_DEFAULT_KEY = b"gate-secret-fingerprint-v1"
FINGERPRINT_HEX_CHARS = 40
_SHOWN_PREFIX = 4


def fingerprint_key() -> bytes:
    env = os.environ.get("GATE_FINGERPRINT_KEY")
    return env.encode() if env else _DEFAULT_KEY


def key_id() -> str:
    """A short public identifier of the key in use (enters cache keys, never the key)."""
    return hashlib.sha256(b"key-id:" + fingerprint_key()).hexdigest()[:12]


def fingerprint(value: str | bytes, *, key: bytes | None = None) -> Fingerprint:
    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    digest = hmac.new(key or fingerprint_key(), raw, hashlib.sha256).hexdigest()
    return Fingerprint(digest[:FINGERPRINT_HEX_CHARS])


def mask(value: str) -> str:
    """``AKIAIOSFODNN7EXAMPLE`` -> ``AKIA****``. Short values show less, never more than half."""
    shown = min(_SHOWN_PREFIX, len(value) // 4)
    return value[:shown] + "****"


def mask_in(text: str, secret: str) -> str:
    """Replace every occurrence of ``secret`` in ``text`` by its masked form."""
    if not secret:
        return text
    return text.replace(secret, mask(secret))
