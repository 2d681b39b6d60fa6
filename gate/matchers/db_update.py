"""``gate db update``: osv.dev's per-ecosystem exports downloaded into the local database.

osv.dev publishes every ecosystem as ``<base>/<Ecosystem>/all.zip`` (a zip of OSV JSON files;
https://google.github.io/osv.dev/data/#data-dumps). For each ecosystem asked for:

1. A conditional GET (``If-None-Match`` with the stored ``ETag``, ``If-Modified-Since`` with the
   stored ``Last-Modified``; RFC 9110 sections 13.1.2 and 13.1.3). ``304 Not Modified`` keeps the
   file and records that it was current at this time.
2. Otherwise the body streams to a temporary file beside the target, is checked to be a
   readable zip, and replaces the old file atomically (``os.replace``): an interrupted or
   corrupt download never replaces a good database.
3. Connection errors, timeouts, 429 and 5xx are retried with exponential backoff; anything
   else (404 for an unknown ecosystem, 403) fails at once. Every failure is an
   :class:`~gate.errors.AdvisoryDatabaseError` naming the URL (exit 2).

Then the index (``index.sqlite``) is rebuilt from every downloaded export, with the oldest of
the ecosystems' check times as the database's time (what ``max_db_age_days`` is measured
against). A lock file serializes concurrent updates of the same directory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate import __version__
from gate.errors import AdvisoryDatabaseError
from gate.matchers.advisory_index import AdvisoryIndex, build_index, iter_source
from gate.matchers.database import INDEX_NAME
from gate.status_line import StatusLine

DEFAULT_EXPORT_URL = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_ECOSYSTEMS = (
    "Alpine",
    "Debian",
    "Ubuntu",
    "AlmaLinux",
    "Rocky Linux",
    "Wolfi",
    "Chainguard",
    "PyPI",
    "npm",
    "Go",
    "Maven",
    "RubyGems",
    "crates.io",
    "NuGet",
    "Packagist",
)
STATE_NAME = "state.json"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_CHUNK = 1 << 16


def _now() -> str:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class EcosystemResult:
    ecosystem: str
    status: str
    """``downloaded`` or ``not-modified``."""
    bytes: int
    checked_at: str


Progress = Callable[[str, int, int | None], None]
"""(ecosystem, bytes so far, total bytes or None)."""


class TerminalProgress:
    """A progress bar on a terminal's status line; one plain line per ecosystem either way."""

    def __init__(self, line: StatusLine) -> None:
        self.line = line

    def __call__(self, ecosystem: str, done: int, total: int | None) -> None:
        if total:
            width = 30
            filled = int(width * done / total)
            bar = "#" * filled + "-" * (width - filled)
            text = f"{ecosystem:<12} [{bar}] {done / 1e6:7.1f}/{total / 1e6:.1f} MB"
        else:
            text = f"{ecosystem:<12} {done / 1e6:7.1f} MB"
        self.line.show(text, now=total is not None and done >= total)

    def finished(self, result: EcosystemResult) -> None:
        self.line.print(f"{result.ecosystem}: {result.status} ({result.bytes / 1e6:.1f} MB)")


