""".dockerignore, exactly as Docker and BuildKit read and apply it.

Reading follows BuildKit's ``frontend/dockerfile/dockerignore.ReadAll``: a UTF-8 BOM on the
first line is dropped; a line whose FIRST character is ``#`` is a comment (an indented ``#`` is a
pattern); each line is trimmed; ``!`` marks an exception; the pattern is cleaned like Go's
``filepath.Clean`` and a leading ``/`` is removed.

Matching follows ``moby/patternmatcher`` (``New``, ``Pattern.compile``,
``MatchesOrParentMatches``): ``*`` and ``?`` never cross ``/``; ``**`` matches any number of
directories (also none); ``[...]`` classes and ``\\`` escapes as in Go's ``filepath.Match``; a
pattern that matches a directory matches everything below it; the LAST matching pattern
decides, so a later ``!exception`` re-includes and a later pattern re-excludes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gate.errors import InputError

_BOM = "\ufeff"
# patternmatcher's shouldEscape: regexp metacharacters that are plain in filepath.Match.
_ESCAPE = frozenset(".+()|{}$")


def go_clean(path: str) -> str:
    """Go's ``path/filepath.Clean`` on a slash-separated path (lexical, never touches disk)."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for elem in path.split("/"):
        if elem in ("", "."):
            continue
        if elem == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(elem)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def go_dir(path: str) -> str:
    """Go's ``filepath.Dir``: everything before the last ``/``, cleaned."""
    slash = path.rfind("/")
    return go_clean(path[: slash + 1])


def read_patterns(text: str) -> list[str]:
    """The pattern lines of a .dockerignore, as BuildKit's ``ReadAll`` returns them."""
    patterns: list[str] = []
    for number, raw in enumerate(text.splitlines()):
        line = raw[1:] if number == 0 and raw.startswith(_BOM) else raw
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern[0] == "!"
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern[0] == "/":
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


class MatchType(enum.Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    REGEXP = "regexp"


def _check_syntax(pattern: str) -> bool:
    """Go ``filepath.Match`` syntax: classes closed, ranges complete, no trailing ``\\``."""
    i, n = 0, len(pattern)

    def escaped_char(j: int) -> int | None:
        # getEsc: a class item; returns the index after it, None if malformed.
        if j >= n or pattern[j] in "-]":
            return None
        if pattern[j] == "\\":
            j += 1
            if j >= n:
                return None
        j += 1
        return j if j < n else None

    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                return False
            i += 2
        elif ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            ranges = 0
            while True:
                if i < n and pattern[i] == "]" and ranges > 0:
                    i += 1
                    break
                nxt = escaped_char(i)
                if nxt is None:
                    return False
                i = nxt
                if pattern[i] == "-":
                    nxt = escaped_char(i + 1)
                    if nxt is None:
                        return False
                    i = nxt
                ranges += 1
        else:
            i += 1
    return True


@dataclass(frozen=True)
class IgnorePattern:
    """One compiled .dockerignore pattern."""

    pattern: str
    """The cleaned pattern without its ``!``."""
    exclusion: bool
    """A ``!`` exception: a match re-includes the path."""
    match_type: MatchType
    regexp: re.Pattern[str] | None
    """For REGEXP patterns; matched against the whole path."""

    @property
    def regexp_source(self) -> str:
        """The anchored expression, in patternmatcher's notation (for tests and messages)."""
        return "^" + self.regexp.pattern + "$" if self.regexp else ""

    def match(self, path: str) -> bool:
        if self.match_type is MatchType.EXACT:
            return path == self.pattern
        if self.match_type is MatchType.PREFIX:
            return path.startswith(self.pattern[:-2])
        if self.match_type is MatchType.SUFFIX:
            suffix = self.pattern[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self.regexp is not None
        return self.regexp.fullmatch(path) is not None


def compile_pattern(pattern: str, exclusion: bool = False) -> IgnorePattern:
    """patternmatcher's ``Pattern.compile``: pick the cheapest match type, else a regexp."""
    body = ""
    match_type = MatchType.EXACT
    pos, n, iteration = 0, len(pattern), 0
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":
                pos += 1
                if pos < n and pattern[pos] == "/":  # treat "**/" as "**"
                    pos += 1
                if pos >= n:
                    # "**" at the end matches everything below (gitignore-like).
                    if match_type is MatchType.EXACT:
                        match_type = MatchType.PREFIX
                    else:
                        body += ".*"
                        match_type = MatchType.REGEXP
                else:
                    body += "(.*/)?"
                    match_type = MatchType.REGEXP
                if iteration == 0:
                    match_type = MatchType.SUFFIX
            else:
                body += "[^/]*"
                match_type = MatchType.REGEXP
        elif ch == "?":
            body += "[^/]"
            match_type = MatchType.REGEXP
        elif ch in _ESCAPE:
            body += "\\" + ch
        elif ch == "\\":
            if pos < n:
                body += "\\" + pattern[pos]
                pos += 1
                match_type = MatchType.REGEXP
            else:
                body += "\\\\"
        elif ch in "[]":
            body += ch
            match_type = MatchType.REGEXP
        else:
            body += ch
        iteration += 1
    regexp = None
    if match_type is MatchType.REGEXP:
        try:
            regexp = re.compile(body)
        except re.error as exc:
            raise ValueError(f"bad pattern {pattern!r}: {exc}") from exc
    return IgnorePattern(pattern, exclusion, match_type, regexp)


class PatternMatcher:
    """An ordered list of patterns; the last one that matches a path (or a parent) decides."""

    def __init__(self, patterns: Sequence[IgnorePattern]) -> None:
        self.patterns = tuple(patterns)
        self.exclusions = any(p.exclusion for p in self.patterns)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> PatternMatcher:
        """patternmatcher's ``New``. Raises ValueError on a malformed pattern."""
        compiled: list[IgnorePattern] = []
        for line in lines:
            text = line.strip()
            if not text:
                continue
            text = go_clean(text)
            exclusion = text[0] == "!"
            if exclusion:
                if len(text) == 1:
                    raise ValueError('illegal exclusion pattern: "!"')
                text = text[1:]
            if not _check_syntax(text):
                raise ValueError(f"bad pattern {text!r}")
            compiled.append(compile_pattern(text, exclusion))
        return cls(compiled)

    def matches_exact(self, path: str) -> bool:
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            if pattern.match(path):
                matched = not pattern.exclusion
        return matched

    def matches_or_parent_matches(self, path: str) -> bool:
        """Is ``path`` (slash-separated, relative to the context root) excluded?"""
        parent = go_dir(path)
        parent_dirs = parent.split("/")
        matched = False
        for pattern in self.patterns:
            # Patterns that cannot change the current answer are skipped, as upstream does.
            if pattern.exclusion != matched:
                continue
            hit = pattern.match(path)
            if not hit and parent != ".":
                hit = any(
                    pattern.match("/".join(parent_dirs[: i + 1])) for i in range(len(parent_dirs))
                )
            if hit:
                matched = not pattern.exclusion
        return matched


def load_dockerignore(path: Path) -> PatternMatcher:
    """Read and compile one .dockerignore file; InputError names the file and the pattern."""
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return PatternMatcher.from_lines(read_patterns(text))
    except ValueError as exc:
        raise InputError(f"invalid {path}: {exc}") from exc
