"""``gate db update``: osv.dev's per-ecosystem exports (``<Ecosystem>/all.zip``) from a local
server, conditional requests, retries, atomic replace, the index, and the CLI."""

from __future__ import annotations

import io
import json
import zipfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from gate.cli import main
from gate.errors import AdvisoryDatabaseError
from gate.matchers.db_update import STATE_NAME, export_path, update_database

from .helpers import GO, PYPA, http_server


def _zip(paths: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for path in paths:
            out.write(path, path.name)
    return buffer.getvalue()


class Exports:
    """Serves <Ecosystem>/all.zip with an ETag and Last-Modified, answering 304 to a matching
    conditional request (RFC 9110 13.1.2), failing the first ``fail`` requests with 503."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[dict[str, str]] = []
        self.fail = 0
        self.truncate = False

    def etag(self, name: str) -> str:
        import hashlib

        return '"' + hashlib.sha256(self.files[name]).hexdigest()[:16] + '"'

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        name = handler.path.strip("/").split("/")[0].replace("%20", " ")
        self.requests.append(dict(handler.headers))
        if self.fail:
            self.fail -= 1
            handler.send_response(503)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if name not in self.files:
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if handler.headers.get("If-None-Match") == self.etag(name):
            handler.send_response(304)
            handler.end_headers()
            return
        body = self.files[name]
        handler.send_response(200)
        handler.send_header("Content-Type", "application/zip")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", self.etag(name))
        handler.send_header("Last-Modified", "Tue, 01 Oct 2024 10:00:00 GMT")
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2] if self.truncate else body)


@pytest.fixture()
def exports(shared_data: Path) -> Exports:
    return Exports(
        {
            "PyPI": _zip(
                sorted((PYPA / "jinja2").glob("*.json")) + sorted((PYPA / "urllib3").glob("*.json"))
            ),
            "Go": _zip(sorted(GO.glob("GO-2020-*.json"))),
        }
    )


def test_download_index_then_not_modified(tmp_path: Path, exports: Exports) -> None:
    db = tmp_path / "db"
    with http_server({("GET", "/"): exports}) as url:
        results, index = update_database(db, ["PyPI", "Go"], base_url=url, backoff=0.01)
        assert [r.status for r in results] == ["downloaded", "downloaded"]
        assert index.info.records == 16 + len(list(GO.glob("GO-2020-*.json")))
        assert index.info.downloaded_at is not None
        assert {a.id for a in index.lookup("PyPI", ["jinja2"])} >= {"PYSEC-2019-217"}
        state = json.loads((db / STATE_NAME).read_text())
        assert state["PyPI"]["etag"] == exports.etag("PyPI")
        before = export_path(db, "PyPI").read_bytes()

        again, _index = update_database(db, ["PyPI"], base_url=url, backoff=0.01)
        assert [r.status for r in again] == ["not-modified"]
        sent = exports.requests[-1]
        assert sent["If-None-Match"] == exports.etag("PyPI")
        assert sent["If-Modified-Since"] == "Tue, 01 Oct 2024 10:00:00 GMT"
        assert export_path(db, "PyPI").read_bytes() == before
        # The index keeps every export downloaded so far.
        assert {a.id for a in _index.lookup("Go", ["github.com/gin-gonic/gin"])} == {"GO-2020-0001"}


def test_retries_then_success_and_unknown_ecosystem(tmp_path: Path, exports: Exports) -> None:
    exports.fail = 2
    with http_server({("GET", "/"): exports}) as url:
        results, _ = update_database(tmp_path / "db", ["PyPI"], base_url=url, backoff=0.01)
        assert results[0].status == "downloaded" and len(exports.requests) == 3
        with pytest.raises(AdvisoryDatabaseError, match=r"Nope/all\.zip: HTTP 404"):
            update_database(tmp_path / "db", ["Nope"], base_url=url, backoff=0.01)


def test_a_truncated_download_never_replaces_the_database(tmp_path: Path, exports: Exports) -> None:
    db = tmp_path / "db"
    with http_server({("GET", "/"): exports}) as url:
        update_database(db, ["PyPI"], base_url=url, backoff=0.01)
        good = export_path(db, "PyPI").read_bytes()
        exports.files["PyPI"] = exports.files["PyPI"] + b"changed"  # a new ETag
        exports.truncate = True
        with pytest.raises(AdvisoryDatabaseError, match=r"truncated|interrupted|not a zip"):
            update_database(db, ["PyPI"], base_url=url, backoff=0.01, retries=0)
    assert export_path(db, "PyPI").read_bytes() == good
    assert [p.name for p in export_path(db, "PyPI").parent.iterdir()] == ["all.zip"]


def test_cli_update_status_and_no_database(
    tmp_path: Path, exports: Exports, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "db"
    with http_server({("GET", "/"): exports}) as url:
        code = main(["db", "update", "--db-dir", str(db), "--ecosystems", "PyPI", "--url", url])
    out, err = capsys.readouterr()
    assert code == 0
    assert "PyPI: downloaded" in err  # plain progress lines off a terminal
    assert "advisory database updated: osv.dev exports (PyPI)" in out and "16 records" in out
    assert main(["db", "status", "--db-dir", str(db)]) == 0
    assert "ecosystems: PyPI" in capsys.readouterr().out
    assert main(["db", "status", "--db-dir", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gate: error: no advisory database") and "gate db update" in err


def test_progress_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    from gate.matchers.db_update import EcosystemResult, TerminalProgress
    from gate.status_line import StatusLine

    tty = io.StringIO()
    bar = TerminalProgress(StatusLine(tty, interactive=True))
    bar("PyPI", 5_000_000, 10_000_000)
    bar.finished(EcosystemResult("PyPI", "downloaded", 10_000_000, "2024-10-01T00:00:00Z"))
    assert (
        "\r\x1b[2KPyPI" in tty.getvalue() and "[###############---------------]" in tty.getvalue()
    )
    plain = io.StringIO()
    log = TerminalProgress(StatusLine(plain, interactive=False))
    log("PyPI", 5_000_000, 10_000_000)
    log.finished(EcosystemResult("PyPI", "not-modified", 10_000_000, "2024-10-01T00:00:00Z"))
    assert plain.getvalue() == "PyPI: not-modified (10.0 MB)\n"
