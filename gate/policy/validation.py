"""Policy validation: every problem of a policy document as one line naming its key path.

Two layers: the JSON Schema shipped in the package (``schema.json``, Draft 2020-12) catches
unknown keys, wrong types and missing fields; :func:`semantic_problems` catches what a schema
expresses badly (an exception that names nothing, a signer that is neither key nor identity, an
empty ``all_of``). Both report ALL problems, never just the first: a user fixing a policy in CI
should need one round trip.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from gate.policy.matching import parse_version_range
from gate.policy.model import SIGNER_CLAIMS

if TYPE_CHECKING:
    import jsonschema

PathItem = str | int
KeyPath = tuple[PathItem, ...]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a table",
    "array": "an array",
}


@functools.cache
def policy_schema() -> Mapping[str, Any]:
    """The JSON Schema of one policy file, as shipped in the package."""
    text = (resources.files("gate") / "policy" / "schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    # Imported here: a run on the shipped policies never validates (see loader._read), and
    # jsonschema with its referencing and format modules is a sixth of a warm scan's start-up.
    # The shipped schema itself is checked against the 2020-12 metaschema by the test suite
    # (tests/policy/test_loader.py), not on every run: that validates our file, not the user's.
    import jsonschema

    return jsonschema.Draft202012Validator(policy_schema())


def format_path(path: Sequence[PathItem]) -> str:
    """TOML-style key path: ``config.rules."secret/x".severity``, ``ignore[2].reason``."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
            continue
        key = item if _BARE_KEY.match(item) else json.dumps(item)
        out += f".{key}" if out else key
    return out or "(top level)"


