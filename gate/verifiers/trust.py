"""The sigstore trusted root: which Fulcio CAs, Rekor logs and CT logs to believe, and when.

Format: sigstore protobuf-specs ``TrustedRoot`` in its JSON form
(``application/vnd.dev.sigstore.trustedroot+json;version=0.1``): ``tlogs`` and ``ctlogs`` are
``TransparencyLogInstance`` (``publicKey.rawBytes`` = DER SubjectPublicKeyInfo, ``logId.keyId`` =
SHA-256 of that DER, ``publicKey.validFor``), ``certificateAuthorities`` carry a ``certChain`` and a
``validFor`` window. By default the production root embedded in sigstore-python is read from its
package data, so verification needs no network and no writable cache; ``--trusted-root FILE``
names another one (a private sigstore deployment, or a fresher copy of the public one).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gate.errors import SignatureError
from gate.sources.json_file import json_object, parse_json, read_bytes
from gate.verifiers.keys import PublicKey, supported_key

_PRODUCTION_TUF = "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
PRODUCTION_NAME = "sigstore public-good instance (trusted root embedded in sigstore-python)"
_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$"
)


@dataclass(frozen=True)
class Validity:
    """A ``TimeRange``: ``start`` inclusive, ``end`` inclusive, ``None`` = open-ended."""

    start: dt.datetime | None
    end: dt.datetime | None

    def contains(self, when: dt.datetime) -> bool:
        if self.start is not None and when < self.start:
            return False
        return self.end is None or when <= self.end


@dataclass(frozen=True)
class LogInstance:
    """A transparency log (Rekor) or certificate transparency log."""

    base_url: str
    log_id: bytes
    """SHA-256 of the DER public key (``logId.keyId``)."""
    key: PublicKey
    validity: Validity


@dataclass(frozen=True)
class CertificateAuthority:
    uri: str
    certificates: tuple[x509.Certificate, ...]
    validity: Validity


@dataclass(frozen=True)
class TrustRoot:
    name: str
    """For messages: the file, or the embedded production root."""
    path: Path | None
    """The file it was read from (sigstore-python's Verifier reads the same file)."""
    raw: bytes
    tlogs: tuple[LogInstance, ...]
    ctlogs: tuple[LogInstance, ...]
    authorities: tuple[CertificateAuthority, ...]

    def tlog(self, log_id: bytes) -> LogInstance | None:
        return next((log for log in self.tlogs if log.log_id == log_id), None)

    def ctlog(self, log_id: bytes) -> LogInstance | None:
        return next((log for log in self.ctlogs if log.log_id == log_id), None)

    def ca_certificates(self, at: dt.datetime) -> list[x509.Certificate]:
        """Every CA certificate whose authority was valid at ``at``."""
        return [c for ca in self.authorities if ca.validity.contains(at) for c in ca.certificates]


def parse_time(text: str) -> dt.datetime:
    """RFC 3339 date-time (protobuf JSON ``Timestamp``), any fraction length, to aware UTC."""
    m = _TIME.match(text)
    if not m:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = m.group(8)
    if zone in ("Z", "z"):
        tz = dt.timezone.utc
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    moment = dt.datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)
    return moment.astimezone(dt.timezone.utc)


def production_root_path() -> Path:
    """sigstore-python's embedded copy of the production trusted root."""
    from importlib import resources

    try:
        entry = resources.files("sigstore._store").joinpath(_PRODUCTION_TUF, "trusted_root.json")
    except ModuleNotFoundError as exc:
        raise SignatureError(
            "sigstore-python is not installed, so the production trusted root is missing",
            hint="pip install sigstore, or give --trusted-root FILE",
        ) from exc
    path = Path(str(entry))
    if not path.is_file():
        raise SignatureError(
            "this sigstore-python has no embedded production trusted root",
            hint="give --trusted-root FILE",
        )
    return path


