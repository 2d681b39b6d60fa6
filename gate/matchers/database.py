"""Which advisory database a scan uses, in order: ``--vuln-db`` paths, ``--osv-api``, else the
database ``gate db update`` keeps in the local cache. None of them: the check cannot run, and
the error says how to get one (the CLI turns it into exit 2)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gate.errors import NoAdvisoryDatabaseError
from gate.matchers.advisory_index import AdvisoryIndex, DatabaseInfo, open_sources
from gate.matchers.matching import AdvisorySource

INDEX_NAME = "index.sqlite"
NO_DATABASE_HINT = (
    "run `gate db update` to download osv.dev's advisories, give --vuln-db DIR|ZIP "
    "(OSV JSON files) or --osv-api to query osv.dev, or leave the check out "
    "(--checks, or checks.vulnerabilities = false in the policy)"
)


def default_db_dir() -> Path:
    """Where ``gate db update`` keeps the database: ``$GATE_DB_DIR``, else ``db/`` under the
    gate cache (``$GATE_CACHE_DIR``, ``$XDG_CACHE_HOME/gate`` or ``~/.cache/gate``)."""
    env = os.environ.get("GATE_DB_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("GATE_CACHE_DIR")
    if cache:
        return Path(cache) / "db"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "gate" / "db"


@dataclass(frozen=True)
class DatabaseChoice:
    """The resolved options: exactly what ``open_database`` will open."""

    vuln_db: tuple[Path, ...] = ()
    osv_api: str | None = None
    db_dir: Path | None = None
    index_cache: Path | None = None
    """Where indexes of ``--vuln-db`` sources are cached (None: built in memory)."""
    api_timeout: float = 30.0


def open_database(choice: DatabaseChoice) -> AdvisorySource:
    if choice.vuln_db:
        index = open_sources(choice.vuln_db, choice.index_cache)
        return index
    if choice.osv_api:
        from gate.matchers.osv_api import OsvApiSource

        api = OsvApiSource(choice.osv_api, timeout=choice.api_timeout)
        return api
    db_dir = choice.db_dir or default_db_dir()
    index_path = db_dir / INDEX_NAME
    if not index_path.is_file():
        raise NoAdvisoryDatabaseError(
            f"no advisory database (none given, none in {db_dir})", hint=NO_DATABASE_HINT
        )
    return AdvisoryIndex.open(index_path)


def describe(info: DatabaseInfo, age_days: int | None = None) -> str:
    updated = info.updated or "unknown date"
    what = "downloaded" if info.downloaded_at else "newest record"
    text = f"{info.source}: {info.records} records, {what} {updated}"
    if age_days is not None:
        text += f" ({age_days} days old)"
    if info.skipped:
        text += (
            f"; {info.skipped} JSON document(s) in another advisory format skipped"
            f" (e.g. {info.skipped_example})"
        )
    return text


__all__ = [
    "NO_DATABASE_HINT",
    "DatabaseChoice",
    "default_db_dir",
    "describe",
    "open_database",
]
