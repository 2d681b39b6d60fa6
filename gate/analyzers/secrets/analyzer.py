"""The secrets check: layer records, image config, history and build context -> findings.

Every layer is reported on its own: a secret written in layer 3 and deleted in layer 5 is still
in the image (anyone can extract layer 3), so it is a finding located in layer 3 whose
``removed_in`` names layer 5. The image config (Env, Labels, Cmd, Entrypoint), the history
``created_by`` lines (where ``--build-arg`` values and ``ENV`` values leak) and the build context
are scanned in-process with the same detector.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gate.analyzers.filesystem import FilesystemView, PathAction
from gate.analyzers.interface import BuildContext, LayerScan, ScanTarget
from gate.analyzers.secrets import filters
from gate.analyzers.secrets.detector import (
    DEFAULT_MAX_FILE_SIZE,
    Match,
    scan_bytes,
    scan_text,
)
from gate.analyzers.secrets.file_analyzer import SecretFileAnalyzer, note_detail
from gate.analyzers.secrets.rules import RULES_BY_ID, all_rules
from gate.errors import GateError, InputError
from gate.models import (
    Check,
    CheckResult,
    Finding,
    Fingerprint,
    LayerRef,
    Location,
    LocationKind,
    RuleID,
    ScanNote,
)
from gate.redact import fingerprint, mask, mask_in
from gate.sources.image.model import EntryType, ImageConfig

GENERIC_RULE_ID = "secret/generic-secret"
_SECRET_NAME = re.compile(
    r"(?i)(?:password|passwd|pwd|secret|token|api_?key|access_?key|private_?key|credentials?|"
    r"auth)(?:$|_)|^(?:.*_)?(?:pass|pw|key)$"
)
_NOT_SECRET_NAME = re.compile(
    r"(?i)(?:_|^)(?:file|path|dir|url|uri|endpoint|name|id|type|length|size|ttl|timeout|"
    r"expiry|mode|prompt|header|format)$|public|^gpg_key$|^no_|_fingerprint$|keyring"
)
# ``|2 NAME=value NAME2=value2 /bin/sh -c ...``: how BuildKit and the classic builder record
# the build arguments a RUN saw (the count, then NAME=value pairs).
_BUILD_ARGS = re.compile(r"^\|(\d+) ")
_NOTE_CONTEXT_OFF = "context-not-scanned"
_NOTE_HISTORY_OFF = "history-not-scanned"
_NOTE_DOCKERIGNORE = "dockerignore-excluded"


@dataclass(frozen=True)
class _Hit:
    """A secret to report, already redacted."""

    rule_id: str
    masked: str
    fingerprint: Fingerprint
    line: int | None = None
    end_line: int | None = None
    column: int | None = None


def _hit(m: Match) -> _Hit:
    return _Hit(m.rule_id, m.masked, m.fingerprint, m.line, m.end_line, m.column)


_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)=(\"[^\"]*\"|'[^']*'|[^\s\"']+)")


def redact_text(text: str) -> str:
    """``text`` with every secret in it masked: detector matches and the values of
    secret-named ``NAME=value`` assignments (build arguments, ``ENV``). Use it on any free text
    from the image before it is shown (history ``created_by`` lines carry build arguments)."""
    secrets = {m.secret for m in scan_text(text)}
    pairs = [(name, value.strip("\"'")) for name, value in _ASSIGNMENT.findall(text)]
    secrets.update(value for _name, value in named_secret_pairs(pairs))
    for secret in sorted(secrets, key=len, reverse=True):
        text = mask_in(text, secret)
    return text


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def secret_name(name: str) -> bool:
    """Whether a variable name says it holds a credential (``API_TOKEN``, ``DB_PASSWORD``; not
    ``TOKEN_FILE``, ``GPG_KEY``, ``PUBLIC_KEY``)."""
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_NAME.search(name)


def named_secret_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, value) pairs whose NAME says secret and whose value is a literal credential
    (not empty, not a placeholder, not a ``$VAR`` reference, not a path or word)."""
    found = []
    for name, value in pairs:
        if not secret_name(name):
            continue
        if filters.is_placeholder(value) or not filters.env_value_ok(value):
            continue
        found.append((name, value))
    return found