def load_trust_root(path: Path | None) -> TrustRoot:
    """The trusted root in ``path``, or the embedded production root when ``path`` is None."""
    source = production_root_path() if path is None else path
    name = PRODUCTION_NAME if path is None else str(path)
    what = f"trusted root {name}"
    raw = read_bytes(source, what, SignatureError)
    doc = json_object(parse_json(raw, what, SignatureError), what, SignatureError)
    media = doc.get("mediaType", "")
    if not isinstance(media, str) or not media.startswith(
        "application/vnd.dev.sigstore.trustedroot"
    ):
        raise SignatureError(
            f"trusted root {name}: mediaType {media!r} is not a sigstore trusted root"
        )
    try:
        return TrustRoot(
            name=name,
            path=source,
            raw=raw,
            tlogs=_logs(doc.get("tlogs", []), "tlogs"),
            ctlogs=_logs(doc.get("ctlogs", []), "ctlogs"),
            authorities=_authorities(doc.get("certificateAuthorities", [])),
        )
    except _Bad as exc:
        raise SignatureError(f"trusted root {name}: {exc}") from None


class _Bad(Exception):
    pass


def _list(value: Any, where: str) -> Sequence[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _Bad(f"{where} must be an array of objects")
    return value


def _b64(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise _Bad(f"{where} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad(f"{where} is not valid base64") from None


def _validity(value: Any, where: str) -> Validity:
    if value is None:
        return Validity(None, None)
    if not isinstance(value, Mapping):
        raise _Bad(f"{where} must be an object")
    try:
        start = parse_time(value["start"]) if value.get("start") else None
        end = parse_time(value["end"]) if value.get("end") else None
    except (ValueError, TypeError) as exc:
        raise _Bad(f"{where}: {exc}") from None
    return Validity(start, end)


def _logs(value: Any, where: str) -> tuple[LogInstance, ...]:
    logs = []
    for i, entry in enumerate(_list(value, where)):
        here = f"{where}[{i}]"
        key_doc = entry.get("publicKey")
        if not isinstance(key_doc, Mapping):
            raise _Bad(f"{here}.publicKey missing")
        der = _b64(key_doc.get("rawBytes"), f"{here}.publicKey.rawBytes")
        try:
            key = serialization.load_der_public_key(der)
        except ValueError:
            raise _Bad(f"{here}.publicKey.rawBytes is not a DER public key") from None
        if not supported_key(key):
            raise _Bad(f"{here}.publicKey: unsupported key type {type(key).__name__}")
        log_id_doc = entry.get("logId")
        if not isinstance(log_id_doc, Mapping):
            raise _Bad(f"{here}.logId missing")
        logs.append(
            LogInstance(
                base_url=str(entry.get("baseUrl", "")),
                log_id=_b64(log_id_doc.get("keyId"), f"{here}.logId.keyId"),
                key=key,  # type: ignore[arg-type]  # narrowed by supported_key
                validity=_validity(key_doc.get("validFor"), f"{here}.publicKey.validFor"),
            )
        )
    return tuple(logs)


def _authorities(value: Any) -> tuple[CertificateAuthority, ...]:
    authorities = []
    for i, entry in enumerate(_list(value, "certificateAuthorities")):
        here = f"certificateAuthorities[{i}]"
        chain = entry.get("certChain")
        if not isinstance(chain, Mapping):
            raise _Bad(f"{here}.certChain missing")
        certs = []
        for j, cert in enumerate(_list(chain.get("certificates"), f"{here}.certChain")):
            der = _b64(cert.get("rawBytes"), f"{here}.certChain.certificates[{j}].rawBytes")
            try:
                certs.append(x509.load_der_x509_certificate(der))
            except ValueError:
                raise _Bad(f"{here}.certChain.certificates[{j}] is not a DER certificate") from None
        if not certs:
            raise _Bad(f"{here}.certChain has no certificates")
        authorities.append(
            CertificateAuthority(
                uri=str(entry.get("uri", "")),
                certificates=tuple(certs),
                validity=_validity(entry.get("validFor"), f"{here}.validFor"),
            )
        )
    return tuple(authorities)


__all__ = [
    "PRODUCTION_NAME",
    "CertificateAuthority",
    "LogInstance",
    "TrustRoot",
    "Validity",
    "load_trust_root",
    "parse_time",
    "production_root_path",
]
