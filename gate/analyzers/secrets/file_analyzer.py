"""The secrets analyzer's part of the layer walk: every regular file of every layer.

Records are cached on disk per layer digest, so they hold the masked value and the fingerprint
of a secret, never the value itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from gate.analyzers.interface import Record
from gate.analyzers.secrets.detector import (
    DEFAULT_MAX_FILE_SIZE,
    NOTE_ARCHIVE,
    NOTE_BINARY,
    NOTE_TRUNCATED,
    scan_bytes,
)
from gate.analyzers.secrets.rules import RULESET_VERSION
from gate.models import ScanNote
from gate.redact import key_id
from gate.sources.image.model import EntryMeta, EntryType

_NOTE_DETAIL = {
    NOTE_BINARY: "binary files scanned as their printable text runs (>= 8 characters)",
    NOTE_ARCHIVE: "compressed archives (.gz, .zip, .jar...) not expanded; only their "
    "printable runs were scanned",
    NOTE_TRUNCATED: "files larger than max_file_size: only their first max_file_size bytes "
    "were scanned",
}


def note_detail(kind: str) -> str:
    return _NOTE_DETAIL.get(kind, kind)


class SecretFileAnalyzer:
    """``LayerFileAnalyzer`` of the secrets check: finds secrets in every layer file."""

    name = "secrets"

    def __init__(self, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        if max_file_size <= 0:
            raise ValueError("max_file_size must be positive")
        self.max_file_size = max_file_size
        # The fingerprint key enters the version: records cache fingerprints made with it.
        self.version = f"{RULESET_VERSION}+{key_id()}"

    def options_key(self) -> str:
        return f"max_file_size={self.max_file_size}"

    def wants(self, meta: EntryMeta) -> bool:
        # Every non-empty regular file: a secret can hide in any of them, under any name.
        return meta.type is EntryType.FILE and meta.size > 0 and not meta.whiteout

    def scan_file(self, meta: EntryMeta, data: bytes) -> list[Record]:
        outcome = scan_bytes(data, path=meta.path, size=meta.size, max_file_size=self.max_file_size)
        records: list[Record] = [m.record(meta.path) for m in outcome.matches]
        records.extend(
            {"kind": "note", "note": kind, "path": meta.path} for kind in sorted(outcome.notes)
        )
        return records

    def notes(self, records: Sequence[Record]) -> list[ScanNote]:
        counts: Counter[str] = Counter(str(r["note"]) for r in records if r.get("kind") == "note")
        return [
            ScanNote(kind=kind, count=count, detail=note_detail(kind))
            for kind, count in sorted(counts.items())
        ]
