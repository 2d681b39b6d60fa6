"""Reading the small JSON metadata files of language package managers from untrusted images."""

from __future__ import annotations

import json
from typing import Any

from gate.analyzers.packages.found import PackageDataError, clean


def load_json(data: bytes) -> Any:
    try:
        # utf-8-sig: Windows-built packages (NuGet, npm on Windows) start with a BOM.
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageDataError(f"malformed JSON: {exc}") from exc


def licenses_value(value: Any) -> tuple[str, ...]:
    """npm/composer licence fields: a string, a list of strings, or ``{"type": ...}`` objects."""
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("type")
        text = clean(item) if isinstance(item, str) else None
        if text:
            found.append(text)
    return tuple(dict.fromkeys(found))
