"""The configuration check's part of the layer walk: the user database of each layer.

``/etc/passwd`` (passwd(5)) maps the image config's ``User`` name to a UID, so ``USER app`` with
UID 0 is still root. Only this small, non-secret file is recorded (never ``/etc/shadow``).
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.analyzers.interface import Record
from gate.models import ScanNote
from gate.sources.image.model import EntryMeta, EntryType

PASSWD = "/etc/passwd"
_MAX_BYTES = 1024 * 1024


class ConfigFileAnalyzer:
    """``LayerFileAnalyzer`` recording ``/etc/passwd`` per layer."""

    name = "config-files"
    version = "1"

    def options_key(self) -> str:
        return ""

    def wants(self, meta: EntryMeta) -> bool:
        return meta.type is EntryType.FILE and meta.path == PASSWD and meta.size <= _MAX_BYTES

    def scan_file(self, meta: EntryMeta, data: bytes) -> list[Record]:
        return [{"path": meta.path, "text": data.decode("utf-8", "replace")}]

    def notes(self, records: Sequence[Record]) -> list[ScanNote]:
        return []


def passwd_uids(text: str) -> dict[str, int]:
    """name -> UID from passwd(5) lines ``name:password:UID:GID:GECOS:home:shell``."""
    users: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] and fields[2].isdigit():
            users.setdefault(fields[0], int(fields[2]))
    return users
