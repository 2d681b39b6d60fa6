"""Both prefilter engines find exactly the same keyword hits, so results never depend on the
machine; and the detector gives the same findings with either."""

from __future__ import annotations

import glob
import platform
import sys
from pathlib import Path

import pytest

from gate.analyzers.secrets import detector
from gate.analyzers.secrets.keyword_index import (
    AhoCorasickIndex,
    HyperscanIndex,
    Keyword,
    best_index,
)

from .samples import samples

KEYWORDS = detector.TRIGGERS


def _corpus() -> list[bytes]:
    texts = [s.text.encode() for s in samples()]
    texts += [s.text.upper().encode() for s in samples()]
    files = sorted(glob.glob("/etc/**/*", recursive=True))[:400]
    files += sorted(glob.glob("/usr/lib/x86_64-linux-gnu/*.so*"))[:20]
    for name in files:
        path = Path(name)
        if path.is_file() and not path.is_symlink():
            try:
                texts.append(path.read_bytes()[: 4 << 20])
            except OSError:
                continue
    return [*texts, b"", b"x"]


@pytest.mark.skipif(
    not (sys.platform == "linux" and platform.machine() == "x86_64"),
    reason="hyperscan is a dependency on x86-64 Linux only",
)
def test_engines_agree() -> None:
    portable = AhoCorasickIndex(KEYWORDS)
    fast = HyperscanIndex(KEYWORDS)
    for data in _corpus():
        assert sorted(fast.hits(data)) == sorted(portable.hits(data))


def test_the_rule_set_has_both_kinds_of_keyword() -> None:
    assert any(k.caseless for k in KEYWORDS) and any(not k.caseless for k in KEYWORDS)


def _engines() -> list[type[AhoCorasickIndex] | type[HyperscanIndex]]:
    engines: list[type[AhoCorasickIndex] | type[HyperscanIndex]] = [AhoCorasickIndex]
    if best_index(KEYWORDS).name == "hyperscan":
        engines.append(HyperscanIndex)
    return engines


@pytest.mark.parametrize("engine", _engines())
def test_hits_are_case_insensitive_and_overlapping(
    engine: type[AhoCorasickIndex] | type[HyperscanIndex],
) -> None:
    index = engine([Keyword("sk_live_"), Keyword("live_"), Keyword("token")])
    assert sorted(index.hits(b"SK_LIVE_x Token")) == [(0, 0, 8), (1, 3, 8), (2, 10, 15)]


@pytest.mark.parametrize("engine", _engines())
def test_exact_keywords_match_only_as_written(
    engine: type[AhoCorasickIndex] | type[HyperscanIndex],
) -> None:
    index = engine([Keyword("EAA", caseless=False), Keyword("eaa"), Keyword("ghp_", False)])
    hits = sorted(index.hits(b"eaa EAA Eaa ghp_ GHP_"))
    assert hits == [(0, 4, 7), (1, 0, 3), (1, 4, 7), (1, 8, 11), (2, 12, 16)]


def test_keywords_must_be_distinct() -> None:
    with pytest.raises(ValueError):
        AhoCorasickIndex([Keyword("eaa"), Keyword("eaa")])


def test_engine_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATE_SECRETS_ENGINE", "aho-corasick")
    assert best_index(KEYWORDS).name == "aho-corasick"


def test_detector_findings_do_not_depend_on_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus()

    def findings() -> list[list[tuple[str, int, str]]]:
        return [
            [(m.rule_id, m.line, m.fingerprint) for m in detector.scan_bytes(d).matches]
            for d in corpus
        ]

    default = findings()
    monkeypatch.setattr(detector, "KEYWORD_INDEX", AhoCorasickIndex(KEYWORDS))
    assert findings() == default
    assert sum(map(len, default)) >= len(samples())
