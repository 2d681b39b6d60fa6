"""``gate check`` report options: ``--format`` lists and selects, every file option writes its
format, ``--ci github`` wraps the log in stop-commands and adds annotations, summary and
outputs; SARIF trimming is said in the Markdown report; bad options are exit 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gate import cli
from gate.reporters import sarif
from gate.reporters.formats import FORMATS
from tests.reporters.ci_samples import AWS_KEY, REAL_SECRETS, secrets_context


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def context(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)  # the repository root that locations are relative to
    secrets_context(root / "ctx")
    return root


def parse_outputs(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` in the delimiter form: ``name<<DELIM``, value lines, ``DELIM``."""
    values = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        assert delimiter.startswith("ghadelimiter_")
        value = []
        for item in lines:
            if item == delimiter:
                break
            value.append(item)
        values[name] = "\n".join(value)
    return values


def test_format_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--format", "list"], capsys)
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == [f.name for f in FORMATS]
    assert "--gitlab-container-scanning" in out and "gl-code-quality-report.json" in out


def test_every_file_option_exists_and_writes(
    context: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(context)
    parser = cli.build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    options = {s for a in check._actions for s in a.option_strings}
    out_dir = tmp_path / "out"
    argv = ["check", "--context", "ctx", "--checks", "secrets", "--no-cache"]
    for fmt in FORMATS:
        if fmt.option is None:
            continue
        assert fmt.option in options
        argv += [fmt.option, str(out_dir / fmt.default_filename)]
    code, out, err = run(argv, capsys)
    assert code == 1, err
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == sorted(f.default_filename for f in FORMATS if f.option)
    assert json.loads((out_dir / "gate-report.json").read_text())["verdict"] == "fail"
    junit = (out_dir / "gate-junit.xml").read_text()
    assert junit.count("<failure") == 5  # three secrets, two violations (critical, high)
    secret = json.loads((out_dir / "gl-secret-detection-report.json").read_text())
    assert len(secret["vulnerabilities"]) == 3
    for path in out_dir.iterdir():
        text = path.read_text()
        for raw in REAL_SECRETS:
            assert raw not in text, path.name
    assert out.startswith("gate 0.1.0")


def test_format_selects_stdout(
    context: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(context)
    code, out, _ = run(["check", "--context", "ctx", "--checks", "secrets", "--no-cache",
                        "--format", "codequality"], capsys)
    assert code == 1
    issues = json.loads(out)
    assert {i["location"]["path"] for i in issues} == {
        "ctx/app/settings.py", "ctx/deploy/pay.env", "ctx/tests/conftest.py"
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "xml"], "unknown format 'xml'"),
        (["--api-timeout", "0"], "--api-timeout '0'"),
        (["--ci", "jenkins"], "invalid choice: 'jenkins'"),
    ],
)
def test_bad_options_exit_2(argv: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gate", "check", "--context", ".", *argv],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unwritable_report_is_exit_2(
    context: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(context)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(["check", "--context", "ctx", "--checks", "secrets", "--no-cache",
                        "--junit", str(blocker / "j.xml")], capsys)
    assert code == 2
    assert err.startswith(f"gate: error: cannot write report {blocker / 'j.xml'}")


def test_ci_github_log_annotations_summary_outputs(
    context: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(context)
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    for name in ("GITHUB_EVENT_PATH", "GITHUB_REF", "GATE_GITHUB_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    code, out, err = run(["check", "--context", "ctx", "--checks", "secrets", "--no-cache",
                          "--ci", "github", "--sarif", "gate.sarif"], capsys)
    assert code == 1, err
    lines = out.splitlines()
    token = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0])
    assert token is not None
    end = lines.index(f"::{token.group(1)}::")
    assert "FAIL: blocked by policy" in "\n".join(lines[1:end])
    annotations = lines[end + 1:]
    assert len(annotations) == 3
    assert all(a.startswith("::error file=ctx/") for a in annotations)
    assert summary.read_text().startswith("<!-- gate:report image=context:ctx -->\n")
    values = parse_outputs(outputs.read_text())
    assert values["verdict"] == "fail" and values["exit-code"] == "1"
    assert values["critical"] == "2" and values["high"] == "1" and values["blocking"] == "3"
    assert values["sarif-file"] == "gate.sarif"
    assert "comment-url" not in values  # not a pull request run: no comment
    assert AWS_KEY not in out + summary.read_text() + outputs.read_text()


def test_sarif_trim_is_said_in_the_markdown(
    context: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(context)
    monkeypatch.setattr(sarif, "SARIF_MAX_RESULTS", 2)
    code, _, err = run(["check", "--context", "ctx", "--checks", "secrets", "--no-cache",
                        "--sarif", str(tmp_path / "g.sarif"), "--markdown",
                        str(tmp_path / "g.md")], capsys)
    assert code == 1, err
    assert len(json.loads((tmp_path / "g.sarif").read_text())["runs"][0]["results"]) == 2
    text = (tmp_path / "g.md").read_text()
    assert (
        "> The SARIF report trimmed to GitHub's limit of 2 results per run: 2 of 3 findings "
        "kept, most severe first; the JSON report has all of them" in text
    )
