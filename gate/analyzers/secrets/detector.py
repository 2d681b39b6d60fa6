"""Run the secret rules over one file's bytes, fast.

The hot path per file is one multi-literal pass (:mod:`keyword_index`) and nothing else unless
one occurs. Each rule is started by *triggers*:

* when its regex proves that every match holds one of a few literals at a known distance from
  its start (:mod:`regex_literals`: ``EAA`` opening a Facebook token, ``AKIA`` an AWS key ID),
  those literals, looked for exactly as the regex matches them (case-sensitively unless it
  ignores case), and the regex is tried only at the starts they imply: what a search of the
  line would find, without searching the line;
* otherwise its keywords (ASCII case-insensitively), and the regex runs on each line holding
  one (``multiline`` rules: on the whole content; ``word``/``line``-anchored rules: one
  anchored match per keyword, after the rule's ``keyword_context`` check when it has one).

Binary files (a NUL byte in the first 8 KiB, or a known binary magic number) are scanned as
their printable ASCII runs of at least 8 characters: a token baked into a compiled program or a
database file is still a leaked token. Nothing is skipped by directory name: in an image,
``tests/`` and ``vendor/`` ship like any other file.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from gate.analyzers.secrets import filters
from gate.analyzers.secrets.keyword_index import Hit, Keyword, KeywordIndex, best_index
from gate.analyzers.secrets.regex_literals import anchors
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
    """One rule with the patterns it needs to run.

    Only ``paths`` and ``context`` (consulted before any regex runs) are compiled up front. The
    other patterns are compiled on first use: a run that scans a few strings (a warm re-scan:
    the image config, history and context only) triggers a handful of rules, and compiling all
    of them was the largest part of its start-up. ``functools.cached_property`` stores the
    compiled pattern in the instance dict, so later reads are plain attribute reads.
    """

    index: int
    rule: SecretRule
    paths: re.Pattern[str] | None
    context: re.Pattern[bytes] | None

    @functools.cached_property
    def regex(self) -> re.Pattern[bytes]:
        regex = re.compile(self.rule.regex.encode("ascii"))
        if "secret" not in regex.groupindex:
            # Every rule is compiled by the test suite, so a rule without the group fails there.
            raise ValueError(f"rule {self.rule.id}: regex has no named group 'secret'")
        return regex

    @functools.cached_property
    def requires(self) -> re.Pattern[bytes] | None:
        return re.compile(self.rule.requires.encode("ascii")) if self.rule.requires else None

    @functools.cached_property
    def allow_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.rule.allow_regexes)


def _compile(index: int, rule: SecretRule) -> _CompiledRule:
    if not rule.keywords or any(
        k != k.lower() or not k.isascii() or "\n" in k for k in rule.keywords
    ):
        raise ValueError(f"rule {rule.id}: keywords must be non-empty one-line lowercase ASCII")
    if rule.anchor not in ("none", "word", "line") or (rule.anchor != "none" and rule.multiline):
        raise ValueError(f"rule {rule.id}: anchor must be none, word or line (not multiline)")
    return _CompiledRule(
        index=index,
        rule=rule,
        paths=re.compile(rule.paths) if rule.paths else None,
        context=re.compile(rule.keyword_context.encode("ascii")) if rule.keyword_context else None,
    )


_COMPILED: tuple[_CompiledRule, ...] = tuple(_compile(i, r) for i, r in enumerate(RULES))


@dataclass(frozen=True)
class _Use:
    """What a hit of one trigger means for one rule."""

    rule: int
    offsets: tuple[int, ...] | None
    """Anchored rule: how far before the trigger a match can start. None: the trigger is one
    of the rule's keywords and the rule's region logic applies (line, word, whole content)."""
    keyword_at: int
    """Where a keyword of the rule starts inside the trigger: regions (the line, the printable
    run of a binary) are found from the keyword, so they are the ones the keyword gives."""
    keyword_len: int
    context: re.Pattern[bytes] | None


def _plan() -> tuple[tuple[Keyword, ...], tuple[tuple[_Use, ...], ...]]:
    """The triggers to look for and, for each, the rules it starts."""
    uses: dict[Keyword, list[_Use]] = {}
    for compiled in _COMPILED:
        rule = compiled.rule
        # Multiline rules search the whole content from their first keyword (a cheap, literal-
        # led search there); word/line-anchored ones match at the word or line of each hit.
        found = (
            anchors(rule.regex.encode("ascii"), rule.keywords)
            if rule.anchor == "none" and not rule.multiline
            else None
        )
        if found is None:
            for keyword in rule.keywords:
                use = _Use(compiled.index, None, 0, len(keyword), compiled.context)
                uses.setdefault(Keyword(keyword), []).append(use)
            continue
        for anchor in found:
            use = _Use(compiled.index, anchor.offsets, anchor.keyword_at, len(anchor.keyword), None)
            trigger = Keyword(anchor.literal.decode("ascii"), anchor.caseless)
            uses.setdefault(trigger, []).append(use)
    triggers = tuple(sorted(uses))
    return triggers, tuple(tuple(uses[t]) for t in triggers)


TRIGGERS, _USES = _plan()
"""Every literal the prefilter looks for, and the rules each one starts."""
# Triggers that only start whole-content rules: in a text file their first hit is enough.
_WHOLE_CONTENT_ONLY: tuple[bool, ...] = tuple(
    all(_COMPILED[u.rule].rule.multiline for u in uses) for uses in _USES
)
_PATH_RULES = tuple(c.index for c in _COMPILED if c.paths is not None)
_USES_BY_PATHS: dict[frozenset[int], tuple[tuple[_Use, ...], ...]] = {}
KEYWORD_INDEX: KeywordIndex = best_index(TRIGGERS)
"""The prefilter engine in use (Hyperscan or Aho-Corasick; identical hits)."""


def _uses_for(path: str | None) -> tuple[tuple[_Use, ...], ...]:
    """``_USES`` without the file-format rules whose ``paths`` do not match ``path``."""
    active = frozenset(
        i for i in _PATH_RULES if path and _COMPILED[i].paths.search(path)  # type: ignore[union-attr]
    )
    table = _USES_BY_PATHS.get(active)
    if table is None:
        table = _USES_BY_PATHS[active] = tuple(
            tuple(u for u in uses if _COMPILED[u.rule].paths is None or u.rule in active)
            for uses in _USES
        )
    return table


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


@dataclass
class _Regions:
    """Where each triggered rule's regex runs in one file."""

    spans: dict[tuple[int, int], int] = field(default_factory=dict)
    """(rule index, region start) -> region end."""
    starts: dict[int, list[int]] = field(default_factory=dict)
    """Anchored rules: rule index -> every position a match can start at (unsorted)."""


