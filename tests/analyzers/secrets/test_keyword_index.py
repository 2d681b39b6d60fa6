"""Both prefilter engines find exactly the same keyword hits, so results never depend on the
machine; and the detector gives the same findings with either."""

from __future__ import annotations

import glob
import platform
import sys
from pathlib import Path

import pytest

from gate.analyzers.secrets import detector
from gate.analyzers.secrets.keyword_index import AhoCorasickIndex, HyperscanIndex, best_index

from .samples import samples

KEYWORDS = detector._KEYWORDS


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


def test_hits_are_case_insensitive_and_overlapping() -> None:
    index = AhoCorasickIndex(["sk_live_", "live_", "token"])
    assert sorted(index.hits(b"SK_LIVE_x Token")) == [(0, 0, 8), (1, 3, 8), (2, 10, 15)]


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
