"""The literals a rule's regex guarantees, read from its parse tree, and the detector's use of
them: trying an anchored rule only where its literals imply a match can start must find exactly
what searching every line holding a keyword finds."""

from __future__ import annotations

import glob
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.analyzers.secrets import detector
from gate.analyzers.secrets.regex_literals import Anchor, anchors
from gate.analyzers.secrets.rules import RULES

from .samples import samples

Span = tuple[int, int]


def test_a_fixed_case_prefix_is_an_exact_anchor() -> None:
    assert anchors(rb"(?<![A-Za-z0-9])(?P<secret>EAA[A-Za-z0-9]{90})", ["eaa"]) == (
        Anchor(b"EAA", caseless=False, offsets=(0,), keyword_at=0, keyword="eaa"),
    )


def test_ignored_case_makes_the_anchor_caseless() -> None:
    (anchor,) = anchors(rb"(?i)jdbc:[a-z]+", ["jdbc:"]) or ()
    assert anchor.literal == b"jdbc:" and anchor.caseless
    (local,) = anchors(rb"(?i:lob)_KEY=", ["lob_"]) or ()
    assert local.literal == b"lob_KEY=" and local.caseless


def test_the_literal_runs_through_optional_characters_and_small_classes() -> None:
    found = anchors(rb"gh[us]_[0-9]{4}", ["ghu_", "ghs_"]) or ()
    assert [a.literal for a in found] == [b"ghs_", b"ghu_"]
    found = anchors(rb"message_?bird=", ["messagebird", "message_bird"]) or ()
    assert [a.literal for a in found] == [b"message_bird=", b"messagebird="]


def test_fixed_width_parts_before_the_literal_give_its_offsets() -> None:
    (anchor,) = anchors(rb"(?P<secret>[0-9]{8,10}:AA[A-Za-z0-9_-]{33})", [":aa"]) or ()
    assert anchor.literal == b":AA" and anchor.offsets == (8, 9, 10)
    (anchor,) = anchors(rb"[a-f0-9]{36}NRAL", ["nral"]) or ()
    assert anchor.offsets == (36,)


def test_the_anchor_is_the_literal_holding_a_keyword() -> None:
    (anchor,) = anchors(rb"ThisTokenIsNotSoSecret", ["tokenisnotsosecret"]) or ()
    assert anchor.literal == b"ThisTokenIsNotSoSecret" and anchor.keyword_at == 4
    (anchor,) = anchors(rb"discord(?:app)?\.com/api/webhooks/[0-9]+", ["/api/webhooks/"]) or ()
    assert anchor.literal == b".com/api/webhooks/" and anchor.offsets == (7, 10)


@pytest.mark.parametrize(
    "pattern",
    [
        rb"[a-z]+EAA",  # unbounded part before the literal
        rb"\d{1,40}EAA",  # too wide a spread of starts
        rb"EA[A-Z]",  # the literal holds no keyword
        rb"(?P<q>x)(?P=q)EAA",  # a back-reference is not followed
        rb"EAA|[0-9]{4}",  # one alternative has no literal at all
    ],
)
def test_unproven_patterns_have_no_anchor(pattern: bytes) -> None:
    assert anchors(pattern, ["eaa"]) is None


def _anchored_rules() -> list[tuple[detector._CompiledRule, tuple[Anchor, ...]]]:
    found = []
    for compiled in detector._COMPILED:
        rule = compiled.rule
        if rule.anchor != "none" or rule.multiline:
            continue
        result = anchors(compiled.regex.pattern, rule.keywords)
        if result is not None:
            found.append((compiled, result))
    return found


ANCHORED = _anchored_rules()


def test_most_single_line_rules_are_anchored() -> None:
    single_line = [r for r in RULES if r.anchor == "none" and not r.multiline]
    assert len(ANCHORED) >= 0.9 * len(single_line)


def _holds_anchor(data: bytes, start: int, found: tuple[Anchor, ...]) -> bool:
    for anchor in found:
        for offset in anchor.offsets:
            piece = data[start + offset : start + offset + len(anchor.literal)]
            if anchor.caseless and piece.lower() == anchor.literal.lower():
                return True
            if piece == anchor.literal:
                return True
    return False