def json_document(doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[KeyPath, str]]:
    """The TOML document with JSON types only, and where TOML dates/times were.

    TOML has date and time values JSON Schema cannot type. A local date becomes its ISO string
    (``ignore[].expires`` is the one field that takes a date); every temporal value's path is
    returned so a date anywhere else is reported rather than silently read as a string.
    """
    temporal: dict[KeyPath, str] = {}

    def convert(value: Any, path: KeyPath) -> Any:
        if isinstance(value, Mapping):
            return {k: convert(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, dt.datetime):
            temporal[path] = "date-time"
            return value.isoformat()
        if isinstance(value, dt.date):
            temporal[path] = "date"
            return value.isoformat()
        if isinstance(value, dt.time):
            temporal[path] = "time"
            return value.isoformat()
        return value

    return convert(doc, ()), temporal


def _is_expires(path: KeyPath) -> bool:
    return len(path) == 3 and path[0] == "ignore" and path[2] == "expires"


def schema_problems(
    doc: Mapping[str, Any], temporal: Mapping[KeyPath, str]
) -> list[tuple[KeyPath, str]]:
    """Problems the JSON Schema finds, plus TOML dates/times outside ``ignore[].expires``."""
    problems: list[tuple[KeyPath, str]] = []
    for error in _validator().iter_errors(doc):
        problems.extend(_describe(error))
    flagged = {path for path, _ in problems}
    for path, kind in temporal.items():
        if path in flagged:
            continue
        if _is_expires(path):
            if kind != "date":
                problems.append((path, "must be a date (YYYY-MM-DD)"))
        else:
            problems.append((path, f"a TOML {kind} is not allowed here"))
    return problems


def _describe(error: jsonschema.ValidationError) -> Iterator[tuple[KeyPath, str]]:
    path: KeyPath = tuple(error.absolute_path)
    kind = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if _is_expires(path):
        yield path, "must be a date (YYYY-MM-DD)"
    elif "propertyNames" in error.schema_path:
        yield path, 'an empty key ("") is not allowed here'
    elif kind == "additionalProperties" and isinstance(instance, Mapping):
        known = sorted(schema.get("properties", {}) if isinstance(schema, Mapping) else ())
        for key in instance:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            yield (*path, key), f"unknown key{hint}"
    elif kind == "required" and isinstance(instance, Mapping):
        for key in value:
            if key not in instance:
                yield (*path, key), "required"
    elif kind == "type":
        types = [value] if isinstance(value, str) else list(value)
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        yield path, f"must be {wanted} (got {_toml_type(instance)})"
    elif kind == "enum":
        choices = ", ".join(json.dumps(v) for v in value)
        yield path, f"must be one of {choices} (got {json.dumps(instance)})"
    elif kind == "const":
        yield path, f"must be {json.dumps(value)} (got {json.dumps(instance)})"
    elif kind == "minimum":
        yield path, f"must be >= {value} (got {instance})"
    elif kind == "maximum":
        yield path, f"must be <= {value} (got {instance})"
    elif kind == "minLength" or (kind == "pattern" and path and path[-1] == "reason"):
        yield path, "must not be empty"
    else:  # a schema keyword this module does not phrase yet: jsonschema's own words
        yield path, error.message


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "table"
    return type(value).__name__


def semantic_problems(doc: Mapping[str, Any]) -> list[tuple[KeyPath, str]]:
    """Per-file rules beyond the schema. Tolerates wrong types (the schema reports those)."""
    problems: list[tuple[KeyPath, str]] = []
    ignore = doc.get("ignore")
    if isinstance(ignore, list):
        for index, entry in enumerate(ignore):
            if not isinstance(entry, Mapping):
                continue
            here: KeyPath = ("ignore", index)
            if (
                entry.get("rule") is None
                and entry.get("fingerprint") is None
                and entry.get("package") is None
            ):
                problems.append(
                    (
                        here,
                        "needs rule, fingerprint or package "
                        "(an exception must name what it excepts)",
                    )
                )
            versions = entry.get("versions")
            if isinstance(versions, str):
                if entry.get("package") is None:
                    problems.append(((*here, "versions"), "needs package (whose versions?)"))
                try:
                    parse_version_range(versions)
                except ValueError as exc:
                    problems.append(((*here, "versions"), str(exc)))
            expires = entry.get("expires")
            if isinstance(expires, str) and not _valid_date(expires):
                problems.append(((*here, "expires"), "must be a date (YYYY-MM-DD)"))
    signature = doc.get("signature")
    if isinstance(signature, Mapping):
        signers = signature.get("signers")
        if isinstance(signers, list):
            problems.extend(_signer_problems(signers, ("signature", "signers")))
        all_of = signature.get("all_of")
        if isinstance(all_of, Mapping) and isinstance(all_of.get("signers"), list):
            listed = all_of["signers"]
            if not listed:
                problems.append(
                    (
                        ("signature", "all_of", "signers"),
                        "must not be empty (an empty all_of would accept any image)",
                    )
                )
            problems.extend(_signer_problems(listed, ("signature", "all_of", "signers")))
    return problems


def _valid_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _signer_problems(signers: Sequence[Any], base: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    for index, signer in enumerate(signers):
        if not isinstance(signer, Mapping):
            continue
        here: KeyPath = (*base, index)
        has_key = "key" in signer
        has_identity = "identity" in signer or "identity_regexp" in signer
        has_issuer = "issuer" in signer or "issuer_regexp" in signer
        if not has_key and not has_identity:
            yield here, "needs key, or identity/identity_regexp with issuer"
        if has_key and has_identity:
            yield here, "key and identity are exclusive (one signer is a key OR a keyless identity)"
        if "identity" in signer and "identity_regexp" in signer:
            yield here, "identity and identity_regexp are exclusive"
        if "issuer" in signer and "issuer_regexp" in signer:
            yield here, "issuer and issuer_regexp are exclusive"
        if has_key and has_issuer:
            yield (
                (*here, "issuer" if "issuer" in signer else "issuer_regexp"),
                ("only for keyless signers (identity)"),
            )
        if has_identity and not has_key and not has_issuer:
            yield (*here, "issuer"), "required for a keyless signer (or issuer_regexp)"
        if has_key:
            for claim in SIGNER_CLAIMS:
                if claim in signer:
                    yield (*here, claim), "only for keyless signers (identity)"
        for name in ("identity_regexp", "issuer_regexp"):
            pattern = signer.get(name)
            if isinstance(pattern, str):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    yield (*here, name), f"invalid regular expression: {exc}"


def merged_problems(doc: Mapping[str, Any]) -> list[tuple[KeyPath, str]]:
    """Rules that hold only for the whole ``extends`` chain merged."""
    problems: list[tuple[KeyPath, str]] = []
    signature = doc.get("signature", {})
    checks = doc.get("checks", {})
    if signature.get("required"):
        if not signature.get("signers") and "all_of" not in signature:
            problems.append(
                (
                    ("signature", "required"),
                    "true needs signature.signers or signature.all_of (who must have signed?)",
                )
            )
        if checks.get("signature") is False:
            problems.append(
                (("checks", "signature"), "false contradicts signature.required = true")
            )
    if signature.get("attestations") and not signature.get("signers") and "all_of" not in signature:
        problems.append(
            (
                ("signature", "attestations"),
                "need signature.signers or signature.all_of (who must have signed them?)",
            )
        )
    return problems


def document_order(doc: Any) -> dict[KeyPath, int]:
    """Position of every key path in the document, so problems read top to bottom."""
    order: dict[KeyPath, int] = {}

    def walk(value: Any, path: KeyPath) -> None:
        order.setdefault(path, len(order))
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))

    walk(doc, ())
    return order


def problem_lines(
    problems: Sequence[tuple[KeyPath, str]], order: Mapping[KeyPath, int]
) -> list[str]:
    """``key.path: message`` lines in document order, duplicates removed."""

    def position(path: KeyPath) -> int:
        # A missing key sorts with its parent table (the deepest prefix present).
        for end in range(len(path), -1, -1):
            if path[:end] in order:
                return order[path[:end]]
        return len(order)

    ranked = sorted(problems, key=lambda p: (position(p[0]), len(p[0])))
    lines = [f"{format_path(path)}: {message}" for path, message in ranked]
    return list(dict.fromkeys(lines))
