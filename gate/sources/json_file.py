"""JSON inputs read with one-line errors: the SBOM, the docker config, VEX documents, peer
scanner reports, the baseline report, the trusted root, advisory files, image manifests.

Every failure is one :class:`~gate.errors.GateError` of the caller's class naming the input,
in the same words everywhere: ``no such file``, ``cannot read: <reason>``, ``not valid JSON
(line L, column C: <reason>)``, ``not a JSON object``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gate.errors import GateError, InputError


def parse_json(data: bytes | str, what: str, error: type[GateError] = InputError) -> Any:
    """``data`` decoded (bytes as UTF-8, -16 or -32, RFC 8259 section 8.1 and what
    :func:`json.loads` detects); ``what`` names the input in the message."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise error(
            f"{what}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except UnicodeDecodeError as exc:
        raise error(f"{what}: not valid JSON (not {exc.encoding} text at byte {exc.start})") \
            from None
    except ValueError as exc:  # e.g. a number too long to convert
        raise error(f"{what}: not valid JSON ({exc})") from None


def json_object(doc: Any, what: str, error: type[GateError] = InputError) -> dict[str, Any]:
    """``doc`` if it is a JSON object."""
    if not isinstance(doc, dict):
        raise error(f"{what}: not a JSON object")
    return doc


def read_bytes(path: Path, what: str, error: type[GateError] = InputError) -> bytes:
    """The bytes of the input file ``path``; ``what`` names it (``SBOM app.cdx.json``)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"{what}: no such file") from None
    except OSError as exc:
        raise error(f"{what}: cannot read: {exc.strerror or exc}") from None


def read_json(
    path: Path, what: str, error: type[GateError] = InputError, *, missing_ok: bool = False
) -> Any:
    """The JSON document in the input file ``path`` (a UTF-8 byte order mark allowed, as
    Windows tools write one); None for a missing file when ``missing_ok``."""
    if missing_ok and not path.exists() and not path.is_symlink():
        return None
    data = read_bytes(path, what, error)
    return parse_json(data.removeprefix(b"\xef\xbb\xbf"), what, error)


__all__ = ["json_object", "parse_json", "read_bytes", "read_json"]
