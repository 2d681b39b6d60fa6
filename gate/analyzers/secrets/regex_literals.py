"""What a rule's regex guarantees about the literal text of every one of its matches.

The detector's prefilter looks for short keywords (``eaa``, case-insensitively) and used to
search every line holding one. Most provider rules say more than their keyword: a Facebook
token *starts with* ``EAA`` in capitals, an AWS key ID with ``AKIA``. This module reads that
from the regex itself, through the parse tree of CPython's own ``re`` parser (the tree
``re.compile`` compiles, so the reading cannot disagree with the matching), and gives the
detector, per rule, the literals every match holds at a known distance from its start. The
detector then looks for those literals exactly (case-sensitively unless the regex ignores
case there) and tries the regex only at the starts they imply, which finds the same matches
as searching the whole line: every match holds one of the literals, so it starts at one of the
implied positions.

When the tree does not prove it (a variable-length part before the literal, a literal that
holds none of the rule's keywords, a back-reference...), :func:`anchors` returns None and the
detector keeps the rule's keywords and the line search.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def _parser_modules() -> tuple[Any, Any]:
    # The ``re`` package's parser is ``re._parser`` since Python 3.11 and ``sre_parse``
    # before (the latter still importable, with a DeprecationWarning, on 3.11+).
    try:
        return importlib.import_module("re._parser"), importlib.import_module("re._constants")
    except ImportError:
        return importlib.import_module("sre_parse"), importlib.import_module("sre_constants")


_PARSER, _C = _parser_modules()

_MAX_PATHS = 64
"""Alternatives followed through the tree before giving up (the rules have a handful)."""
_MAX_SPREAD = 8
"""Largest ``{m,n}`` spread (n - m) of a fixed-width part crossed before the literal."""
_MAX_OFFSETS = 16
_MAX_CHOICES = 4
"""Most alternatives a character class or a short repeat of one is expanded into."""

_ONE_CHARACTER = frozenset({_C.LITERAL, _C.NOT_LITERAL, _C.IN, _C.ANY})
_ZERO_WIDTH = frozenset({_C.ASSERT, _C.ASSERT_NOT, _C.AT})
_REPEATS = frozenset(
    op for op in (getattr(_C, name, None) for name in
                  ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")) if op is not None
)  # fmt: skip


@dataclass(frozen=True)
class Anchor:
    """Every match of the regex holds ``literal`` (or another anchor's) ``offset`` bytes after
    its start, for one of ``offsets``."""

    literal: bytes
    caseless: bool
    """The regex matches the literal ignoring ASCII case."""
    offsets: tuple[int, ...]
    keyword_at: int
    """Where one of the rule's keywords starts inside ``literal``."""
    keyword: str


class _Unproven(Exception):
    """The tree does not prove an anchor (too complex, or a part this reading does not follow)."""


# A path through the tree is a tuple of atoms: ("lit", byte, caseless), ("w", widths), ("stop",).
_Atom = tuple[Any, ...]
_STOP: _Atom = ("stop",)


def _caseless(flags: int, byte: int) -> bool:
    return bool(flags & _C.SRE_FLAG_IGNORECASE) and bytes([byte]).isalpha()


def _sequence(items: Any, flags: int) -> list[tuple[_Atom, ...]]:
    paths: list[tuple[_Atom, ...]] = [()]
    for op, av in items:
        grown: list[tuple[_Atom, ...]] = []
        for path in paths:
            if path and path[-1] is _STOP:
                grown.append(path)
                continue
            grown.extend(path + tail for tail in _item(op, av, flags))
        if len(grown) > _MAX_PATHS:
            raise _Unproven
        paths = grown
    return paths


def _item(op: Any, av: Any, flags: int) -> list[tuple[_Atom, ...]]:
    if op is _C.LITERAL:
        return [(("lit", av, _caseless(flags, av)),)]
    if op is _C.IN:
        choices = _literal_choices([(op, av)])
        if choices is not None:
            return [(("lit", b, _caseless(flags, b)),) for b in choices]
    if op in _ONE_CHARACTER:
        return [(("w", frozenset({1})),)]
    if op in _ZERO_WIDTH:
        # Assertions consume nothing: a literal run continues across them.
        return [()]
    if op is _C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        return _sequence(sub, (flags | add_flags) & ~del_flags)
    if op is _C.BRANCH:
        return [path for alternative in av[1] for path in _sequence(alternative, flags)]
    if op in _REPEATS:
        low, high, sub = av
        return _repeat(low, high, sub, flags)
    # Back-references, conditionals, atomic groups...: not followed.
    return [(_STOP,)]


def _literal_choices(items: Any) -> list[int] | None:
    """The bytes a one-character part can be (``a``, ``[_-]``), if it is a few literals."""
    items = list(items)
    if len(items) != 1:
        return None
    op, av = items[0]
    if op is _C.LITERAL:
        return [av]
    if op is _C.IN and len(av) <= _MAX_CHOICES and all(o is _C.LITERAL for o, _ in av):
        return [byte for _, byte in av]
    return None


def _repeat(low: int, high: int, sub: Any, flags: int) -> list[tuple[_Atom, ...]]:
    choices = _literal_choices(sub)
    if choices is not None:
        if high - low <= 1 and len(choices) ** high <= _MAX_CHOICES:
            # ``_?``, ``[_-]?``, ``a{2}``: every count and choice is its own path, so the
            # literal run goes on through it (``message_?bird``: two literals).
            return [
                tuple(("lit", b, _caseless(flags, b)) for b in combo)
                for count in range(low, high + 1)
                for combo in itertools.product(choices, repeat=count)
            ]
        if len(choices) == 1:
            run: tuple[_Atom, ...] = (("lit", choices[0], _caseless(flags, choices[0])),) * low
            if high - low > _MAX_SPREAD:
                return [(*run, _STOP)]
            return [(*run, ("w", frozenset(range(high - low + 1))))]
    width_low, width_high = sub.getwidth()
    if width_low != width_high or high - low > _MAX_SPREAD:
        return [(_STOP,)]
    return [(("w", frozenset(k * width_low for k in range(low, high + 1))),)]


def _anchor_of(path: tuple[_Atom, ...], keywords: Sequence[str]) -> Anchor:
    """The first literal run of ``path`` that holds a keyword, with its distances from the
    start of the match."""
    offsets = frozenset({0})
    run = bytearray()
    caseless = False
    for atom in (*path, _STOP):
        if atom[0] == "lit":
            run.append(atom[1])
            caseless = caseless or atom[2]
            continue
        if run:
            lowered = bytes(run).lower()
            for keyword in keywords:
                at = lowered.find(keyword.encode("ascii"))
                if at >= 0:
                    return Anchor(bytes(run), caseless, tuple(sorted(offsets)), at, keyword)
            offsets = frozenset(o + len(run) for o in offsets)
            run.clear()
            caseless = False
        if atom[0] == "stop":
            raise _Unproven
        offsets = frozenset(o + w for o in offsets for w in atom[1])
        if len(offsets) > _MAX_OFFSETS:
            raise _Unproven
    raise _Unproven


def anchors(pattern: bytes, keywords: Sequence[str]) -> tuple[Anchor, ...] | None:
    """Literals, each holding one of ``keywords`` (ASCII case-insensitively), one of which
    every match of ``pattern`` holds at one of the anchor's offsets from the match start; None
    when the parse tree does not prove it."""
    try:
        tree = _PARSER.parse(pattern, 0)
        found = [_anchor_of(path, keywords) for path in _sequence(tree, tree.state.flags)]
    except _Unproven:
        return None
    merged: dict[tuple[bytes, bool], Anchor] = {}
    for anchor in found:
        key = (anchor.literal, anchor.caseless)
        if key in merged:
            offsets = tuple(sorted(set(merged[key].offsets) | set(anchor.offsets)))
            anchor = Anchor(anchor.literal, anchor.caseless, offsets, anchor.keyword_at,
                            anchor.keyword)  # fmt: skip
        merged[key] = anchor
    return tuple(merged[key] for key in sorted(merged))
