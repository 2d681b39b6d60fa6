"""Run the secret rules over one file's bytes, fast.

The hot path per file is one multi-keyword pass (:mod:`keyword_index`: every rule keyword at
once, case-insensitively) and nothing else unless a keyword occurs. Only the rules whose
keywords occur run, and only on the lines that hold a keyword (``multiline`` rules: on the
whole content; ``word``/``line``-anchored rules: one anchored match per keyword).

Binary files (a NUL byte in the first 8 KiB, or a known binary magic number) are scanned as
their printable ASCII runs of at least 8 characters: a token baked into a compiled program or a
database file is still a leaked token. Nothing is skipped by directory name: in an image,
``tests/`` and ``vendor/`` ship like any other file.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from gate.analyzers.secrets import filters
from gate.analyzers.secrets.keyword_index import Hit, KeywordIndex, best_index
from gate.analyzers.secrets.rule_model import SecretRule
from gate.analyzers.secrets.rules import RULES
from gate.models import Fingerprint
from gate.redact import fingerprint, mask

DEFAULT_MAX_FILE_SIZE = 32 * 1024 * 1024
"""Bytes of one file that are scanned; the rest of a larger file is counted in a note."""

BINARY_SNIFF_BYTES = 8192
MIN_PRINTABLE_RUN = 8
_RUN_WINDOW = 16384
"""How far from a keyword a binary's printable run is followed (a PEM key fits easily)."""

_WHOLE_TEXT_LIMIT = 1024 * 1024
_MULTILINE_WINDOW = 64 * 1024
"""A multiline rule searches a whole text file up to ``_WHOLE_TEXT_LIMIT``; in a larger one (apt
lists, logs, data dumps) it searches this far around each of its keywords instead, so its cost
follows the keyword hits, not the file size. Secrets a multiline rule finds (PEM blocks, a key
named a few lines after its provider) fit in the window."""

NOTE_BINARY = "binary-printable-runs"
NOTE_ARCHIVE = "archive-not-expanded"
NOTE_TRUNCATED = "large-file-truncated"