def build_args(created_by: str) -> list[tuple[str, str]]:
    """The ``NAME=value`` build arguments recorded at the start of a history line."""
    m = _BUILD_ARGS.match(created_by)
    if not m:
        return []
    count = int(m.group(1))
    rest = created_by[m.end() :]
    pairs: list[tuple[str, str]] = []
    for _ in range(count):
        token, _sep, rest = rest.partition(" ")
        name, eq, value = token.partition("=")
        if eq:
            pairs.append((name, value))
    return pairs


class SecretsAnalyzer:
    """The secrets check (``Check.SECRETS``)."""

    check = Check.SECRETS

    def file_analyzer(self, options: Mapping[str, Any] | None = None) -> SecretFileAnalyzer:
        """The layer-walk part of this check, configured from the same options."""
        return SecretFileAnalyzer(max_file_size=_max_file_size(options or {}))

    def run(self, target: ScanTarget) -> CheckResult:
        options = target.options
        max_file_size = _max_file_size(options)
        findings: list[Finding] = []
        notes: Counter[str] = Counter()
        stats: Counter[str] = Counter()

        if target.layers:
            findings += self._layer_findings(target.layers, notes, stats, max_file_size)
        if target.image is not None:
            config = target.image.config
            findings += self._config_findings(config)
            if options.get("scan_history", True):
                findings += self._history_findings(config, target.layers, stats)
            else:
                notes[_NOTE_HISTORY_OFF] += 1
        if target.context is not None:
            if options.get("scan_context", True):
                findings += self._context_findings(target.context, notes, stats, max_file_size)
            else:
                notes[_NOTE_CONTEXT_OFF] += 1

        findings = _dedupe(findings)
        findings.sort(key=_sort_key)
        stats["files_scanned"] = stats["layer_files_scanned"] + stats["context_files_scanned"]
        stats["bytes_scanned"] = stats["layer_bytes_scanned"] + stats["context_bytes_scanned"]
        return CheckResult(
            check=Check.SECRETS,
            findings=tuple(findings),
            rules=all_rules(),
            notes=tuple(_notes(notes, target.context)),
            stats=dict(stats),
        )

    # -- image layers ------------------------------------------------------------------

    def _layer_findings(
        self,
        layers: Sequence[LayerScan],
        notes: Counter[str],
        stats: Counter[str],
        max_file_size: int,
    ) -> list[Finding]:
        # Only the paths holding a secret need their history (deleted later? overwritten?).
        matched = {
            str(record["path"])
            for scan in layers
            for record in scan.records.get(SecretFileAnalyzer.name, ())
            if record.get("kind") == "match"
        }
        view = FilesystemView.from_layers(layers, paths=matched)
        created_by = {s.layer.index: redact_text(s.layer.created_by or "") for s in layers}
        # Findings carry the LayerRefs; their created_by may hold the very secret found.
        safe_refs = {
            s.layer.index: replace(s.layer, created_by=created_by[s.layer.index] or None)
            for s in layers
        }
        total = len(view.layers)
        findings: list[Finding] = []
        for scan in sorted(layers, key=lambda s: s.layer.index):
            records = scan.records.get(SecretFileAnalyzer.name)
            if records is None:
                raise GateError(
                    f"layer {scan.layer.digest} was walked without the secrets analyzer; "
                    "its files were not scanned"
                )
            # Local sums, not Counter updates per file: a warm re-scan spends its time here.
            files = scanned = 0
            for entry in scan.entries:
                if entry.type is EntryType.FILE and entry.size > 0 and not entry.whiteout:
                    files += 1
                    scanned += entry.size if entry.size < max_file_size else max_file_size
            stats["layer_files_scanned"] += files
            stats["layer_bytes_scanned"] += scanned
            for record in records:
                kind = record.get("kind")
                if kind == "note":
                    notes[str(record["note"])] += 1
                elif kind == "match":
                    findings.append(
                        self._layer_finding(record, safe_refs, scan.layer.index, view, total)
                    )
        return findings

    def _layer_finding(
        self,
        record: Mapping[str, Any],
        refs: Mapping[int, LayerRef],
        layer_index: int,
        view: FilesystemView,
        total: int,
    ) -> Finding:
        path = str(record["path"])
        rule = RULES_BY_ID[str(record["rule"])]
        layer = refs[layer_index]
        removed_ref = view.removed_in(path, layer.index)
        removed = refs.get(removed_ref.index, removed_ref) if removed_ref else None
        origin = f"added in layer {layer.index + 1}/{total}"
        if layer.created_by:
            origin += f' by "{_short(layer.created_by)}"'
        if removed is not None:
            action = _removal_action(view, path, removed.index)
            origin += f", {action} in layer {removed.index + 1}: still extractable"
        masked = str(record["masked"])
        line = int(record["line"])
        return Finding(
            check=Check.SECRETS,
            rule_id=RuleID(rule.id),
            severity=rule.severity,
            message=f"{rule.title} {masked} in {path}:{line} ({origin})",
            location=Location(
                kind=LocationKind.IMAGE_FILE,
                path=path,
                start_line=line,
                end_line=int(record.get("end_line") or line),
                layer=layer,
                removed_in=removed,
            ),
            fingerprint=Fingerprint(str(record["fingerprint"])),
            evidence=masked,
            properties={
                "layer_digest": layer.digest,
                "layer_index": layer.index,
                "created_by": layer.created_by,
                "still_in_final_image": removed is None,
                "removed_in_layer": removed.index if removed is not None else None,
                "removed_in_digest": removed.digest if removed is not None else None,
                "column": int(record.get("column") or 1),
            },
        )

    # -- image config and history ------------------------------------------------------

    def _config_findings(self, config: ImageConfig) -> list[Finding]:
        findings: list[Finding] = []
        env_pairs = [entry.partition("=") for entry in config.env]
        for index, (name, _eq, value) in enumerate(env_pairs):
            hits = self._value_hits(f"{name}={value}", [(name, value)])
            findings += self._config_finding(hits, "Env", f"Env[{index}] {name}", name)
        for key, value in sorted(config.labels.items()):
            hits = self._value_hits(f"{key}={value}", [(key, value)])
            findings += self._config_finding(hits, f"Labels.{key}", f"label {key}", key)
        for field_name, parts in (("Entrypoint", config.entrypoint), ("Cmd", config.cmd)):
            if parts:
                hits = self._value_hits(" ".join(parts), [])
                findings += self._config_finding(hits, field_name, field_name, None)
        return findings

    @staticmethod
    def _value_hits(text: str, pairs: list[tuple[str, str]]) -> list[_Hit]:
        """Detector matches in ``text`` plus literal values of secret-named variables."""
        matches = scan_text(text)
        hits = [_hit(m) for m in matches]
        found = {m.secret for m in matches}
        for _name, value in named_secret_pairs(pairs):
            if not any(value in s or s in value for s in found):
                hits.append(_Hit(GENERIC_RULE_ID, mask(value), fingerprint(value)))
        return hits

    def _config_finding(
        self, hits: list[_Hit], path: str, where: str, name: str | None
    ) -> list[Finding]:
        findings = []
        for hit in hits:
            rule = RULES_BY_ID[hit.rule_id]
            findings.append(
                Finding(
                    check=Check.SECRETS,
                    rule_id=RuleID(rule.id),
                    severity=rule.severity,
                    message=(
                        f"{rule.title} {hit.masked} in the image config {where} "
                        "(visible to anyone who can pull the image: docker inspect)"
                    ),
                    location=Location(kind=LocationKind.IMAGE_CONFIG, path=path),
                    fingerprint=hit.fingerprint,
                    evidence=hit.masked,
                    properties={"source": "image-config", "variable": name},
                )
            )
        return findings

    def _history_findings(
        self, config: ImageConfig, layers: Sequence[LayerScan], stats: Counter[str]
    ) -> list[Finding]:
        # A build argument is recorded in every RUN line after its ARG: one finding per
        # secret (at its first entry), listing every entry that repeats it.
        first: dict[tuple[str, Fingerprint], tuple[int, str, _Hit]] = {}
        entries: dict[tuple[str, Fingerprint], list[str]] = {}
        for index, entry in enumerate(config.history):
            stats["history_entries_scanned"] += 1
            text = entry.created_by
            if not text:
                continue
            for hit in self._value_hits(text, build_args(text)):
                key = (hit.rule_id, hit.fingerprint)
                first.setdefault(key, (index, text, hit))
                entries.setdefault(key, []).append(f"history[{index}]")
        findings: list[Finding] = []
        for key, (index, text, hit) in first.items():
            rule = RULES_BY_ID[hit.rule_id]
            also = entries[key][1:]
            repeated = f"; repeated in {len(also)} later entries" if also else ""
            findings.append(
                Finding(
                    check=Check.SECRETS,
                    rule_id=RuleID(rule.id),
                    severity=rule.severity,
                    message=(
                        f"{rule.title} {hit.masked} in image history entry {index} "
                        f'("{_short(redact_text(text))}"){repeated}: build arguments and ENV '
                        "values are stored in the image"
                    ),
                    location=Location(kind=LocationKind.IMAGE_HISTORY, path=f"history[{index}]"),
                    fingerprint=hit.fingerprint,
                    evidence=hit.masked,
                    properties={
                        "source": "image-history",
                        "empty_layer": config.history[index].empty_layer,
                        "history_entries": tuple(entries[key]),
                    },
                )
            )
        return findings

    # -- build context -----------------------------------------------------------------

    def _context_findings(
        self,
        context: BuildContext,
        notes: Counter[str],
        stats: Counter[str],
        max_file_size: int,
    ) -> list[Finding]:
        findings: list[Finding] = []
        for file in context.files:
            if file.size <= 0:
                continue
            data = _read_context_file(context.root, file.path, max_file_size)
            outcome = scan_bytes(data, path=file.path, size=file.size, max_file_size=max_file_size)
            stats["context_files_scanned"] += 1
            stats["context_bytes_scanned"] += outcome.bytes_scanned
            notes.update(outcome.notes)
            shown = context.repo_prefix + file.path
            for m in outcome.matches:
                rule = m.rule
                findings.append(
                    Finding(
                        check=Check.SECRETS,
                        rule_id=RuleID(rule.id),
                        severity=rule.severity,
                        message=(
                            f"{rule.title} {m.masked} in {shown}:{m.line} (build context: "
                            "COPY/ADD of this directory bakes it into the image)"
                        ),
                        location=Location(
                            kind=LocationKind.CONTEXT,
                            path=shown,
                            start_line=m.line,
                            end_line=m.end_line,
                        ),
                        fingerprint=m.fingerprint,
                        evidence=m.masked,
                        properties={"source": "build-context", "column": m.column},
                    )
                )
        stats["context_files_ignored"] += context.ignored
        return findings


