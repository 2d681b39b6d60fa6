"""docs/*.md agree with the code: every ``gate`` command line uses options that command has,
every relative link and anchor resolves, the JSON report's schema version is the code's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gate import cli
from gate.reporters.json_report import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
COMMANDS = ("check", "sbom", "db update", "db status")


def options_of(command: str) -> set[str]:
    parser: Any = cli.build_parser()
    for name in command.split():
        parser = parser._subparsers._group_actions[0].choices[name]
    return {s for a in parser._actions for s in a.option_strings}


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to ``-``, a suffix
    ``-N`` for repeats; headings inside code blocks do not count."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_command_lines_use_real_options(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8").replace("\\\n", " ")
    known = {command: options_of(command) for command in COMMANDS}
    for match in re.finditer(rf"\bgate ({'|'.join(COMMANDS)})\b([^\n`|]*)", text):
        used = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", match.group(2)))
        assert used <= known[match.group(1)], match.group(0)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_links_resolve(doc: Path) -> None:
    text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.S | re.M)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        dest = (doc.parent / path).resolve() if path else doc
        assert dest.exists(), f"{doc.name}: {target}"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{doc.name}: {target}"


def test_report_schema_version() -> None:
    text = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    assert f"| `schema_version` | `\"{SCHEMA_VERSION}\"` |" in text
    assert f"`schema_version` is `\"{SCHEMA_VERSION}\"`" in text


def test_the_anchor_rule() -> None:
    doc = ROOT / "docs" / "ci.md"
    assert {"the-advisory-database-in-ci", "github", "report-formats"} <= anchors(doc)
    assert "the-gates-own-image" in anchors(ROOT / "docs" / "benchmarks.md")
