"""The CI files of the repository: action.yml, the GitLab component, the Tekton Task, the
Jenkinsfile and the Dockerfile parse, agree with the CLI, and their job scripts really run
(rendered the way GitLab and Tekton render them, against a gate on PATH)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate import cli
from gate.integrations.action import INPUTS
from gate.integrations.publish import step_outputs
from tests.reporters.ci_samples import REAL_SECRETS, secrets_context
from tests.reporters.samples import sample_report

ROOT = Path(__file__).resolve().parents[1]


def check_options() -> set[str]:
    parser = cli.build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    return {s for a in check._actions for s in a.option_strings}


def gate_options_in(script: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", script))


@pytest.fixture
def gate_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``gate`` (and ``python3``) run this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "gate"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gate "$@"\n')
    shim.chmod(0o755)
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "GATE_", "CI_", "INPUT_", "GITLAB_"))}
    env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", PYTHONPATH=str(ROOT))
    return env


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    secrets_context(root / "ctx")
    return root


# -- GitHub Action ----------------------------------------------------------------------------


def test_action_inputs_mirror_the_cli() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "docker"
    assert action["runs"]["image"] == "Dockerfile"
    assert action["runs"]["args"] == ["ci", "github"]
    assert list(action["inputs"]) == [i.name for i in INPUTS]
    options = check_options()
    for item in INPUTS:
        assert item.option is None or item.option in options, item
    for name in ("image", "context", "dockerfile", "policy", "sarif-file", "fail-on",
                 "comment", "github-token"):
        assert name in action["inputs"]
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    env = action["runs"]["env"]
    for item in INPUTS:
        key = "GATE_GITHUB_TOKEN" if item.kind == "token" else \
            "INPUT_" + item.name.upper().replace("-", "_")
        assert env[key] == f"${{{{ inputs.{item.name} }}}}"
    assert len(env) == len(INPUTS)
    # booleans default to the YAML core schema's "true"
    for name in ("comment", "summary", "annotations"):
        assert action["inputs"][name]["default"] == "true"


def test_action_outputs_are_the_step_outputs(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    written = {name: Path(f"{name}.out") for name in ("sarif", "json", "junit", "markdown")}
    produced = step_outputs(sample_report(tmp_path), written, "https://example.invalid/c")
    assert set(action["outputs"]) == set(produced)


# -- GitLab component -------------------------------------------------------------------------


def gitlab_component() -> tuple[dict[str, Any], str]:
    text = (ROOT / "templates" / "gitlab" / "template.yml").read_text()
    header, body = text.split("\n---\n", 1)
    spec = yaml.safe_load(header)["spec"]
    return spec, body


def render_component(body: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """GitLab's interpolation: ``$[[ inputs.NAME ]]`` replaced by the input's value, typed
    when the interpolation is the whole YAML value."""
    def value(match: re.Match[str]) -> str:
        item = inputs[match.group(1)]
        return json.dumps(item) if not isinstance(item, str) else item

    return yaml.safe_load(re.sub(r"\$\[\[ inputs\.(\w+) \]\]", value, body))


def test_gitlab_component_spec_and_job() -> None:
    spec, body = gitlab_component()
    inputs = spec["inputs"]
    for name in ("image", "context", "policy", "stage", "job_name", "allow_failure",
                 "gate_image", "needs", "baseline", "comment"):
        assert name in inputs
    assert inputs["allow_failure"]["type"] == "boolean"
    used = set(re.findall(r"\$\[\[ inputs\.(\w+) \]\]", body))
    assert used == set(inputs)  # every input used, none undeclared
    defaults = {name: item.get("default") for name, item in inputs.items()}
    job = render_component(body, defaults)["gate"]
    assert job["stage"] == "test" and job["allow_failure"] is False and job["needs"] == []
    assert job["image"] == {"name": "ghcr.io/gate-security/gate:0.1.0", "entrypoint": [""]}
    reports = job["artifacts"]["reports"]
    assert reports == {
        "container_scanning": "gl-container-scanning-report.json",
        "secret_detection": "gl-secret-detection-report.json",
        "codequality": "gl-code-quality-report.json",
        "junit": "gate-junit.xml",
    }
    script = "\n".join(job["script"])
    for path in reports.values():
        assert path in script  # the job writes what it declares
    assert gate_options_in(script) - {"--ci"} <= check_options()
    assert job["artifacts"]["when"] == "always"


def run_gitlab_job(workspace: Path, env: dict[str, str], inputs: dict[str, Any],
                   ci: dict[str, str]) -> subprocess.CompletedProcess[str]:
    spec, body = gitlab_component()
    values = {name: item.get("default") for name, item in spec["inputs"].items()}
    values.update(inputs)
    job = render_component(body, values)[values["job_name"]]
    job_env = {**env, **{k: str(v) for k, v in job["variables"].items()}, **ci}
    job_env["GATE_CACHE_DIR"] = str(workspace / ".gate-cache")
    return subprocess.run(["sh", "-c", "\n".join(job["script"])], cwd=workspace, env=job_env,
                          capture_output=True, text=True, timeout=300)


def test_gitlab_job_script_runs(workspace: Path, gate_on_path: dict[str, str]) -> None:
    ci = {"CI_COMMIT_REF_NAME": "main", "CI_DEFAULT_BRANCH": "main", "CI_JOB_NAME": "gate",
          "CI_COMMIT_SHA": "d" * 40}
    proc = run_gitlab_job(workspace, gate_on_path,
                          {"context": "ctx", "checks": "secrets", "comment": False,
                           "args": "--quiet --api-timeout 3"}, ci)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "FAIL: blocked by policy, 2 violation(s)\n"  # --quiet reached gate
    for name in ("gl-container-scanning-report.json", "gl-secret-detection-report.json",
                 "gl-code-quality-report.json", "gate-junit.xml", "gate-report.json",
                 "gate.sarif", "gate-report.md"):
        text = (workspace / name).read_text()
        for raw in REAL_SECRETS:
            assert raw not in text
    secret = json.loads((workspace / "gl-secret-detection-report.json").read_text())
    assert {v["location"]["commit"]["sha"] for v in secret["vulnerabilities"]} == {"d" * 40}
    assert "gate: no baseline report (not a GitLab CI job)" in proc.stderr
    # the default branch's report is fetched; unreachable here: a note, no baseline, same
    # verdict
    ci.update(CI_COMMIT_REF_NAME="feature", CI_API_V4_URL="http://127.0.0.1:9/api/v4",
              CI_PROJECT_ID="5", CI_JOB_TOKEN="job-token-" + "q" * 20)
    proc = run_gitlab_job(workspace, gate_on_path,
                          {"context": "ctx", "checks": "secrets", "comment": False}, ci)
    assert proc.returncode == 1
    assert "gate: no baseline report on main (URLError): every finding counts" in proc.stderr
    assert "job-token-" not in proc.stdout + proc.stderr


def test_gitlab_job_with_a_baseline_file(workspace: Path,
                                         gate_on_path: dict[str, str]) -> None:
    ci = {"CI_COMMIT_REF_NAME": "main", "CI_DEFAULT_BRANCH": "main", "CI_JOB_NAME": "gate"}
    first = run_gitlab_job(workspace, gate_on_path,
                           {"context": "ctx", "checks": "secrets", "comment": False}, ci)
    assert first.returncode == 1
    (workspace / "gate-report.json").rename(workspace / "main-report.json")
    policy = workspace / "new.toml"
    policy.write_text('extends = "default"\ngate_on = "new"\n')
    proc = run_gitlab_job(workspace, gate_on_path,
                          {"context": "ctx", "checks": "secrets", "comment": False,
                           "baseline": "main-report.json", "policy": "new.toml"}, ci)
    assert proc.returncode == 0, proc.stdout
    summary = json.loads((workspace / "gate-report.json").read_text())["summary"]
    assert summary["new"] == 0 and summary["fixed"] == 0


def test_gitlab_job_fetches_the_default_branch_baseline(
    workspace: Path, gate_on_path: dict[str, str]
) -> None:
    from tests.integrations.fake_forge import FakeForge

    job_token = "job-token-" + "k" * 20
    forge = FakeForge("unused", "unused", job_token=job_token).start()
    try:
        ci = {"CI_COMMIT_REF_NAME": "main", "CI_DEFAULT_BRANCH": "release/1.x",
              "CI_JOB_NAME": "gate scan", "CI_API_V4_URL": f"{forge.url}/api/v4",
              "CI_PROJECT_ID": "5", "CI_JOB_TOKEN": job_token}
        inputs = {"context": "ctx", "checks": "secrets", "comment": False,
                  "job_name": "gate scan"}
        first = run_gitlab_job(workspace, gate_on_path, inputs, ci)
        assert first.returncode == 1
        forge.artifacts[("5", "release/1.x", "gate-report.json", "gate scan")] = (
            workspace / "gate-report.json").read_bytes()
        (workspace / "ctx" / "deploy" / "pay.env").unlink()  # one secret fixed
        (workspace / "new.toml").write_text('extends = "default"\ngate_on = "new"\n')
        ci["CI_COMMIT_REF_NAME"] = "feature"
        proc = run_gitlab_job(workspace, gate_on_path, {**inputs, "policy": "new.toml"}, ci)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        fetch = forge.requests[-1]
        assert fetch.path == "/api/v4/projects/5/jobs/artifacts/release%2F1.x/raw/gate-report.json"
        assert fetch.query == {"job": ["gate scan"]}
        # HTTP header names are case-insensitive (urllib sends "Job-token")
        assert {k.lower(): v for k, v in fetch.headers.items()}["job-token"] == job_token
        summary = json.loads((workspace / "gate-report.json").read_text())["summary"]
        assert summary["new"] == 0 and summary["fixed"] == 1
        assert job_token not in proc.stdout + proc.stderr
    finally:
        forge.stop()


# -- Tekton -------------------------------------------------------------------------------------


def test_tekton_task_runs(workspace: Path, gate_on_path: dict[str, str],
                          tmp_path: Path) -> None:
    task = yaml.safe_load((ROOT / "templates" / "tekton" / "gate-task.yaml").read_text())
    assert task["apiVersion"] == "tekton.dev/v1" and task["kind"] == "Task"
    spec = task["spec"]
    params = {p["name"]: p.get("default", "") for p in spec["params"]}
    for name in ("image", "context", "policy", "fail-on", "checks", "baseline"):
        assert name in params
    results = [r["name"] for r in spec["results"]]
    assert {"verdict", "exit-code", "findings", "blocking", "critical"} <= set(results)
    assert [w["name"] for w in spec["workspaces"]] == ["source"]
    (step,) = spec["steps"]
    assert "$(params." not in step["script"]  # parameters only through the environment
    assert gate_options_in(step["script"]) <= check_options()
    params.update(context="ctx", checks="secrets", **{"extra-args": "--quiet --no-cache"})
    results_dir = tmp_path / "tekton-results"
    results_dir.mkdir()

    def substitute(text: str) -> str:
        text = re.sub(r"\$\(params\.([\w-]+)\)", lambda m: params[m.group(1)], text)
        text = re.sub(r"\$\(results\.([\w-]+)\.path\)",
                      lambda m: str(results_dir / m.group(1)), text)
        return text.replace("$(workspaces.source.path)", str(workspace))

    env = {**gate_on_path, **{e["name"]: substitute(e["value"]) for e in step["env"]}}
    script = tmp_path / "step.sh"
    script.write_text(substitute(step["script"]))
    proc = subprocess.run(["sh", str(script)], cwd=substitute(step["workingDir"]), env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "FAIL: blocked by policy, 2 violation(s)\n"  # extra-args reached gate
    got = {name: (results_dir / name).read_text() for name in results}
    assert got == {"verdict": "fail", "exit-code": "1", "findings": "3", "blocking": "3",
                   "critical": "2", "high": "1", "medium": "0", "new": "0"}
    assert (workspace / "gate-reports" / "gate.sarif").is_file()
    # fail-on-block "false": the Task succeeds, the result still says fail
    params["fail-on-block"] = "false"
    env = {**gate_on_path, **{e["name"]: substitute(e["value"]) for e in step["env"]}}
    proc = subprocess.run(["sh", str(script)], cwd=workspace, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and (results_dir / "verdict").read_text() == "fail"


# -- Jenkins, Dockerfile ----------------------------------------------------------------------


def test_jenkinsfile_records_sarif_and_junit() -> None:
    text = (ROOT / "examples" / "jenkins" / "Jenkinsfile").read_text()
    assert re.search(r"agent \{\s*docker \{\s*image 'ghcr\.io/gate-security/gate:", text)
    assert "recordIssues(" in text and "sarif(pattern: 'gate.sarif'" in text
    assert "junit(testResults: 'gate-junit.xml'" in text
    (script,) = re.findall(r"script: '''(.*?)'''", text, re.S)
    assert gate_options_in(script) <= check_options()
    assert "--sarif gate.sarif" in script and "--junit gate-junit.xml" in script
    assert text.count("{") == text.count("}")


def test_dockerfile_is_multi_stage_non_root_pinned() -> None:
    text = (ROOT / "Dockerfile").read_text()
    default = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, re.M)
    assert default is not None and re.search(r"@sha256:[0-9a-f]{64}$", default.group(1))
    assert re.findall(r"^FROM (.+)$", text, re.M) == ["${BASE_IMAGE} AS build", "${BASE_IMAGE}"]
    final = text.split("\nFROM ${BASE_IMAGE}\n", 1)[1]
    assert re.search(r"^USER \$\{GATE_UID\}:\$\{GATE_UID\}$", final, re.M)
    assert re.search(r"^ARG GATE_UID=(\d+)$", final, re.M).group(1) != "0"  # type: ignore[union-attr]
    assert "RUN " not in final  # nothing is installed or built in the final stage
    assert re.search(r'^ENTRYPOINT \["gate"\]$', final, re.M)
    for label in ("source", "revision", "version"):
        assert f"org.opencontainers.image.{label}=" in final
    assert "pip uninstall --yes pip setuptools" in text
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert ignore[ignore.index("*") + 1:][:3] == ["!pyproject.toml", "!gate/", "!policies/"]