def _max_file_size(options: Mapping[str, Any]) -> int:
    value = options.get("max_file_size", DEFAULT_MAX_FILE_SIZE)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InputError(f"secrets.max_file_size must be a positive integer, got {value!r}")
    return value


def _removal_action(view: FilesystemView, path: str, layer_index: int) -> str:
    for event in view.history(path):
        if event.layer_index == layer_index:
            return "deleted" if event.action is PathAction.DELETED else "overwritten"
    return "deleted"


def _read_context_file(root: Path, rel: str, limit: int) -> bytes:
    """Read at most ``limit`` bytes without following a symlink swapped in after listing."""
    full = root / rel
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise InputError(f"cannot read build context file {full}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for f in findings:
        loc = f.location
        key = (
            f.rule_id, f.fingerprint, loc.kind, loc.path, loc.start_line,
            loc.layer.index if loc.layer else None,
        )  # fmt: skip
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _sort_key(f: Finding) -> tuple[Any, ...]:
    loc = f.location
    return (
        loc.kind.value,
        loc.layer.index if loc.layer else -1,
        loc.path,
        loc.start_line or 0,
        f.rule_id,
    )


def _notes(notes: Counter[str], context: BuildContext | None) -> list[ScanNote]:
    result = [
        ScanNote(kind=kind, count=count, detail=note_detail(kind))
        for kind, count in sorted(notes.items())
        if kind not in (_NOTE_CONTEXT_OFF, _NOTE_HISTORY_OFF)
    ]
    if notes[_NOTE_CONTEXT_OFF]:
        result.append(
            ScanNote(_NOTE_CONTEXT_OFF, 1, "secrets.scan_context = false: build context skipped")
        )
    if notes[_NOTE_HISTORY_OFF]:
        result.append(
            ScanNote(_NOTE_HISTORY_OFF, 1, "secrets.scan_history = false: image history skipped")
        )
    if context is not None and context.ignored:
        where = str(context.dockerignore) if context.dockerignore else ".dockerignore"
        result.append(
            ScanNote(
                _NOTE_DOCKERIGNORE,
                context.ignored,
                f"context files excluded by {where} (not sent to the builder, not scanned)",
            )
        )
    return result
