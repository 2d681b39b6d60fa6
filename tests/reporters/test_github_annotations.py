"""GitHub workflow-command annotations: only repository file locations, escaped so that text
from the image cannot end or start a command, at most 10 per level and step."""

from __future__ import annotations

import re
from pathlib import Path

from gate.reporters.github_annotations import GitHubAnnotationsReporter
from tests.reporters.ci_samples import HOSTILE_MESSAGE, hostile_report, many_findings
from tests.reporters.samples import RAW_SECRETS, sample_report

COMMAND = re.compile(r"^::(error|warning|notice)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def unescape_data(text: str) -> str:
    # The runner's ActionCommand unescaping, in reverse order of the escaping.
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    commands = []
    for line in text.splitlines():
        match = COMMAND.match(line)
        assert match is not None, line
        props = {}
        for pair in (match.group("props") or "").split(","):
            if pair:
                key, _, value = pair.partition("=")
                props[key] = unescape_property(value)
        commands.append((match.group(1), props, unescape_data(match.group("message"))))
    return commands


def test_repository_locations_only(tmp_path: Path) -> None:
    text = GitHubAnnotationsReporter().render(sample_report(tmp_path))
    commands = parse(text)
    files = {(props["file"], props.get("line")) for _, props, _ in commands}
    assert files == {
        ("services/api/config/settings.py", "12"),   # context file
        ("services/api/Dockerfile", "7"),            # image file attributed to a Dockerfile line
        ("services/api/Dockerfile", "1"),            # Dockerfile finding
    }
    assert {level for level, _, _ in commands} == {"error"}
    attributed = next(c for c in commands if c[1]["file"] == "services/api/Dockerfile"
                      and c[1]["line"] == "7")
    assert attributed[1]["title"] == "gate high: secret/github-pat"
    assert "(in the image at /app/my config/settings.py)" in attributed[2]
    # the suppressed finding (tests/fixtures/db.yaml) is not annotated
    assert "tests/fixtures/db.yaml" not in text
    for raw in RAW_SECRETS:
        assert raw not in text


def test_escaping_round_trips_and_blocks_injection(tmp_path: Path) -> None:
    text = GitHubAnnotationsReporter().render(hostile_report(tmp_path))
    lines = text.splitlines()
    # one command per annotation: nothing in a message starts a line of its own
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    commands = parse(text)
    context = next(c for c in commands if c[1]["file"] == "src/a,b:c%d.py")
    assert HOSTILE_MESSAGE in context[2]
    assert "%0D%0A::error file=evil.py::injected" in text


def test_at_most_ten_per_level_then_one_notice(tmp_path: Path) -> None:
    report = many_findings(tmp_path, 60, repo_file=True)
    commands = parse(GitHubAnnotationsReporter().render(report))
    levels = [level for level, _, _ in commands]
    assert levels.count("error") == 10 and levels.count("warning") == 10
    assert levels[-1] == "notice" and levels.count("notice") == 1
    # 60 findings: 20 blocking, 20 allowed, 20 suppressed -> 20 annotated, 20 left
    assert commands[-1][2].startswith("20 more finding(s)")
    # the most severe blocking ones were kept
    errors = [c for c in commands if c[0] == "error"]
    assert all(c[1]["title"].startswith(("gate critical", "gate high")) for c in errors[:8])
