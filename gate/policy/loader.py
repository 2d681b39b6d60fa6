"""Load a policy file: read TOML, validate each file, follow ``extends``, merge, build the model.

Merge rules (base first, then the extending file): tables merge key by key, recursively; any
other value, arrays included, is replaced by the extending file's; ``ignore`` is the exception:
exceptions of every file in the chain apply, so the arrays concatenate (base entries first).
Each file is validated on its own, so a problem names the file it is in; rules about the whole
chain (``signature.required`` needs signers) are checked after merging.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gate.errors import PolicyError
from gate.models import Check, Severity
from gate.policy.model import (
    SIGNER_CLAIMS,
    AttestationSpec,
    ConfigPolicy,
    GateOn,
    IgnoreRule,
    Mode,
    Policy,
    RuleOverride,
    SecretsPolicy,
    SignaturePolicy,
    SignerSpec,
    Thresholds,
    VulnerabilityPolicy,
)
from gate.policy.validation import (
    document_order,
    format_path,
    json_document,
    merged_problems,
    problem_lines,
    schema_problems,
    semantic_problems,
)

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_PRESET = "default"
_PRESET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TOML_POSITION = re.compile(
    r"^(?P<msg>.*?)\s*\(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)
# Private keys the loader adds to a validated document before merging; never in a user file
# (the schema refuses unknown keys), so they cannot be forged.
_SOURCE = "__source__"
_BASE_DIR = "__base_dir__"


def presets_dir() -> Traversable:
    """The shipped policies (``gate/policy/presets`` -> top-level ``policies/``)."""
    return resources.files("gate") / "policy" / "presets"


def preset_names() -> tuple[str, ...]:
    return tuple(
        sorted(p.name[: -len(".toml")] for p in presets_dir().iterdir() if p.name.endswith(".toml"))
    )


@dataclass(frozen=True)
class _Source:
    display: str
    """How messages name it: the path as given, or ``preset:NAME``."""
    identity: str
    """Cycle detection key: resolved path or preset name."""
    location: Path | Traversable
    preset: bool


def load_policy(path: Path | None) -> Policy:
    """Load, validate and merge a policy; None loads the shipped default policy.

    Raises :class:`~gate.errors.PolicyError` listing every problem of the first invalid file.
    """
    source = _preset_source(DEFAULT_PRESET, None) if path is None else _path_source(path)
    chain = _load_chain(source, ())
    merged: dict[str, Any] = {}
    for _, doc in chain:
        merged = _merge(merged, doc)
    merged.pop("extends", None)
    top = chain[-1][0]
    problems = merged_problems(merged)
    if problems:
        raise PolicyError(top.display, problem_lines(problems, document_order(merged)))
    return _build(merged, top.display, tuple(s.display for s, _ in chain))


def _path_source(path: Path) -> _Source:
    return _Source(display=str(path), identity=str(path.resolve()), location=path, preset=False)


def _preset_source(name: str, referrer: _Source | None) -> _Source:
    location = presets_dir() / f"{name}.toml"
    if not location.is_file():
        available = ", ".join(preset_names()) or "none"
        where = referrer.display if referrer else f"preset:{name}"
        raise PolicyError(where, [f'extends: unknown preset "{name}" (available: {available})'])
    return _Source(
        display=f"preset:{name}", identity=f"preset:{name}", location=location, preset=True
    )


def _resolve_extends(ref: str, referrer: _Source) -> _Source:
    if _PRESET_NAME.match(ref) and not ref.endswith(".toml"):
        return _preset_source(ref, referrer)
    if referrer.preset:
        # A shipped policy extends another shipped policy by relative path.
        return _Source(
            display=f"preset:{ref}",
            identity=f"preset:{ref}",
            location=presets_dir() / ref,
            preset=True,
        )
    assert isinstance(referrer.location, Path)
    target = Path(ref) if Path(ref).is_absolute() else referrer.location.parent / ref
    return _path_source(target)


def _load_chain(source: _Source, seen: tuple[_Source, ...]) -> list[tuple[_Source, dict[str, Any]]]:
    """The ``extends`` chain ending in ``source``, base first, each file validated."""
    if any(s.identity == source.identity for s in seen):
        cycle = " -> ".join(s.display for s in (*seen, source))
        raise PolicyError(seen[0].display, [f"extends: cycle {cycle}"])
    doc = _read(source)
    ref = doc.get("extends")
    chain: list[tuple[_Source, dict[str, Any]]] = []
    if isinstance(ref, str):
        chain = _load_chain(_resolve_extends(ref, source), (*seen, source))
    return [*chain, (source, _annotate(doc, source))]


def _read(source: _Source) -> dict[str, Any]:
    try:
        raw = source.location.read_bytes()
    except OSError as exc:
        raise PolicyError(source.display, [f"cannot read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(source.display, [f"not UTF-8 text (byte {exc.start})"]) from None
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source.display, [_toml_error(exc)]) from None
    doc, temporal = json_document(parsed)
    # The shipped presets are part of gate, like its rules: the test suite validates every one
    # against the schema (tests/policy/test_loader.py), so a run on them skips the JSON Schema
    # pass and never imports jsonschema. A user's file is always validated.
    schema = [] if source.preset else schema_problems(doc, temporal)
    problems = schema + semantic_problems(doc)
    if problems:
        raise PolicyError(source.display, problem_lines(problems, document_order(doc)))
    return doc


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    message = getattr(exc, "msg", None)
    match = _TOML_POSITION.match(text)
    if match and (line is None or message is None):
        message = match.group("msg")
        line = int(match.group("line")) if match.group("line") else None
        col = int(match.group("col")) if match.group("col") else None
    message = message or text
    message = message[:1].lower() + message[1:]
    where = f"line {line}, column {col}" if line is not None else "end of document"
    return f"TOML syntax error at {where}: {message}"


def _annotate(doc: dict[str, Any], source: _Source) -> dict[str, Any]:
    """Record, before merging, which file declared each exception and signer."""
    base_dir = None if source.preset else cast(Path, source.location).parent
    for entry in doc.get("ignore", []):
        entry[_SOURCE] = source.display
    signature = doc.get("signature", {})
    signer_lists = [signature.get("signers", []), signature.get("all_of", {}).get("signers", [])]
    for signers in signer_lists:
        for signer in signers:
            signer[_BASE_DIR] = base_dir
    return doc


def _merge(
    base: Mapping[str, Any], override: Mapping[str, Any], top: bool = True
) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if top and key == "ignore":
            merged[key] = [*base.get(key, []), *value]
        elif isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _merge(base[key], value, top=False)
        else:
            merged[key] = value
    return merged


# -- building the model ----------------------------------------------------------------------


def _build(doc: Mapping[str, Any], display: str, sources: tuple[str, ...]) -> Policy:
    checks_doc = doc.get("checks", {})
    signature = _signature(doc.get("signature", {}))
    checks = {
        Check.SECRETS: checks_doc.get("secrets", True),
        Check.CONFIG: checks_doc.get("config", True),
        Check.VULNERABILITIES: checks_doc.get("vulnerabilities", True),
        # A required signature is checked unless the policy says otherwise (which it may not:
        # merged_problems refuses `checks.signature = false` with `signature.required = true`).
        Check.SIGNATURE: checks_doc.get("signature", signature.required),
    }
    return Policy(
        version=int(doc.get("version", 1)),
        mode=cast(Mode, doc.get("mode", "enforce")),
        gate_on=cast(GateOn, doc.get("gate_on", "all")),
        checks=checks,
        secrets=_secrets(doc.get("secrets", {})),
        vulnerabilities=_vulnerabilities(doc.get("vulnerabilities", {})),
        config=_config(doc.get("config", {})),
        signature=signature,
        ignore=tuple(_ignore(i, entry) for i, entry in enumerate(doc.get("ignore", []))),
        source=display,
        sources=sources,
    )


def _thresholds(table: Mapping[str, Any] | None, default: Thresholds) -> Thresholds:
    if table is None:
        return default
    return Thresholds(**{s.value: table.get(s.value) for s in Severity})


def _secrets(table: Mapping[str, Any]) -> SecretsPolicy:
    d = SecretsPolicy()
    return SecretsPolicy(
        thresholds=_thresholds(table.get("thresholds"), d.thresholds),
        scan_context=table.get("scan_context", d.scan_context),
        scan_history=table.get("scan_history", d.scan_history),
        max_file_size=table.get("max_file_size", d.max_file_size),
    )


def _vulnerabilities(table: Mapping[str, Any]) -> VulnerabilityPolicy:
    d = VulnerabilityPolicy()
    return VulnerabilityPolicy(
        thresholds=_thresholds(table.get("thresholds"), d.thresholds),
        min_cvss=float(table.get("min_cvss", d.min_cvss)),
        only_fixed=table.get("only_fixed", d.only_fixed),
        max_db_age_days=table.get("max_db_age_days", d.max_db_age_days),
    )


def _config(table: Mapping[str, Any]) -> ConfigPolicy:
    d = ConfigPolicy()
    rules = {
        rule_id: RuleOverride(
            rule_id=rule_id,
            enabled=spec.get("enabled", True),
            severity=Severity(spec["severity"]) if "severity" in spec else None,
            paths=tuple(spec.get("paths", ())),
            stages=tuple(spec.get("stages", ())),
        )
        for rule_id, spec in table.get("rules", {}).items()
    }
    return ConfigPolicy(
        thresholds=_thresholds(table.get("thresholds"), d.thresholds),
        pin_base_digest=table.get("pin_base_digest", d.pin_base_digest),
        allowed_registries=tuple(table.get("allowed_registries", d.allowed_registries)),
        max_image_age_days=table.get("max_image_age_days", d.max_image_age_days),
        required_labels=tuple(table.get("required_labels", d.required_labels)),
        rules=rules,
        compliance=tuple(table.get("compliance", d.compliance)),
    )


def _signer(spec: Mapping[str, Any]) -> SignerSpec:
    key = spec.get("key")
    key_path: Path | None = None
    base_dir = spec.get(_BASE_DIR)
    if isinstance(key, str) and "://" not in key:
        key_path = Path(key) if Path(key).is_absolute() or base_dir is None else base_dir / key
    return SignerSpec(
        key=key,
        key_path=key_path,
        identity=spec.get("identity"),
        identity_regexp=spec.get("identity_regexp"),
        issuer=spec.get("issuer"),
        issuer_regexp=spec.get("issuer_regexp"),
        claims={name: spec[name] for name in SIGNER_CLAIMS if name in spec},
    )


def _signature(table: Mapping[str, Any]) -> SignaturePolicy:
    all_of = table.get("all_of")
    return SignaturePolicy(
        required=table.get("required", False),
        require_tlog=table.get("require_tlog", False),
        signers=tuple(_signer(s) for s in table.get("signers", [])),
        all_of=tuple(_signer(s) for s in all_of["signers"]) if all_of is not None else None,
        attestations=tuple(
            AttestationSpec(
                predicate_type=a["predicate_type"],
                conditions=dict(a.get("conditions", {})),
            )
            for a in table.get("attestations", [])
        ),
        docker_reference=table.get("docker_reference"),
    )


def _ignore(index: int, entry: Mapping[str, Any]) -> IgnoreRule:
    return IgnoreRule(
        index=index,
        reason=entry["reason"],
        expires=dt.date.fromisoformat(entry["expires"]),
        rule=entry.get("rule"),
        fingerprint=entry.get("fingerprint"),
        path=entry.get("path"),
        package=entry.get("package"),
        versions=entry.get("versions"),
        source=entry.get(_SOURCE, ""),
    )


__all__ = ["DEFAULT_PRESET", "format_path", "load_policy", "preset_names", "presets_dir"]
