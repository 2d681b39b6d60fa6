"""RPM database, SQLite backend (rpm >= 4.16; Fedora 33+, RHEL 9, CBL-Mariner 2): ``rpmdb.sqlite``.

rpm ``lib/backend/sqlite.c``: table ``Packages(hnum INTEGER PRIMARY KEY, blob BLOB)``, one
header blob per installed package. The database bytes come from the image: they are opened
in memory (never written back), read-only, with the schema's own triggers and views distrusted.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile

from gate.analyzers.packages.found import FoundPackage, PackageDataError
from gate.analyzers.packages.rpm_header import packages_from_blobs

FILENAME = "rpmdb.sqlite"
_SQLITE_MAGIC = b"SQLite format 3\0"


def _connect(data: bytes) -> tuple[sqlite3.Connection, str | None]:
    # rpm runs the database in WAL mode (header bytes 18/19 = 2), which an in-memory or
    # read-only copy cannot open; the image has no -wal file we would read anyway (rpm
    # checkpoints on close), so mark the copy as a rollback-journal database (SQLite file
    # format, section 1.3.3 "File format version numbers").
    if data[18:20] == b"\x02\x02":
        data = data[:18] + b"\x01\x01" + data[20:]
    if hasattr(sqlite3.Connection, "deserialize"):
        connection = sqlite3.connect(":memory:")
        connection.deserialize(data)
        return connection, None
    # Python 3.10 has no deserialize(): a private temporary copy, deleted afterwards.
    fd, tmp = tempfile.mkstemp(suffix=".sqlite")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return sqlite3.connect(f"file:{tmp}?mode=ro", uri=True), tmp


def parse(path: str, data: bytes) -> list[FoundPackage]:
    if not data.startswith(_SQLITE_MAGIC):
        raise PackageDataError("not an SQLite 3 database")
    tmp: str | None = None
    try:
        connection, tmp = _connect(data)
        try:
            connection.execute("PRAGMA trusted_schema = OFF")
            connection.execute("PRAGMA query_only = ON")
            blobs = [bytes(row[0]) for row in connection.execute("SELECT blob FROM Packages")]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise PackageDataError(f"unreadable rpm SQLite database: {exc}") from exc
    finally:
        if tmp is not None:
            os.unlink(tmp)
    return packages_from_blobs(blobs)