def _regions(data: bytes, hits: list[Hit], path: str | None, binary: bool) -> _Regions:
    """The regions of every rule a trigger started."""
    found = _Regions()
    regions = found.spans
    uses_by_trigger = _uses_for(path)
    run_cache: dict[int, tuple[int, int]] = {}
    seen: set[int] = set()
    windows: list[tuple[int, int, int]] = []
    size = len(data)
    # Text: the line of the previous hit; hits come roughly in order, so most reuse it and a
    # long line (minified JavaScript) is searched for its ends once, not once per hit.
    line_lo, line_hi = 0, -1
    for trigger, start, end in hits:
        uses = uses_by_trigger[trigger]
        if not uses:
            continue
        if not binary and _WHOLE_CONTENT_ONLY[trigger]:
            # Common ("://" in every URL): skip repeats before any other work.
            if trigger in seen:
                continue
            seen.add(trigger)
        for use in uses:
            if use.context is not None and use.context.match(data, end) is None:
                continue
            kw_start = start + use.keyword_at
            kw_end = kw_start + use.keyword_len
            if binary:
                bounds = run_cache.get(kw_start)
                if bounds is None:
                    bounds = run_cache[kw_start] = _printable_run(data, kw_start, kw_end)
                lo, hi = bounds
                if hi - lo < MIN_PRINTABLE_RUN:
                    continue
            else:
                lo, hi = 0, size
            compiled = _COMPILED[use.rule]
            if compiled.rule.multiline:
                if hi - lo > _WHOLE_TEXT_LIMIT:
                    windows.append(
                        (use.rule, max(lo, kw_start - _MULTILINE_WINDOW),
                         min(hi, kw_end + _MULTILINE_WINDOW))
                    )
                else:
                    regions.setdefault((use.rule, lo), hi)
                continue
            if binary:
                line_start = max(lo, data.rfind(b"\n", lo, kw_start) + 1)
                nl = data.find(b"\n", kw_end, hi)
                line_end = hi if nl < 0 else nl
            else:
                if not (line_lo <= kw_start and kw_end <= line_hi):
                    line_lo = data.rfind(b"\n", 0, kw_start) + 1
                    nl = data.find(b"\n", kw_end)
                    line_hi = size if nl < 0 else nl
                line_start, line_end = line_lo, line_hi
            if use.offsets is not None:
                regions.setdefault((use.rule, line_start), line_end)
                starts = found.starts.get(use.rule)
                if starts is None:
                    starts = found.starts[use.rule] = []
                starts.extend(start - offset for offset in use.offsets)
            elif compiled.rule.anchor == "word":
                regions.setdefault((use.rule, _word_start(data, kw_start, line_start)), line_end)
            else:
                regions.setdefault((use.rule, line_start), line_end)
    _merge_windows(regions, windows)
    return found


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


