"""The SQLite index of OSV files: directories, zips, the cache by source identity, withdrawn
records, broken inputs."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from gate.errors import AdvisoryDatabaseError
from gate.matchers.advisory_index import AdvisoryIndex, open_sources, source_identity
from gate.matchers.database import DatabaseChoice, describe, open_database

from .helpers import GO, PYPA


def _copy(names: list[str], dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(PYPA / name, dest / Path(name).name)
    return dest


def test_a_directory_is_indexed_and_only_named_packages_are_read(shared_data: Path) -> None:
    index = open_sources([PYPA], None)
    assert index.info.records == 2661 - 10  # 2661 files; withdrawn records are not indexed
    assert index.info.withdrawn == 10
    assert index.info.ecosystems == ("PyPI",)
    assert index.info.newest_modified == "2024-10-10T17:22:00.587279Z"
    found = {a.id for a in index.lookup("PyPI", ["Jinja2"])}  # PEP 503 name identity
    assert found == {
        "PYSEC-2014-8",
        "PYSEC-2014-82",
        "PYSEC-2019-217",
        "PYSEC-2019-220",
        "PYSEC-2021-66",
    }
    assert index.lookup("PyPI", ["no-such-package"]) == []
    assert index.lookup("npm", ["jinja2"]) == []


def test_withdrawn_records_are_never_matched(shared_data: Path) -> None:
    index = open_sources([PYPA], None)
    redis = {a.id for a in index.lookup("PyPI", ["redis"])}
    assert "PYSEC-2023-73" not in redis  # withdrawn 2023-06-06


def test_zip_and_directory_give_the_same_index(tmp_path: Path, shared_data: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(GO.glob("GO-2022-*.json")):
            out.write(path, path.name)
    as_zip = open_sources([archive], tmp_path / "cache")
    copied = tmp_path / "go"
    copied.mkdir()
    for path in sorted(GO.glob("GO-2022-*.json")):
        shutil.copy(path, copied / path.name)
    as_dir = open_sources([copied], None)
    assert as_zip.info.records == as_dir.info.records > 100
    assert {a.id for a in as_zip.lookup("Go", ["stdlib"])} == {
        a.id for a in as_dir.lookup("Go", ["stdlib"])
    }
    assert as_zip.info.source == f"OSV zip {archive}"


def test_the_index_is_built_once_and_rebuilt_when_a_file_changes(
    tmp_path: Path, shared_data: Path
) -> None:
    src = _copy(["jinja2/PYSEC-2019-217.json", "jinja2/PYSEC-2021-66.json"], tmp_path / "db")
    cache = tmp_path / "cache"
    first = open_sources([src], cache)
    built = first.info.built_at
    files = list((cache / "osv-index").glob("*.sqlite"))
    assert len(files) == 1
    again = open_sources([src], cache)
    assert again.info.built_at == built and again.info.index_path == first.info.index_path
    identity = source_identity(src)
    extra = json.loads((PYPA / "jinja2" / "PYSEC-2014-8.json").read_text())
    (src / "PYSEC-2014-8.json").write_text(json.dumps(extra))
    assert source_identity(src) != identity
    rebuilt = open_sources([src], cache)
    assert rebuilt.info.records == 3
    assert len(list((cache / "osv-index").glob("*.sqlite"))) == 2


def test_a_damaged_cached_index_is_rebuilt(tmp_path: Path, shared_data: Path) -> None:
    src = _copy(["jinja2/PYSEC-2019-217.json"], tmp_path / "db")
    cache = tmp_path / "cache"
    index = open_sources([src], cache)
    path = Path(index.info.index_path)
    index.close()
    path.write_bytes(b"not sqlite at all" * 100)
    again = open_sources([src], cache)
    assert again.info.records == 1


def test_broken_json_names_the_file(tmp_path: Path, shared_data: Path) -> None:
    src = _copy(["jinja2/PYSEC-2019-217.json"], tmp_path / "db")
    (src / "broken.json").write_text('{"id": "X", ')
    with pytest.raises(AdvisoryDatabaseError, match=r"broken\.json: not valid JSON"):
        open_sources([src], None)


def test_a_source_with_no_osv_record_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "db"
    src.mkdir()
    (src / "nvd.json").write_text(json.dumps({"cve": {"id": "CVE-1"}}))
    with pytest.raises(AdvisoryDatabaseError, match=r"no OSV records, 1 JSON document.*nvd\.json"):
        open_sources([src], None)


def test_other_formats_beside_osv_are_skipped_and_counted(
    tmp_path: Path, shared_data: Path
) -> None:
    src = _copy(["jinja2/PYSEC-2019-217.json"], tmp_path / "db")
    # grype's MSRC and KEV test files sit beside OSV records in the shared advisories tree
    (src / "msrc.json").write_text(json.dumps([{"id": "CVE-2", "product": "x", "fixed_in": "1"}]))
    (src / "kev.json").write_text(json.dumps({"catalogVersion": "1", "vulnerabilities": []}))
    cache = tmp_path / "cache"
    index = open_sources([src], cache)
    assert (index.info.records, index.info.skipped) == (1, 2)
    assert index.info.skipped_example.endswith(("msrc.json", "kev.json"))
    index.close()
    again = open_sources([src], cache)  # from the cached index: the count survives
    assert again.info.skipped == 2
    assert "2 JSON document(s) in another advisory format skipped" in describe(again.info)
    again.close()


def test_an_osv_record_without_id_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "db"
    src.mkdir()
    (src / "bad.json").write_text(json.dumps({"modified": "2024-01-01T00:00:00Z", "affected": []}))
    with pytest.raises(AdvisoryDatabaseError, match=r"bad\.json: missing id"):
        open_sources([src], None)


def test_the_whole_shared_advisories_tree_loads(shared_data: Path) -> None:
    index = open_sources([shared_data / "advisories"], None)
    assert index.info.records > 6900
    assert index.info.skipped > 0
    index.close()


def test_a_corrupt_zip_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "all.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(AdvisoryDatabaseError, match="not a readable zip"):
        open_sources([bad], None)


def test_missing_source_and_missing_database(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDatabaseError, match="no such file"):
        open_sources([tmp_path / "nope"], None)
    with pytest.raises(AdvisoryDatabaseError) as caught:
        open_database(DatabaseChoice(db_dir=tmp_path / "empty"))
    text = str(caught.value)
    assert "no advisory database" in text
    assert "gate db update" in text and "--vuln-db" in text and "--osv-api" in text


def test_duplicate_records_keep_the_newest(tmp_path: Path, shared_data: Path) -> None:
    src = tmp_path / "db"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    doc = json.loads((PYPA / "jinja2" / "PYSEC-2019-217.json").read_text())
    old = dict(doc, modified="2000-01-01T00:00:00Z", summary="old")
    (src / "a" / "x.json").write_text(json.dumps(doc))
    (src / "b" / "x.json").write_text(json.dumps(old))
    index = open_sources([src], None)
    (advisory,) = index.lookup("PyPI", ["jinja2"])
    assert advisory.modified == doc["modified"]


def test_not_an_index(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(AdvisoryDatabaseError, match="not a gate advisory index"):
        AdvisoryIndex.open(path)