def test_every_sample_match_starts_where_an_anchor_says() -> None:
    by_id = {compiled.rule.id: (compiled, found) for compiled, found in ANCHORED}
    checked = 0
    for sample in samples():
        if sample.rule_id not in by_id:
            continue
        compiled, found = by_id[sample.rule_id]
        data = sample.text.encode()
        for m in compiled.regex.finditer(data):
            assert _holds_anchor(data, m.start(), found), sample.rule_id
            checked += 1
    assert checked >= 100


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_generated_matches_start_where_an_anchor_says(data: st.DataObject) -> None:
    compiled, found = data.draw(st.sampled_from(ANCHORED))
    # Generated from the text pattern (ASCII alphabet), searched with the detector's bytes regex.
    text = data.draw(
        st.from_regex(compiled.rule.regex, alphabet=st.characters(codec="ascii"))
    ).encode("ascii")
    m = compiled.regex.search(text)
    if m is not None:
        assert _holds_anchor(text, m.start(), found), (compiled.rule.id, text[m.start() :][:80])


def _line_search(data: bytes, lowered: bytes, compiled: detector._CompiledRule) -> list[Span]:
    """The plain way: search every line that holds one of the rule's keywords."""
    lines: set[tuple[int, int]] = set()
    for keyword in compiled.rule.keywords:
        at = lowered.find(keyword.encode())
        while at >= 0:
            end = data.find(b"\n", at)
            lines.add((data.rfind(b"\n", 0, at) + 1, len(data) if end < 0 else end))
            at = lowered.find(keyword.encode(), at + 1)
    return [m.span() for lo, hi in sorted(lines) for m in compiled.regex.finditer(data, lo, hi)]


def _anchored_search(data: bytes, regions: detector._Regions, rule_index: int) -> list[Span]:
    starts = sorted(set(regions.starts.get(rule_index, [])))
    compiled = detector._COMPILED[rule_index]
    found = []
    for (index, lo), hi in sorted(regions.spans.items()):
        if index == rule_index:
            found += [
                m.span() for m in detector._anchored_matches(compiled.regex, data, starts, lo, hi)
            ]
    return found


def _texts() -> list[bytes]:
    texts = [s.text.encode() for s in samples()]
    # Every sample in one file, several to a line: matches next to each other and to others.
    texts.append(" ".join(s.text for s in samples()).encode())
    texts.append("\n".join(s.text for s in samples()).encode())
    for name in sorted(glob.glob("/usr/lib/python3*/**/*.py", recursive=True))[:300]:
        texts.append(Path(name).read_bytes()[: 1 << 20])
    return texts


def test_anchored_matching_finds_what_the_line_search_finds() -> None:
    total = 0
    for data in _texts():
        if detector.is_binary(data):
            continue
        lowered = data.lower()
        regions = detector._regions(data, detector.KEYWORD_INDEX.hits(data), None, False)
        for compiled, _ in ANCHORED:
            if compiled.paths is None:
                expected = _line_search(data, lowered, compiled)
                assert _anchored_search(data, regions, compiled.index) == expected, compiled.rule.id
                total += len(expected)
    assert total >= len(ANCHORED)


def test_the_anchored_search_is_finditer_from_each_start() -> None:
    regex = re.compile(rb"(?<![a-z])ab[a-z]{2}")
    data = b"abab abcd xabcd abcdabcd"
    starts = sorted(m.start() for m in re.finditer(rb"ab", data))
    got = [m.span() for m in detector._anchored_matches(regex, data, starts, 0, len(data))]
    assert got == [m.span() for m in regex.finditer(data)]


def test_the_keyword_context_check_drops_no_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    with_context = [r for r in RULES if r.keyword_context]
    assert with_context, "a rule declares a keyword_context"
    texts = _texts()
    # Assignments the check must keep: keys with the keyword anywhere in them, every
    # assignment operator, spaces, each quote.
    texts.append(
        b"my_api_key_value = 'Zq4Lm8Xv2Rt6Ny1K'\ntokenTOKEN_x := \"aB3dE5fG7hJ9kL1m\"\n"
        b"{\"client_secret\" : `Ny1Kp9Wc3Bd7Hf5J`}\nx.credentials||= 'Gh7Jk9Lm2Np4Qr6S'\n"
    )

    def findings() -> list[list[tuple[str, int, int]]]:
        return [
            [(m.rule_id, m.line, m.column) for m in detector.scan_bytes(t).matches]
            for t in texts
        ]

    checked = findings()
    without = tuple(tuple(replace(u, context=None) for u in uses) for uses in detector._USES)
    monkeypatch.setattr(detector, "_USES", without)
    monkeypatch.setattr(detector, "_USES_BY_PATHS", {})
    unchecked = findings()
    assert checked == unchecked
    generic = {r.id for r in with_context}
    assert sum(1 for found in checked for rule, *_ in found if rule in generic) >= 4