@contextlib.contextmanager
def _locked(db_dir: Path) -> Iterator[None]:
    db_dir.mkdir(parents=True, exist_ok=True)
    with open(db_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _read_state(db_dir: Path) -> dict[str, Any]:
    path = db_dir / STATE_NAME
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged state only costs one unconditional download
    return state if isinstance(state, dict) else {}


def _write_state(db_dir: Path, state: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".state-", dir=db_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(state, out, indent=2, sort_keys=True)
    os.replace(tmp, db_dir / STATE_NAME)


def export_path(db_dir: Path, ecosystem: str) -> Path:
    return db_dir / "exports" / ecosystem / "all.zip"


def update_database(
    db_dir: Path,
    ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
    *,
    base_url: str = DEFAULT_EXPORT_URL,
    timeout: float = 60.0,
    retries: int = 4,
    backoff: float = 1.0,
    progress: TerminalProgress | None = None,
) -> tuple[list[EcosystemResult], AdvisoryIndex]:
    """Download (conditionally) every ecosystem's export, then rebuild the index."""
    import requests

    if not ecosystems:
        raise AdvisoryDatabaseError("gate db update: no ecosystem given")
    with _locked(db_dir):
        state = _read_state(db_dir)
        session = requests.Session()
        session.headers["User-Agent"] = f"gate/{__version__}"
        # Byte counts must be those of the file (Content-Length vs. what is written).
        session.headers["Accept-Encoding"] = "identity"
        results = []
        for ecosystem in ecosystems:
            result, entry = _fetch(
                session,
                base_url.rstrip("/"),
                ecosystem,
                export_path(db_dir, ecosystem),
                state.get(ecosystem, {}),
                timeout=timeout,
                retries=retries,
                backoff=backoff,
                progress=progress,
            )
            state[ecosystem] = entry
            _write_state(db_dir, state)
            results.append(result)
            if progress is not None:
                progress.finished(result)
        index = rebuild_index(db_dir, state, ecosystems)
    return results, index


def rebuild_index(db_dir: Path, state: dict[str, Any], ecosystems: Sequence[str]) -> AdvisoryIndex:
    present = [e for e in ecosystems if export_path(db_dir, e).is_file()]
    # Every export kept here (earlier updates may have fetched other ecosystems).
    exports_dir = db_dir / "exports"
    for child in sorted(exports_dir.iterdir()) if exports_dir.is_dir() else ():
        if (child / "all.zip").is_file() and child.name not in present and child.name in state:
            present.append(child.name)
    checked = [str(state[e]["checked_at"]) for e in present if state.get(e, {}).get("checked_at")]
    oldest = min(checked) if checked else _now()

    def records() -> Iterator[tuple[str, bytes]]:
        for ecosystem in present:
            yield from iter_source(export_path(db_dir, ecosystem))

    label = f"osv.dev exports ({', '.join(present)}) in {db_dir}"
    return build_index(records(), db_dir / INDEX_NAME, source=label, downloaded_at=oldest)


def _fetch(
    session: Any,
    base_url: str,
    ecosystem: str,
    target: Path,
    previous: dict[str, Any],
    *,
    timeout: float,
    retries: int,
    backoff: float,
    progress: TerminalProgress | None,
) -> tuple[EcosystemResult, dict[str, Any]]:
    from urllib.parse import quote

    import requests

    url = f"{base_url}/{quote(ecosystem)}/all.zip"
    headers = {}
    if target.is_file():
        if previous.get("etag"):
            headers["If-None-Match"] = str(previous["etag"])
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = str(previous["last_modified"])
    attempt = 0
    while True:
        attempt += 1
        try:
            with session.get(url, headers=headers, stream=True, timeout=timeout) as response:
                if response.status_code == 304 and target.is_file():
                    entry = dict(previous, checked_at=_now(), url=url)
                    size = target.stat().st_size
                    return EcosystemResult(
                        ecosystem, "not-modified", size, entry["checked_at"]
                    ), entry
                if response.status_code in _RETRY_STATUS and attempt <= retries:
                    _sleep(backoff, attempt, response.headers.get("Retry-After"))
                    continue
                if response.status_code != 200:
                    raise AdvisoryDatabaseError(
                        f"gate db update: {url}: HTTP {response.status_code}"
                        + (" (unknown ecosystem?)" if response.status_code == 404 else "")
                    )
                size = _stream_to(response, target, ecosystem, url, progress)
                entry = {
                    "url": url,
                    "etag": response.headers.get("ETag"),
                    "last_modified": response.headers.get("Last-Modified"),
                    "checked_at": _now(),
                    "downloaded_at": _now(),
                    "bytes": size,
                }
                return EcosystemResult(ecosystem, "downloaded", size, entry["checked_at"]), entry
        except (requests.ConnectionError, requests.Timeout) as exc:
            if attempt <= retries:
                _sleep(backoff, attempt, None)
                continue
            raise AdvisoryDatabaseError(
                f"gate db update: {url}: {type(exc).__name__} after {attempt} attempts"
            ) from None
        except requests.RequestException as exc:
            raise AdvisoryDatabaseError(f"gate db update: {url}: {exc}") from None


def _sleep(backoff: float, attempt: int, retry_after: str | None) -> None:
    delay = backoff * (2 ** (attempt - 1))
    if retry_after and retry_after.isdigit():
        delay = max(delay, min(float(retry_after), 60.0))
    time.sleep(delay)


def _stream_to(
    response: Any, target: Path, ecosystem: str, url: str, progress: TerminalProgress | None
) -> int:
    import requests

    target.parent.mkdir(parents=True, exist_ok=True)
    total_header = response.headers.get("Content-Length")
    total = int(total_header) if total_header and total_header.isdigit() else None
    fd, name = tempfile.mkstemp(prefix=".all-", suffix=".zip", dir=target.parent)
    tmp = Path(name)
    done = 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                for chunk in response.iter_content(_CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(ecosystem, done, total)
            except requests.RequestException as exc:
                raise AdvisoryDatabaseError(
                    f"gate db update: {url}: download interrupted ({type(exc).__name__})"
                ) from None
        if total is not None and done != total:
            raise AdvisoryDatabaseError(
                f"gate db update: {url}: got {done} of {total} bytes (truncated download)"
            )
        try:
            with zipfile.ZipFile(tmp) as archive:
                bad = archive.testzip()
        except (OSError, zipfile.BadZipFile) as exc:
            raise AdvisoryDatabaseError(f"gate db update: {url}: not a zip ({exc})") from None
        if bad is not None:
            raise AdvisoryDatabaseError(f"gate db update: {url}: corrupt member {bad}")
        os.replace(tmp, target)
        return done
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


__all__ = [
    "DEFAULT_ECOSYSTEMS",
    "DEFAULT_EXPORT_URL",
    "EcosystemResult",
    "TerminalProgress",
    "export_path",
    "update_database",
]