# Magic numbers of formats that are binary even when the first 8 KiB hold no NUL byte.
_BINARY_MAGIC = (
    b"\x7fELF",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\x00asm",
    b"SQLite format 3\x00",
)
# Compressed containers: their content is not expanded (scanning them would mean unpacking
# untrusted archives inside untrusted layers); their printable runs are still scanned.
_ARCHIVE_MAGIC = (
    b"\x1f\x8b",  # gzip (RFC 1952 section 2.3.1)
    b"PK\x03\x04",  # zip, jar, war, wheel
    b"PK\x05\x06",
    b"\xfd7zXZ\x00",  # xz
    b"\x28\xb5\x2f\xfd",  # zstd (RFC 8878 section 3.1.1)
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
_ARCHIVE_SUFFIXES = (
    ".gz", ".tgz", ".zip", ".jar", ".war", ".ear", ".whl", ".egg", ".xz", ".txz", ".bz2",
    ".tbz2", ".zst", ".7z", ".rar", ".apk", ".nupkg",
)  # fmt: skip

_NONPRINTABLE = re.compile(rb"[^\x20-\x7e\t\r\n]")


@dataclass(frozen=True)
class _CompiledRule:
    index: int
    rule: SecretRule
    regex: re.Pattern[bytes]
    paths: re.Pattern[str] | None
    requires: re.Pattern[bytes] | None
    allow_regexes: tuple[re.Pattern[str], ...]


def _compile(index: int, rule: SecretRule) -> _CompiledRule:
    if not rule.keywords or any(k != k.lower() or not k.isascii() for k in rule.keywords):
        raise ValueError(f"rule {rule.id}: keywords must be non-empty lowercase ASCII")
    if rule.anchor not in ("none", "word", "line") or (rule.anchor != "none" and rule.multiline):
        raise ValueError(f"rule {rule.id}: anchor must be none, word or line (not multiline)")
    regex = re.compile(rule.regex.encode("ascii"))
    if "secret" not in regex.groupindex:
        raise ValueError(f"rule {rule.id}: regex has no named group 'secret'")
    return _CompiledRule(
        index=index,
        rule=rule,
        regex=regex,
        paths=re.compile(rule.paths) if rule.paths else None,
        requires=re.compile(rule.requires.encode("ascii")) if rule.requires else None,
        allow_regexes=tuple(re.compile(p) for p in rule.allow_regexes),
    )


_COMPILED: tuple[_CompiledRule, ...] = tuple(_compile(i, r) for i, r in enumerate(RULES))
_KEYWORDS: tuple[str, ...] = tuple(sorted({k for r in RULES for k in r.keywords}))
_RULES_BY_KEYWORD: tuple[tuple[int, ...], ...] = tuple(
    tuple(c.index for c in _COMPILED if k in c.rule.keywords) for k in _KEYWORDS
)
# A DFA: about twice the throughput of the default NFA for this keyword count, for a few MB
# of memory built once per process.
# Keywords that only trigger whole-content rules: in a text file their first hit is enough.
_WHOLE_CONTENT_ONLY: tuple[bool, ...] = tuple(
    all(_COMPILED[i].rule.multiline for i in rules) for rules in _RULES_BY_KEYWORD
)
KEYWORD_INDEX: KeywordIndex = best_index(_KEYWORDS)
"""The prefilter engine in use (Hyperscan or Aho-Corasick; identical hits)."""


@dataclass(frozen=True)
class Match:
    """One secret found in one file. ``secret`` lives only in memory: never store or print it."""

    rule_id: str
    line: int
    """1-based line of the first character of the secret."""
    column: int
    """1-based column (characters) of the first character of the secret."""
    end_line: int
    secret: str = field(repr=False)
    """The value (canonical form for multi-line keys). Use :attr:`masked`/:attr:`fingerprint`."""
    offset: int = field(default=0, repr=False, compare=False)
    """Byte offset of the secret in the scanned content."""

    @property
    def rule(self) -> SecretRule:
        return RULES[_RULE_INDEX[self.rule_id]]

    @property
    def masked(self) -> str:
        return mask(self.secret)

    @property
    def fingerprint(self) -> Fingerprint:
        return fingerprint(self.secret)

    def record(self, path: str) -> dict[str, object]:
        """The JSON-ready, redacted form cached per layer (never holds the value)."""
        return {
            "kind": "match",
            "path": path,
            "rule": self.rule_id,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "masked": self.masked,
            "fingerprint": self.fingerprint,
        }


_RULE_INDEX = {r.id: i for i, r in enumerate(RULES)}


@dataclass(frozen=True)
class ScanOutcome:
    """What scanning one file's content gave: matches plus the notes a reader must see."""

    matches: tuple[Match, ...]
    notes: Counter[str]
    """Note kind -> 1 for this file (``binary-printable-runs``, ``archive-not-expanded``,
    ``large-file-truncated``)."""
    bytes_scanned: int


def is_binary(data: bytes) -> bool:
    head = data[:BINARY_SNIFF_BYTES]
    return b"\x00" in head or head.startswith(_BINARY_MAGIC) or is_archive(head, None)


def is_archive(data: bytes, path: str | None) -> bool:
    if data.startswith(_ARCHIVE_MAGIC) or _BZIP2.match(data, 0, 10) is not None:
        return True
    return path is not None and path.lower().endswith(_ARCHIVE_SUFFIXES)


@dataclass
class _Candidate:
    rule: _CompiledRule
    start: int
    end: int
    secret: str


def _printable_run(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Bounds of the printable run holding ``data[start:end]`` (at most a window each side).
    Runs in binaries are short: look 256 bytes back first, the whole window only if needed."""
    run_start = -1
    for window in (256, _RUN_WINDOW):
        lo = max(0, start - window)
        m = _NONPRINTABLE.search(data[lo:start][::-1])
        if m is not None:
            run_start = start - m.start()
            break
        if lo == 0:
            run_start = 0
            break
    if run_start < 0:
        run_start = start - _RUN_WINDOW
    m = _NONPRINTABLE.search(data, end, end + _RUN_WINDOW)
    run_end = m.start() if m else min(len(data), end + _RUN_WINDOW)
    return run_start, run_end


_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_MAX_WORD = 256


def _word_start(data: bytes, start: int, lo: int) -> int:
    """Start of the identifier-like word holding position ``start`` (``db.admin_password``)."""
    floor = max(lo, start - _MAX_WORD)
    pos = start
    while pos > floor and data[pos - 1] in _WORD_BYTES:
        pos -= 1
    return pos


def _regions(
    data: bytes, hits: list[Hit], path: str | None, binary: bool
) -> dict[tuple[int, int], int]:
    """(rule index, region start) -> region end, for every rule a keyword triggered."""
    regions: dict[tuple[int, int], int] = {}
    path_ok: dict[int, bool] = {}
    run_cache: dict[int, tuple[int, int]] = {}
    seen: set[int] = set()
    windows: list[tuple[int, int, int]] = []
    for kw_index, start, end in hits:
        if not binary and _WHOLE_CONTENT_ONLY[kw_index]:
            # Common ("://" in every URL): skip repeats before any other work.
            if kw_index in seen:
                continue
            seen.add(kw_index)
        if binary:
            bounds = run_cache.get(start)
            if bounds is None:
                bounds = run_cache[start] = _printable_run(data, start, end)
            lo, hi = bounds
            if hi - lo < MIN_PRINTABLE_RUN:
                continue
        else:
            lo, hi = 0, len(data)
        line_start = line_end = -1
        for rule_index in _RULES_BY_KEYWORD[kw_index]:
            compiled = _COMPILED[rule_index]
            if compiled.paths is not None:
                ok = path_ok.get(rule_index)
                if ok is None:
                    ok = path_ok[rule_index] = bool(path and compiled.paths.search(path))
                if not ok:
                    continue
            if compiled.rule.multiline:
                if hi - lo > _WHOLE_TEXT_LIMIT:
                    windows.append(
                        (rule_index, max(lo, start - _MULTILINE_WINDOW),
                         min(hi, end + _MULTILINE_WINDOW))
                    )
                else:
                    regions.setdefault((rule_index, lo), hi)
                continue
            if line_start < 0:
                line_start = max(lo, data.rfind(b"\n", lo, start) + 1)
                nl = data.find(b"\n", end, hi)
                line_end = hi if nl < 0 else nl
            if compiled.rule.anchor == "word":
                regions.setdefault((rule_index, _word_start(data, start, line_start)), line_end)
            else:
                regions.setdefault((rule_index, line_start), line_end)
    _merge_windows(regions, windows)
    return regions


def _merge_windows(
    regions: dict[tuple[int, int], int], windows: list[tuple[int, int, int]]
) -> None:
    """Add overlapping keyword windows of one rule as one region, so nothing is searched twice."""
    windows.sort()
    current: tuple[int, int, int] | None = None
    for rule_index, lo, hi in windows:
        if current is not None and current[0] == rule_index and lo <= current[2]:
            current = (rule_index, current[1], max(current[2], hi))
            continue
        if current is not None:
            regions.setdefault((current[0], current[1]), current[2])
        current = (rule_index, lo, hi)
    if current is not None:
        regions.setdefault((current[0], current[1]), current[2])


def _accept(compiled: _CompiledRule, groups: dict[str, str]) -> bool:
    rule = compiled.rule
    value = groups["secret"]
    if value in rule.allow_values:
        return False
    if rule.placeholder_filter and filters.is_placeholder(value):
        return False
    if any(p.search(value) for p in compiled.allow_regexes):
        return False
    if rule.entropy and filters.shannon_entropy(value) < rule.entropy:
        return False
    return rule.validator is None or rule.validator(groups)


def _candidates(data: bytes, regions: dict[tuple[int, int], int]) -> Iterator[_Candidate]:
    requires_ok: dict[int, bool] = {}
    for (rule_index, lo), hi in sorted(regions.items()):
        compiled = _COMPILED[rule_index]
        if compiled.requires is not None:
            ok = requires_ok.get(rule_index)
            if ok is None:
                ok = requires_ok[rule_index] = compiled.requires.search(data) is not None
            if not ok:
                continue
        if compiled.rule.anchor == "none":
            found: Iterable[re.Match[bytes]] = compiled.regex.finditer(data, lo, hi)
        else:
            one = compiled.regex.match(data, lo, hi)
            found = (one,) if one is not None else ()
        for m in found:
            groups = {
                name: value.decode("utf-8", "surrogateescape")
                for name, value in m.groupdict().items()
                if value is not None
            }
            if not _accept(compiled, groups):
                continue
            value = groups["secret"]
            secret = compiled.rule.normalize(value) if compiled.rule.normalize else value
            yield _Candidate(compiled, m.start("secret"), m.end("secret"), secret)


def _resolve_overlaps(candidates: list[_Candidate]) -> list[_Candidate]:
    """Where two rules matched overlapping text the earlier (more specific) rule wins."""
    candidates.sort(key=lambda c: (c.rule.index, c.start))
    starts: list[int] = []
    kept: list[_Candidate] = []
    for cand in candidates:
        i = bisect.bisect_left(starts, cand.start)
        before = kept[i - 1] if i > 0 else None
        after = kept[i] if i < len(kept) else None
        if before is not None and before.end > cand.start and before.rule is not cand.rule:
            continue
        if after is not None and after.start < cand.end and after.rule is not cand.rule:
            continue
        starts.insert(i, cand.start)
        kept.insert(i, cand)
    return kept


def _to_matches(data: bytes, kept: list[_Candidate]) -> list[Match]:
    matches: list[Match] = []
    seen: set[tuple[str, str, int]] = set()
    line, pos = 1, 0
    for cand in kept:  # sorted by start
        line += data.count(b"\n", pos, cand.start)
        pos = cand.start
        key = (cand.rule.rule.id, cand.secret, line)
        if key in seen:
            continue
        seen.add(key)
        line_start = data.rfind(b"\n", 0, cand.start) + 1
        column = len(data[line_start : cand.start].decode("utf-8", "replace")) + 1
        end_line = line + data.count(b"\n", cand.start, cand.end)
        matches.append(
            Match(cand.rule.rule.id, line, column, end_line, cand.secret, offset=cand.start)
        )
    return matches


def scan_bytes(
    data: bytes,
    *,
    path: str | None = None,
    size: int | None = None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
) -> ScanOutcome:
    """Scan one file's content. ``size`` is the file's real size when ``data`` is only its
    head (the layer walk reads at most ``max_file_size`` bytes of a file)."""
    notes: Counter[str] = Counter()
    real_size = len(data) if size is None else size
    if len(data) > max_file_size:
        data = data[:max_file_size]
    if real_size > len(data):
        notes[NOTE_TRUNCATED] = 1
    binary = is_binary(data)
    if binary:
        notes[NOTE_BINARY] = 1
    if is_archive(data[:16], path):
        notes[NOTE_ARCHIVE] = 1
    regions = _regions(data, KEYWORD_INDEX.hits(data), path, binary)
    if not regions:
        return ScanOutcome((), notes, len(data))
    kept = _resolve_overlaps(list(_candidates(data, regions)))
    return ScanOutcome(tuple(_to_matches(data, kept)), notes, len(data))


def scan_text(text: str, *, path: str | None = None) -> list[Match]:
    """Secrets in a text (a config value, a history line, a decoded file)."""
    return list(scan_bytes(text.encode("utf-8", "surrogateescape"), path=path).matches)