def _anchored_matches(
    regex: re.Pattern[bytes], data: bytes, starts: list[int], lo: int, hi: int
) -> list[re.Match[bytes]]:
    """What ``regex.finditer(data, lo, hi)`` finds, when every match of ``regex`` starts at
    one of ``starts`` (sorted): only those positions are tried, in order, each from the end of
    the previous match on, as finditer does. ``match`` at a position sees the bytes before it
    (look-behinds) exactly as finditer's search does; matches are never empty (they hold a
    literal)."""
    found: list[re.Match[bytes]] = []
    resume = lo
    for index in range(bisect.bisect_left(starts, lo), len(starts)):
        position = starts[index]
        if position >= hi:
            break
        if position < resume:
            continue
        m = regex.match(data, position, hi)
        if m is not None:
            found.append(m)
            resume = m.end()
    return found


def _candidates(data: bytes, found: _Regions) -> Iterator[_Candidate]:
    requires_ok: dict[int, bool] = {}
    anchored: dict[int, list[int]] = {}
    for (rule_index, lo), hi in sorted(found.spans.items()):
        compiled = _COMPILED[rule_index]
        if compiled.requires is not None:
            ok = requires_ok.get(rule_index)
            if ok is None:
                ok = requires_ok[rule_index] = compiled.requires.search(data) is not None
            if not ok:
                continue
        if rule_index in found.starts:
            starts = anchored.get(rule_index)
            if starts is None:
                starts = anchored[rule_index] = sorted(set(found.starts[rule_index]))
            matches: Iterable[re.Match[bytes]] = _anchored_matches(
                compiled.regex, data, starts, lo, hi
            )
        elif compiled.rule.anchor == "none":
            matches = compiled.regex.finditer(data, lo, hi)
        else:
            one = compiled.regex.match(data, lo, hi)
            matches = (one,) if one is not None else ()
        for m in matches:
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
    if not regions.spans:
        return ScanOutcome((), notes, len(data))
    kept = _resolve_overlaps(list(_candidates(data, regions)))
    return ScanOutcome(tuple(_to_matches(data, kept)), notes, len(data))


def scan_text(text: str, *, path: str | None = None) -> list[Match]:
    """Secrets in a text (a config value, a history line, a decoded file)."""
    return list(scan_bytes(text.encode("utf-8", "surrogateescape"), path=path).matches)
