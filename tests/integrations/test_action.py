"""``gate ci github``, the Action's entrypoint: the INPUT_* variables action.yml sets become
``gate check`` options; the pull request comment, summary and outputs are produced; the token
travels in the environment only and is printed nowhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gate.errors import UsageError
from gate.integrations.ci_inputs import CHECK_INPUTS, ci_argv, input_value
from tests.integrations.fake_forge import FakeForge
from tests.reporters.ci_samples import REAL_SECRETS
from tests.test_report_outputs import parse_outputs

ROOT = Path(__file__).resolve().parents[2]


def action_env(inputs: dict[str, str], token: str) -> dict[str, str]:
    """The container environment action.yml's ``runs.env`` gives, for these inputs."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values["github-token"] = token
    values.update(inputs)
    env = {}
    for key, expression in action["runs"]["env"].items():
        name = expression.removeprefix("${{ inputs.").removesuffix(" }}")
        env[key] = values[name]
    return env


def test_inputs_become_options() -> None:
    env = {"INPUT_IMAGE": "docker-archive:app.tar", "INPUT_FAIL_ON": "high",
           "INPUT_SARIF_FILE": "out/gate.sarif", "INPUT_COMMENT": "false",
           "INPUT_SUMMARY": "True", "INPUT_CONTEXT": "  ", "INPUT_GITHUB_TOKEN": "t"}
    assert ci_argv("github", env) == [
        "check", "--ci", "github", "--image", "docker-archive:app.tar", "--fail-on", "high",
        "--sarif", "out/gate.sarif", "--no-comment",
    ]
    # the runner's own spelling with a hyphen is read too
    (repo_root,) = [i for i in CHECK_INPUTS if i.name == "repo-root"]
    assert input_value({"INPUT_REPO-ROOT": "/w"}, repo_root, "github") == "/w"
    with pytest.raises(UsageError, match="action input annotations: 'yes' is not a boolean"):
        ci_argv("github", {"INPUT_ANNOTATIONS": "yes"})
    with pytest.raises(UsageError, match="component input comment: 'no' is not a boolean"):
        ci_argv("gitlab", {"GATE_INPUT_COMMENT": "no"})
    # more options for any check, split like a shell would
    assert ci_argv("github", {"INPUT_ARGS": '--osv-api --vex "my vex.json"'})[3:] == [
        "--osv-api", "--vex", "my vex.json"
    ]
    with pytest.raises(UsageError, match="action input args: No closing quotation"):
        ci_argv("github", {"INPUT_ARGS": '--vex "open'})
    with pytest.raises(UsageError, match="Task param extra-args: No closing quotation"):
        ci_argv("tekton", {"GATE_INPUT_EXTRA_ARGS": '--vex "open'})
    # list inputs: one option per item, lines or commas, blank items dropped
    assert ci_argv("tekton", {"GATE_INPUT_VEX": "a.json,\n b.json\n\n"}) == [
        "check", "--vex", "a.json", "--vex", "b.json"]
    assert ci_argv("tekton", {"GATE_INPUT_DOCKERFILES": ",\n"}) == ["check"]


def test_action_end_to_end(tmp_path: Path, repo: Path, forge: FakeForge,
                           github_token: str) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3}}))
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "GATE_", "CI_", "INPUT_", "GITLAB_"))}
    env.update(action_env({"context": "ctx", "checks": "secrets", "junit-file": "gate.xml"},
                          github_token))
    env.update(
        PYTHONPATH=str(ROOT), GITHUB_ACTIONS="true", GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY="acme/api", GITHUB_API_URL=forge.url,
        GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(outputs), GATE_CACHE_DIR=str(
            tmp_path / "cache"),
    )
    proc = subprocess.run([sys.executable, "-m", "gate", "ci", "github"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    (post,) = [r for r in forge.requests if r.method == "POST"]
    assert post.path == "/repos/acme/api/issues/3/comments"
    assert post.headers["Authorization"] == f"token {github_token}"
    values = parse_outputs(outputs.read_text())
    assert values["verdict"] == "fail"
    assert values["sarif-file"] == "gate.sarif" and values["json-file"] == "gate-report.json"
    assert values["junit-file"] == "gate.xml"
    assert values["comment-url"].startswith("https://github.com/acme/api/pull/3#issuecomment-")
    for name in ("gate.sarif", "gate-report.json", "gate.xml"):
        assert (repo / name).is_file()
    assert proc.stdout.count("::error file=ctx/") == 3
    for text in (proc.stdout, proc.stderr, summary.read_text(), outputs.read_text(),
                 *(p.read_text() for p in repo.iterdir() if p.is_file())):
        assert github_token not in text
        for raw in REAL_SECRETS:
            assert raw not in text
