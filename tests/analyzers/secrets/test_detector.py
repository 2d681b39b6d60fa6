"""The detector: locations, dedupe, binary files, archives, huge files, real keys."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gate.analyzers.secrets.detector import (
    NOTE_ARCHIVE,
    NOTE_BINARY,
    NOTE_TRUNCATED,
    is_binary,
    scan_bytes,
    scan_text,
)
from gate.redact import fingerprint

from .samples import ALNUM, rand


def _github_token(seed: int = 0) -> str:
    return "ghp_" + rand(36, ALNUM, 100 + seed)


def test_line_and_column_are_one_based_and_count_characters() -> None:
    token = _github_token()
    text = "first line\r\n# \u00e9t\u00e9 d\u00e9ploy\u00e9\r\nexport GH=" + token + "\r\n"
    [match] = scan_text(text)
    assert (match.line, match.end_line) == (3, 3)
    assert match.column == len("export GH=") + 1
    text = "\u00e9\u00e9 " + token
    assert scan_text(text)[0].column == 4


def test_one_finding_per_rule_secret_and_line() -> None:
    token = _github_token()
    other = _github_token(1)
    text = f"a={token} b={token}\nc={token}\nd={other}\n"
    found = [(m.rule_id, m.line, m.secret) for m in scan_text(text)]
    assert found == [
        ("secret/github-pat", 1, token),
        ("secret/github-pat", 2, token),
        ("secret/github-pat", 3, other),
    ]


def test_no_keyword_means_no_regex_work() -> None:
    outcome = scan_bytes(b"just some prose without any trigger words at all\n" * 1000)
    assert outcome.matches == () and not outcome.notes


def test_binary_file_is_scanned_as_printable_runs() -> None:
    token = _github_token(2)
    blob = b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 40
    data = blob + b"\x00\x01" + token.encode() + b"\x00\xff" + blob
    outcome = scan_bytes(data, path="/usr/local/bin/tool")
    assert is_binary(data)
    assert [m.secret for m in outcome.matches] == [token]
    assert outcome.notes[NOTE_BINARY] == 1
    # A value broken by a non-printable byte is two runs, not a token.
    broken = blob + token[:20].encode() + b"\x00" + token[20:].encode() + blob
    assert scan_bytes(broken).matches == ()


def test_secret_in_a_real_executable(tmp_path: Path) -> None:
    ls = Path(shutil.which("ls") or "/bin/ls").read_bytes()
    token = _github_token(3)
    middle = len(ls) // 2
    data = ls[:middle] + b"\x00" + token.encode() + b"\x00" + ls[middle:]
    outcome = scan_bytes(data, path="/bin/ls")
    assert [m.secret for m in outcome.matches] == [token]
    assert scan_bytes(ls, path="/bin/ls").matches == ()


def test_compressed_archives_are_noted_not_expanded() -> None:
    token = _github_token(4)
    packed = gzip.compress(f"GH={token}\n".encode())
    outcome = scan_bytes(packed, path="/app/config.gz")
    assert outcome.matches == ()
    assert outcome.notes[NOTE_ARCHIVE] == 1 and outcome.notes[NOTE_BINARY] == 1
    # A stored (uncompressed) member of a zip still shows in the printable runs.
    stored = b"PK\x03\x04" + b"\x00" * 26 + b"app.env" + f"GH={token}\n".encode()
    outcome = scan_bytes(stored, path="/app/lib.jar")
    assert [m.secret for m in outcome.matches] == [token]
    assert outcome.notes[NOTE_ARCHIVE] == 1


def test_large_file_head_is_scanned_and_noted() -> None:
    early, late = _github_token(5), _github_token(6)
    data = f"GH={early}\n".encode() + b"x" * 5000 + f"\nGH={late}\n".encode()
    outcome = scan_bytes(data, max_file_size=1024)
    assert [m.secret for m in outcome.matches] == [early]
    assert outcome.notes[NOTE_TRUNCATED] == 1
    assert outcome.bytes_scanned == 1024
    # The layer walk may hand over only the head: the real size says so.
    head = scan_bytes(data[:1024], size=len(data))
    assert head.notes[NOTE_TRUNCATED] == 1
    assert not scan_bytes(data).notes


def test_match_never_shows_the_secret() -> None:
    token = _github_token(7)
    [match] = scan_text("GH=" + token)
    assert token not in repr(match) and token not in str(match)
    assert match.masked == token[:4] + "****"
    assert match.fingerprint == fingerprint(token)
    record = match.record("/app/x")
    assert token not in repr(record)
    assert set(record) == {
        "kind", "path", "rule", "line", "column", "end_line", "masked", "fingerprint"
    }  # fmt: skip


def _run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize(
    "args",
    [
        ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ["genpkey", "-algorithm", "ED25519"],
        ["genpkey", "-algorithm", "ED25519", "-aes-128-cbc", "-pass", "pass:unit-test"],
    ],
    ids=["rsa", "ec", "ed25519", "encrypted-pkcs8"],
)
def test_real_openssl_private_keys(tmp_path: Path, args: list[str]) -> None:
    _run(["openssl", *args, "-out", "key.pem"], tmp_path)
    pem = (tmp_path / "key.pem").read_text()
    found = scan_text(pem, path="/app/key.pem")
    assert [m.rule_id for m in found] == ["secret/private-key"], pem.splitlines()[0]
    # Its public half is not a secret.
    _run(["openssl", "pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem", "-passin",
          "pass:unit-test"], tmp_path)  # fmt: skip
    assert scan_text((tmp_path / "pub.pem").read_text()) == []


def test_real_openssh_key_and_certificate(tmp_path: Path) -> None:
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "id_ed25519"], tmp_path)
    found = scan_text((tmp_path / "id_ed25519").read_text())
    assert [m.rule_id for m in found] == ["secret/private-key"]
    assert scan_text((tmp_path / "id_ed25519.pub").read_text()) == []
    _run(
        ["openssl", "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", "k.pem",
         "-out", "cert.pem", "-subj", "/CN=unit-test", "-days", "1"],
        tmp_path,
    )  # fmt: skip
    assert scan_text((tmp_path / "cert.pem").read_text()) == []
    assert [m.rule_id for m in scan_text((tmp_path / "k.pem").read_text())] == [
        "secret/private-key"
    ]


def test_every_rule_compiles_with_a_secret_group() -> None:
    # Rule patterns are compiled on first use, not at import: this is where a broken rule
    # (bad regex, no ``secret`` group) fails instead.
    from gate.analyzers.secrets import detector

    for compiled in detector._COMPILED:
        assert "secret" in compiled.regex.groupindex, compiled.rule.id
        assert compiled.requires is None or compiled.requires.pattern
        assert len(compiled.allow_regexes) == len(compiled.rule.allow_regexes)


def test_a_rule_without_a_secret_group_fails_when_compiled() -> None:
    from gate.analyzers.secrets import detector

    broken = replace(detector.RULES[0], regex=r"AKIA[0-9A-Z]{16}")
    with pytest.raises(ValueError, match="no named group 'secret'"):
        _ = detector._compile(0, broken).regex


def test_scanning_a_few_strings_compiles_only_the_rules_they_trigger() -> None:
    # A fresh interpreter: this process has compiled every rule already.
    code = (
        "from gate.analyzers.secrets import detector\n"
        "detector.scan_text('FROM debian:12\\nRUN apt-get update')\n"
        "print(sum('regex' in vars(c) for c in detector._COMPILED), len(detector._COMPILED))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    compiled, total = map(int, out.stdout.split())
    assert compiled < total // 4
