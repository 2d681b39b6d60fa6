"""gate.sources.json_file: every JSON input's failures are one line of the caller's error class
naming the input, in the same words for every input."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import AdvisoryDatabaseError, InputError, SignatureError
from gate.sources.json_file import json_object, parse_json, read_json


def test_documents_and_their_encodings(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": [1, "\xc3\xa9"]}')  # a UTF-8 byte order mark
    assert read_json(path, f"VEX document {path}") == {"a": [1, "\u00e9"]}
    path.write_bytes('{"a": 2}'.encode("utf-16"))  # what Windows PowerShell redirects write
    assert read_json(path, "x") == {"a": 2}
    assert read_json(tmp_path / "none.json", "docker config", missing_ok=True) is None


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "not valid JSON (line 1, column 2: Expecting property name enclosed in "
                   "double quotes)"),
    (b'{"a": 1}\n{"b": 2}\n', "not valid JSON (line 2, column 1: Extra data)"),
    (b'["\xff"]', "not valid JSON (not utf-8 text at byte 2)"),
    (b"", "not valid JSON (line 1, column 1: Expecting value)"),
])
def test_broken_json_names_the_input(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_json(path, f"Trivy report {path}")
    assert info.value.message == f"Trivy report {path}: {message}"


def test_unreadable_files_and_error_classes(tmp_path: Path) -> None:
    with pytest.raises(SignatureError) as info:
        read_json(tmp_path / "nope.json", "trusted root nope.json", SignatureError)
    assert info.value.message == "trusted root nope.json: no such file"
    with pytest.raises(InputError) as caught:
        read_json(tmp_path, "baseline dir", missing_ok=True)  # exists, but not a file
    assert caught.value.message == "baseline dir: cannot read: Is a directory"
    with pytest.raises(AdvisoryDatabaseError, match=r"^advisory file a\.json: not valid JSON"):
        parse_json(b"[", "advisory file a.json", AdvisoryDatabaseError)
    with pytest.raises(InputError, match=r"^SBOM s\.json: not a JSON object$"):
        json_object([], "SBOM s.json")
    assert json_object({"k": 1}, "x") == {"k": 1}
