"""The layer-walk file analyzer and the secrets check over layers, config, history, context."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import pytest

from gate.analyzers.interface import LayerScan, ScanTarget
from gate.analyzers.secrets import SecretFileAnalyzer, SecretsAnalyzer
from gate.analyzers.secrets.analyzer import build_args
from gate.analyzers.secrets.detector import NOTE_BINARY
from gate.analyzers.secrets.rules import RULESET_VERSION
from gate.errors import GateError, InputError
from gate.models import Check, Finding, LayerRef, LocationKind, Severity
from gate.redact import fingerprint, key_id
from gate.sources.context import load_context
from gate.sources.image.model import (
    EntryMeta,
    EntryType,
    HistoryEntry,
    Image,
    ImageConfig,
    Platform,
)

from .samples import ALNUM, B64, rand

GH = "ghp_" + rand(36, ALNUM, 300)
AWS_ID = "AKIA" + rand(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 301)
AWS_SECRET = rand(40, B64, 302)
NPM = "npm_" + rand(36, ALNUM, 303)
ENV_TOKEN = rand(24, ALNUM, 304)
BUILD_PASS = rand(14, ALNUM, 305)
ALL_SECRETS = (GH, AWS_ID, AWS_SECRET, NPM, ENV_TOKEN, BUILD_PASS)


class _NoBlobs:
    """The analyzer never opens blobs: the layer walk already did."""

    def open_blob(self, digest: str) -> IO[bytes]:
        raise AssertionError(f"unexpected blob read {digest}")

    def describe(self) -> str:
        return "no blobs"


def _ref(index: int, created_by: str) -> LayerRef:
    return LayerRef(index, f"sha256:{index:064x}", f"sha256:{index + 100:064x}", created_by)


def _file(path: str, data: bytes) -> tuple[EntryMeta, bytes]:
    return EntryMeta(path=path, type=EntryType.FILE, mode=0o644, size=len(data)), data


def _layer(
    analyzer: SecretFileAnalyzer,
    ref: LayerRef,
    files: list[tuple[EntryMeta, bytes]],
    extra: list[EntryMeta] = (),  # type: ignore[assignment]
) -> LayerScan:
    records = []
    for meta, data in files:
        if analyzer.wants(meta):
            records.extend(analyzer.scan_file(meta, data))
    entries = tuple(meta for meta, _ in files) + tuple(extra)
    # Records are cached as JSON by the layer walk: round-trip them the same way.
    cached = json.loads(json.dumps(records))
    return LayerScan(layer=ref, entries=entries, records={analyzer.name: tuple(cached)})


def _image(layers: list[LayerRef], config: ImageConfig) -> Image:
    return Image(
        reference="oci:unit-test",
        manifest_digest="sha256:" + "a" * 64,
        config_digest="sha256:" + "b" * 64,
        platform=Platform("linux", "amd64"),
        config=config,
        layers=(),
        store=_NoBlobs(),
    )


def _assert_redacted(findings: tuple[Finding, ...]) -> None:
    for finding in findings:
        shown = repr(finding) + finding.message + str(finding.evidence)
        for secret in ALL_SECRETS:
            assert secret not in shown, (finding.rule_id, finding.location)


def test_file_analyzer_contract() -> None:
    analyzer = SecretFileAnalyzer(max_file_size=4096)
    assert analyzer.name == "secrets"
    assert analyzer.version == f"{RULESET_VERSION}+{key_id()}"
    assert "4096" in analyzer.options_key()
    file_meta, _ = _file("/app/a", b"x")
    assert analyzer.wants(file_meta)
    assert not analyzer.wants(file_meta._replace(size=0))
    assert not analyzer.wants(file_meta._replace(type=EntryType.SYMLINK))
    assert not analyzer.wants(file_meta._replace(type=EntryType.DIR))
    with pytest.raises(ValueError):
        SecretFileAnalyzer(max_file_size=0)


def test_file_analyzer_records_are_redacted_and_notes_counted() -> None:
    analyzer = SecretFileAnalyzer()
    meta, data = _file("/app/.env", f"GITHUB_TOKEN={GH}\n".encode())
    records = analyzer.scan_file(meta, data)
    assert GH not in json.dumps(records)
    [record] = records
    assert record["rule"] == "secret/github-pat" and record["line"] == 1
    assert record["fingerprint"] == fingerprint(GH) and record["masked"] == "ghp_****"
    binary_meta, binary = _file("/bin/x", b"\x7fELF\x00\x00" + GH.encode() + b"\x00")
    records += analyzer.scan_file(binary_meta, binary)
    notes = analyzer.notes(records)
    assert [(n.kind, n.count) for n in notes] == [(NOTE_BINARY, 1)]


def _three_layer_target(tmp_path: Path, **options: object) -> ScanTarget:
    analyzer = SecretFileAnalyzer()
    refs = [
        _ref(0, "debootstrap bookworm"),
        _ref(1, f"COPY . /app # buildkit GITHUB_TOKEN={GH}"),
        _ref(2, "RUN rm /app/.env && sed -i s/x/y/ /app/config.ini"),
    ]
    env = f"AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n".encode()
    layers = [
        _layer(analyzer, refs[0], [_file("/etc/os-release", b"ID=debian\n")]),
        _layer(
            analyzer,
            refs[1],
            [
                _file("/app/.env", env),
                _file("/app/config.ini", f"[gh]\ntoken = {GH}\n".encode()),
                _file("/app/lib/tool", b"\x7fELF\x00\x01" + NPM.encode() + b"\x00"),
            ],
        ),
        _layer(
            analyzer,
            refs[2],
            [_file("/app/config.ini", b"[gh]\n")],
            [EntryMeta(path="/app/.env", type=EntryType.FILE, mode=0, size=0, whiteout=True)],
        ),
    ]
    config = ImageConfig(
        env=("PATH=/usr/local/bin:/usr/bin", f"API_TOKEN={ENV_TOKEN}", "DB_PASSWORD=${DB_PASS}"),
        labels={"maintainer": "team@example.org", "ci.token": GH},
        cmd=("/app/run", "--npm-token", NPM),
        history=(
            HistoryEntry(created_by="debootstrap bookworm"),
            HistoryEntry(
                created_by=f"|2 DB_PASSWORD={BUILD_PASS} HOME=/root /bin/sh -c make install",
                empty_layer=False,
            ),
            HistoryEntry(created_by="ARG VERSION=1.2.3", empty_layer=True),
        ),
    )
    context_root = tmp_path / "repo" / "svc"
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    context_root.mkdir()
    (context_root / "Dockerfile").write_text("FROM debian\nCOPY . /app\n")
    (context_root / "deploy.sh").write_text(f"#!/bin/sh\n\nexport NPM_TOKEN={NPM}\n")
    (context_root / ".dockerignore").write_text("ignored.txt\n")
    (context_root / "ignored.txt").write_text(f"GH={GH}\n")
    return ScanTarget(
        image=_image(refs, config),
        layers=tuple(layers),
        context=load_context(context_root),
        options=options,
    )


def test_layers_config_history_and_context(tmp_path: Path) -> None:
    result = SecretsAnalyzer().run(_three_layer_target(tmp_path))
    assert result.check is Check.SECRETS
    _assert_redacted(result.findings)
    by_kind: dict[LocationKind, list[Finding]] = {}
    for finding in result.findings:
        by_kind.setdefault(finding.location.kind, []).append(finding)

    files = {(f.location.path, f.rule_id): f for f in by_kind[LocationKind.IMAGE_FILE]}
    aws = files[("/app/.env", "secret/aws-access-key-id")]
    assert aws.location.layer is not None and aws.location.layer.index == 1
    assert aws.location.removed_in is not None and aws.location.removed_in.index == 2
    assert aws.severity is Severity.CRITICAL and aws.evidence == "AKIA****"
    assert aws.fingerprint == fingerprint(AWS_ID)
    assert aws.properties["still_in_final_image"] is False
    assert aws.properties["removed_in_layer"] == 2
    assert "deleted in layer 3: still extractable" in aws.message
    assert "added in layer 2/3" in aws.message
    assert ("/app/.env", "secret/aws-secret-access-key") in files
    ini = files[("/app/config.ini", "secret/github-pat")]
    assert "overwritten in layer 3" in ini.message
    tool = files[("/app/lib/tool", "secret/npm-access-token")]
    assert tool.location.removed_in is None and tool.properties["still_in_final_image"] is True
    # The layer's created_by is shown with the token inside it masked.
    assert "GITHUB_TOKEN=ghp_****" in str(ini.properties["created_by"])

    config = {(f.location.path, f.rule_id) for f in by_kind[LocationKind.IMAGE_CONFIG]}
    assert config == {
        ("Env", "secret/generic-secret-config"),
        ("Labels.ci.token", "secret/github-pat"),
        ("Cmd", "secret/npm-access-token"),
    }
    env_finding = next(f for f in by_kind[LocationKind.IMAGE_CONFIG] if f.location.path == "Env")
    assert env_finding.fingerprint == fingerprint(ENV_TOKEN)

    [history] = by_kind[LocationKind.IMAGE_HISTORY]
    assert history.location.path == "history[1]"
    assert history.fingerprint == fingerprint(BUILD_PASS)

    context = {(f.location.path, f.location.start_line) for f in by_kind[LocationKind.CONTEXT]}
    assert context == {("svc/deploy.sh", 3)}
    # The same secret anywhere has the same fingerprint (one exception can name it).
    npm_prints = {f.fingerprint for f in result.findings if f.evidence == "npm_****"}
    assert npm_prints == {fingerprint(NPM)}

    assert result.stats["layer_files_scanned"] == 5
    assert result.stats["context_files_scanned"] == 3
    assert result.stats["files_scanned"] == 8
    assert result.stats["bytes_scanned"] > 0
    assert result.stats["history_entries_scanned"] == 3
    notes = {n.kind: n.count for n in result.notes}
    assert notes["binary-printable-runs"] == 1
    assert notes["dockerignore-excluded"] == 1
    assert {r.id for r in result.rules} >= {"secret/github-pat", "secret/generic-secret"}


def test_options_turn_off_context_and_history(tmp_path: Path) -> None:
    target = _three_layer_target(tmp_path, scan_context=False, scan_history=False)
    result = SecretsAnalyzer().run(target)
    kinds = {f.location.kind for f in result.findings}
    assert LocationKind.CONTEXT not in kinds and LocationKind.IMAGE_HISTORY not in kinds
    assert {"context-not-scanned", "history-not-scanned"} <= {n.kind for n in result.notes}
    with pytest.raises(InputError, match="max_file_size"):
        SecretsAnalyzer().run(dataclasses.replace(target, options={"max_file_size": "big"}))


def test_layer_without_secret_records_cannot_pass_silently() -> None:
    scan = LayerScan(layer=_ref(0, "x"), entries=(), records={})
    with pytest.raises(GateError, match="secrets analyzer"):
        SecretsAnalyzer().run(ScanTarget(layers=(scan,)))


def test_build_args_parsing() -> None:
    assert build_args("|2 A=1 B=two /bin/sh -c make") == [("A", "1"), ("B", "two")]
    assert build_args("/bin/sh -c make") == []


def test_context_only_target(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(f'AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n')
    (tmp_path / "big.log").write_text(("x" * 100 + "\n") * 50 + f"token: {GH}\n")
    result = SecretsAnalyzer().run(
        ScanTarget(context=load_context(tmp_path, repo_root=tmp_path), options={})
    )
    found = {(f.location.path, f.rule_id, f.location.start_line) for f in result.findings}
    assert found == {
        ("settings.py", "secret/aws-secret-access-key", 1),
        ("big.log", "secret/github-pat", 51),
    }
    small = SecretsAnalyzer().run(
        ScanTarget(
            context=load_context(tmp_path, repo_root=tmp_path), options={"max_file_size": 64}
        )
    )
    assert {n.kind for n in small.notes} >= {"large-file-truncated"}
    assert not [f for f in small.findings if f.location.path == "big.log"]


def _properties_clean(properties: Mapping[str, object]) -> bool:
    return all(s not in repr(properties) for s in ALL_SECRETS)


def test_no_secret_in_properties(tmp_path: Path) -> None:
    result = SecretsAnalyzer().run(_three_layer_target(tmp_path))
    assert all(_properties_clean(f.properties) for f in result.findings)


def test_a_build_argument_repeated_in_history_is_one_finding(tmp_path: Path) -> None:
    target = _three_layer_target(tmp_path)
    assert target.image is not None
    repeated = tuple(
        HistoryEntry(created_by=f"|1 DB_PASSWORD={BUILD_PASS} /bin/sh -c step {n}")
        for n in range(3)
    )
    config = dataclasses.replace(
        target.image.config, history=(HistoryEntry(created_by="debootstrap"), *repeated)
    )
    image = dataclasses.replace(target.image, config=config)
    result = SecretsAnalyzer().run(dataclasses.replace(target, image=image))
    history = [f for f in result.findings if f.location.kind is LocationKind.IMAGE_HISTORY]
    assert len(history) == 1
    assert history[0].location.path == "history[1]"
    assert history[0].properties["history_entries"] == ("history[1]", "history[2]", "history[3]")
    assert "repeated in 2 later entries" in history[0].message
    assert BUILD_PASS not in history[0].message
