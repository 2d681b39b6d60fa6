"""docs/signatures.md: every rule, every signer claim, only valid policy examples."""

from __future__ import annotations

import re
from pathlib import Path

from gate.policy.loader import load_policy
from gate.policy.model import SIGNER_CLAIMS
from gate.verifiers.rules import ALL_RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "signatures.md"


def test_every_rule_and_claim_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [r.id for r in ALL_RULES if f"| `{r.id}` | {r.severity.value} |" not in text] == []
    assert [c for c in SIGNER_CLAIMS if f"| `{c}` |" not in text] == []


def test_every_toml_example_is_a_valid_policy(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 7
    for i, block in enumerate(blocks):
        path = tmp_path / f"example{i}.toml"
        path.write_text(block, encoding="utf-8")
        load_policy(path)  # raises PolicyError naming the problem
