"""docs/policy.md documents every key of the policy schema."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gate.policy.validation import policy_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def property_names(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for name, child in node.items():
            if name == "properties" and isinstance(child, Mapping):
                yield from child
            yield from property_names(child)
    elif isinstance(node, list):
        for child in node:
            yield from property_names(child)


def test_every_schema_property_is_documented() -> None:
    names = set(property_names(policy_schema()))
    assert {"thresholds", "identity_regexp", "predicate_type", "expires", "critical"} <= names
    text = DOC.read_text(encoding="utf-8")
    # a key as `key`, or a table as `[key]` / `[[key]]`
    forms = ("`{}`", "`[{}]`", "`[[{}]]`")
    missing = sorted(n for n in names if not any(f.format(n) in text for f in forms))
    assert missing == []


def test_every_enum_value_is_documented() -> None:
    schema = policy_schema()
    text = DOC.read_text(encoding="utf-8")
    for key in ("mode", "gate_on"):
        for value in schema["properties"][key]["enum"]:
            assert f'"{value}"' in text, (key, value)


def test_every_toml_example_is_a_valid_policy(tmp_path: Path) -> None:
    import re

    from gate.policy.loader import load_policy

    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 6
    for i, block in enumerate(blocks):
        path = tmp_path / f"example{i}.toml"
        path.write_text(block, encoding="utf-8")
        load_policy(path)  # raises PolicyError naming the problem
