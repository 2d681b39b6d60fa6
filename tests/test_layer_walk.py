"""The layer walk's per-layer cache: what a warm walk reads back is what the cold walk found,
and a cache file in another layout, or damaged, is rebuilt rather than misread."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.analyzers.interface import LayerScan
from gate.analyzers.secrets.file_analyzer import SecretFileAnalyzer
from gate.layer_walk import (
    CACHE_FORMAT,
    WalkOptions,
    _entries_from_json,
    _entries_to_json,
    walk_layers,
)
from gate.sources.image import open_image
from gate.sources.image.model import EntryMeta, EntryType
from gate.testing.image_writer import (
    OPAQUE,
    WHITEOUT,
    Dir,
    File,
    Hardlink,
    ImageSpec,
    Symlink,
    write_oci_layout,
)
from tests.gate_cli import run_gate

_TOKEN = "ghp_" + "Zq8xW3vN5tL2rK9pB4mY7cJ1hD6fG0sA3eQu"


def _layout(tmp_path: Path) -> str:
    layers: list[dict[str, object]] = [
        {
            "etc": Dir(mode=0o700, uid=3, gid=4),
            "etc/app.conf": File(f"token = {_TOKEN}\n".encode(), mode=0o600, uid=1000, gid=50),
            "etc/empty": b"",
            "bin/tool": b"\x7fELF\x00\x00binary",
            "bin/tool-link": Hardlink("/bin/tool"),
            "usr/lib/lib.so": Symlink("../../bin/tool"),
            "var/cache": Dir(),
            "var/cache/old": b"old",
        },
        {"etc/empty": WHITEOUT, "var/cache": OPAQUE, "var/cache/new": b"new"},
    ]
    layout = tmp_path / "layout"
    write_oci_layout(layout, ImageSpec(layers=layers))  # type: ignore[arg-type]
    return f"oci:{layout}:latest"


def _walk(reference: str, cache: Path | None) -> tuple[LayerScan, ...]:
    return walk_layers(open_image(reference), [SecretFileAnalyzer()],
                       WalkOptions(cache_dir=cache, jobs=1))  # fmt: skip


def test_a_warm_walk_reads_back_what_the_cold_walk_found(tmp_path: Path) -> None:
    reference, cache = _layout(tmp_path), tmp_path / "cache"
    uncached = _walk(reference, None)
    cold = _walk(reference, cache)
    warm = _walk(reference, cache)
    assert [s.from_cache for s in cold] == [False, False]
    assert [s.from_cache for s in warm] == [True, True]
    for a, b, c in zip(uncached, cold, warm, strict=True):
        assert a.entries == b.entries == c.entries
        assert a.records == b.records == c.records
    entries = {m.path: m for s in warm for m in s.entries}
    assert any(m.whiteout for m in entries.values())
    assert any(m.opaque for m in entries.values())
    assert {m.type for m in entries.values()} >= {EntryType.FILE, EntryType.DIR,
                                                  EntryType.SYMLINK, EntryType.HARDLINK}


def _cache_files(cache: Path) -> list[Path]:
    return sorted((cache / "layers").glob("*.json"))


def test_a_cache_file_in_the_older_layout_is_rebuilt_not_misread(tmp_path: Path) -> None:
    reference, cache = _layout(tmp_path), tmp_path / "cache"
    cold = _walk(reference, cache)
    for path in _cache_files(cache):
        # The layout before CACHE_FORMAT 3: no "format", one list per entry.
        payload = json.loads(path.read_text())
        entries = _entries_from_json(payload["entries"])
        old = {
            "layer": payload["layer"],
            "entries": [[m.path, m.type.value, m.mode, m.size, m.uid, m.gid, m.link_target,
                         m.whiteout, m.opaque] for m in entries],
            "records": payload["records"],
        }  # fmt: skip
        path.write_text(json.dumps(old))
    rebuilt = _walk(reference, cache)
    assert [s.from_cache for s in rebuilt] == [False, False]
    assert [s.entries for s in rebuilt] == [s.entries for s in cold]
    assert all(json.loads(p.read_text())["format"] == CACHE_FORMAT for p in _cache_files(cache))
    assert all(s.from_cache for s in _walk(reference, cache))


@pytest.mark.parametrize("damage", ["short-column", "bad-index", "bad-type", "other-format"])
def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, damage: str) -> None:
    reference, cache = _layout(tmp_path), tmp_path / "cache"
    cold = _walk(reference, cache)
    for path in _cache_files(cache):
        payload = json.loads(path.read_text())
        columns = payload["entries"]
        if damage == "short-column":
            columns["sizes"] = columns["sizes"][:-1]
        elif damage == "bad-index":
            columns["whiteouts"] = [columns["count"] + 5]
        elif damage == "bad-type":
            columns["types"] = ["fifo-ish"] * columns["count"]
        else:
            payload["format"] = CACHE_FORMAT + 1
        path.write_text(json.dumps(payload))
    again = _walk(reference, cache)
    assert [s.from_cache for s in again] == [False, False]
    assert [s.entries for s in again] == [s.entries for s in cold]


def test_entry_columns_round_trip() -> None:
    entries = (
        EntryMeta("/a", EntryType.DIR, 0o755, 0),
        EntryMeta("/a/b c", EntryType.FILE, 0o600, 12, 1000, 1000),
        EntryMeta("/a/l", EntryType.SYMLINK, 0o777, 0, link_target="b c"),
        EntryMeta("/a/gone", EntryType.FILE, 0, 0, whiteout=True),
        EntryMeta("/a", EntryType.DIR, 0, 0, opaque=True),
    )
    assert _entries_from_json(json.loads(json.dumps(_entries_to_json(entries)))) == entries
    assert _entries_from_json(_entries_to_json(())) == ()
    # An empty path is still one entry: the NUL-joined column must not lose it.
    assert _entries_from_json(_entries_to_json((EntryMeta("", EntryType.DIR, 0, 0),))) == (
        EntryMeta("", EntryType.DIR, 0, 0),
    )
    with pytest.raises(ValueError):
        _entries_to_json((EntryMeta("/a\x00b", EntryType.FILE, 0, 0),))


def test_the_warm_report_equals_the_cold_report(tmp_path: Path) -> None:
    reference, cache = _layout(tmp_path), tmp_path / "cache"
    reports = []
    for name in ("cold", "warm"):
        out = tmp_path / f"{name}.json"
        proc = run_gate("check", "--image", reference, "--checks", "secrets", "--quiet",
                        "--cache-dir", cache, "--json", out)  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        report = json.loads(out.read_text())
        for timing in ("generated_at", "duration_seconds"):
            report.pop(timing)
        reports.append(report)
    cold, warm = reports
    assert cold == warm
    assert _TOKEN[:4] in json.dumps(cold) and _TOKEN not in json.dumps(cold)
