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
from gate.integrations.ci_inputs import (
    CHECK_INPUTS,
    PLATFORMS,
    Platform,
    ci_argv,
    inputs_for,
    variable_of,
)
from gate.integrations.publish import step_outputs
from tests.reporters.ci_samples import REAL_SECRETS, secrets_context
from tests.reporters.samples import sample_report

ROOT = Path(__file__).resolve().parents[1]


def command_options(*command: str) -> set[str]:
    """The option strings of ``gate COMMAND...`` (e.g. ``check``, ``db update``)."""
    parser: Any = cli.build_parser()
    for name in command:
        parser = parser._subparsers._group_actions[0].choices[name]
    return {s for a in parser._actions for s in a.option_strings}


def check_options() -> set[str]:
    return command_options("check")


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


# -- every template, every option --------------------------------------------------------------

NOT_INPUTS = {
    "-h": "help",
    "--help": "help",
    "--ci": "set by each template (gate ci github|gitlab)",
    "--sarif": "report files: action inputs sarif-file, json-file, junit-file, markdown-file; "
    "the GitLab job and the Tekton Task always write them",
    "--json": "as --sarif",
    "--junit": "as --sarif",
    "--markdown": "as --sarif",
    "--gitlab-container-scanning": "the GitLab reports the component always writes",
    "--gitlab-secret-detection": "as --gitlab-container-scanning",
    "--codequality": "as --gitlab-container-scanning",
    "--no-comment": "the boolean input comment",
    "--no-summary": "the boolean input summary (GitHub)",
    "--no-annotations": "the boolean input annotations (GitHub)",
    "--quiet": "console output: through args",
    "--no-progress": "the templates pass it; the action's log is not a terminal",
    "--format": "console output: through args",
    "--api-timeout": "through args",
    "--cache-dir": "the GitLab job and the Tekton Task set GATE_CACHE_DIR; through args",
    "--no-cache": "through args",
    "--jobs": "one worker per CPU of the runner; through args",
}
"""Every ``gate check`` option no template exposes as an input of its own, and why."""

PIPELINE_NEEDS = {
    "vuln-db", "osv-api", "db-dir", "vex", "trivy-json", "grype-json", "sbom", "trusted-root",
    "signature-source", "registry-ca-bundle", "insecure-registry", "platform", "target",
    "compliance", "dockerfiles", "base-image", "baseline", "fail-on", "checks",
}


def test_every_check_option_is_an_input_or_excluded_with_a_reason() -> None:
    exposed = {item.option for item in CHECK_INPUTS}
    assert exposed.isdisjoint(NOT_INPUTS)
    # A new gate check option fails here until it is an input of every template or listed
    # in NOT_INPUTS with the reason.
    assert check_options() - exposed == set(NOT_INPUTS)
    assert {item.name for item in CHECK_INPUTS} >= PIPELINE_NEEDS


def template_inputs(platform: Platform) -> tuple[dict[str, Any], dict[str, str]]:
    """The inputs a template declares, and the environment variable -> input it sets."""
    if platform == "github":
        action = yaml.safe_load((ROOT / "action.yml").read_text())
        env = action["runs"]["env"]
        pattern = r"\$\{\{ inputs\.([\w-]+) \}\}"
        return action["inputs"], {k: re.fullmatch(pattern, v).group(1)  # type: ignore[union-attr]
                                  for k, v in env.items()}
    if platform == "gitlab":
        spec, body = gitlab_component()
        variables = yaml.safe_load(body)["$[[ inputs.job_name ]]"]["variables"]
        return spec["inputs"], {
            k: m.group(1) for k, v in variables.items()
            if (m := re.fullmatch(r"\$\[\[ inputs\.(\w+) \]\]", str(v)))
        }
    task = yaml.safe_load((ROOT / "templates" / "tekton" / "gate-task.yaml").read_text())
    (step,) = task["spec"]["steps"]
    return {p["name"]: p for p in task["spec"]["params"]}, {
        e["name"]: m.group(1) for e in step["env"]
        if (m := re.fullmatch(r"\$\(params\.([\w-]+)\)", e["value"]))
    }


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_template_declares_and_passes_every_input(platform: Platform) -> None:
    declared, passed = template_inputs(platform)
    for item in inputs_for(platform):
        name = item.spelled_for(platform)
        assert name in declared, (platform, name)
        assert passed[variable_of(item, platform)] == name, (platform, name)
        default = declared[name].get("default", "")
        if item.kind == "flag-if-false":
            assert str(default).lower() == "true"
        elif item in CHECK_INPUTS and item.name not in ("context", "baseline"):
            assert default == "", (platform, name)  # unset: gate's own default applies
    # nothing passed that gate ci does not read
    known = {variable_of(item, platform) for item in inputs_for(platform)}
    assert set(passed) - known <= {"REPORTS", "FAIL_ON_BLOCK"}


SAMPLE_INPUTS = {
    "image": "registry.invalid/team/app:1.4",
    "sbom": "app.cdx.json",
    "context": "ctx",
    "dockerfile": "ctx/Dockerfile",
    "dockerfiles": "svc/a/Dockerfile\nsvc/b/Dockerfile, svc/c dir/Dockerfile\n",
    "target": "runtime",
    "platform": "linux/arm64/v8",
    "repo-root": ".",
    "policy": ".gate/policy.toml",
    "checks": "secrets,vulnerabilities",
    "fail-on": "high",
    "baseline": "main-report.json",
    "vuln-db": "db/one.zip\ndb/two",
    "osv-api": "true",
    "db-dir": ".gate-db",
    "vex": "vex/a.json,vex/b.json",
    "trivy-json": "trivy.json",
    "grype-json": "grype one.json",
    "trusted-root": "trusted_root.json",
    "signature-source": "registry.invalid/team/signatures",
    "compliance": "cis-docker,pci-dss",
    "base-image": "debian:bookworm-slim",
    "registry-ca-bundle": "ca.pem",
    "insecure-registry": "registry.internal:5000\nmirror.internal",
    "registry-timeout": "45",
    "registry-retries": "5",
}
PARSED = {
    "image": "registry.invalid/team/app:1.4",
    "sbom": Path("app.cdx.json"),
    "context": Path("ctx"),
    "dockerfile": Path("ctx/Dockerfile"),
    "dockerfiles": [Path("svc/a/Dockerfile"), Path("svc/b/Dockerfile"),
                    Path("svc/c dir/Dockerfile")],
    "target": "runtime",
    "platform": "linux/arm64/v8",
    "repo_root": Path("."),
    "policy": Path(".gate/policy.toml"),
    "checks": (cli.Check.SECRETS, cli.Check.VULNERABILITIES),
    "fail_on": "high",
    "baseline": Path("main-report.json"),
    "vuln_db": [Path("db/one.zip"), Path("db/two")],
    "osv_api": "https://api.osv.dev",
    "db_dir": Path(".gate-db"),
    "vex": [Path("vex/a.json"), Path("vex/b.json")],
    "trivy_json": [Path("trivy.json")],
    "grype_json": [Path("grype one.json")],
    "trusted_root": Path("trusted_root.json"),
    "signature_source": "registry.invalid/team/signatures",
    "compliance": "cis-docker,pci-dss",
    "base_image": "debian:bookworm-slim",
    "registry_ca_bundle": "ca.pem",
    "insecure_registry": ["registry.internal:5000", "mirror.internal"],
    "registry_timeout": 45.0,
    "registry_retries": 5,
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_input_reaches_gate_check(platform: Platform,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("GATE_")]:
        monkeypatch.delenv(name)  # the CLI's own environment defaults must not mask an input
    assert set(SAMPLE_INPUTS) == {item.name for item in CHECK_INPUTS}
    env = {variable_of(item, platform): SAMPLE_INPUTS[item.name] for item in CHECK_INPUTS}
    argv = ci_argv(platform, env, ("--no-progress",))
    prefix = ["check"] + ([] if platform == "tekton" else ["--ci", platform]) + ["--no-progress"]
    assert argv[:len(prefix)] == prefix  # the template's fixed options, then the inputs
    args = cli.build_parser().parse_args(argv)
    assert {name: getattr(args, name) for name in PARSED} == PARSED
    assert args.ci == (None if platform == "tekton" else platform)
    assert args.no_progress
    # the other spelling of a boolean, and an optional-value input given its value
    env[variable_of(next(i for i in CHECK_INPUTS if i.name == "osv-api"), platform)] = \
        "https://osv.internal"
    assert cli.build_parser().parse_args(ci_argv(platform, env)).osv_api == "https://osv.internal"
    env[variable_of(next(i for i in CHECK_INPUTS if i.name == "compliance"), platform)] = "true"
    assert cli.build_parser().parse_args(ci_argv(platform, env)).compliance == ""
    env[variable_of(next(i for i in CHECK_INPUTS if i.name == "compliance"), platform)] = "false"
    assert cli.build_parser().parse_args(ci_argv(platform, env)).compliance is None


# -- GitHub Action ----------------------------------------------------------------------------


def test_action_inputs_mirror_the_cli() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "docker"
    assert action["runs"]["image"] == "Dockerfile"
    assert action["runs"]["args"] == ["ci", "github"]
    inputs = inputs_for("github")
    assert list(action["inputs"]) == [i.name for i in inputs]
    for item in inputs:
        assert item.option is None or item.option in command_options(*item.command.split()), item
    for name in ("image", "context", "dockerfile", "policy", "sarif-file", "fail-on",
                 "comment", "github-token"):
        assert name in action["inputs"]
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    env = action["runs"]["env"]
    for item in inputs:
        assert env[variable_of(item, "github")] == f"${{{{ inputs.{item.name} }}}}"
    assert len(env) == len(inputs)
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
    """GitLab's interpolation, done on the parsed YAML as GitLab does it: ``$[[ inputs.NAME ]]``
    replaced by the input's value, typed when the interpolation is the whole value (keys
    included), so a value holding newlines or quotes stays one value."""
    pattern = re.compile(r"\$\[\[ inputs\.(\w+) \]\]")

    def text(item: Any) -> str:
        return item if isinstance(item, str) else json.dumps(item)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {walk(k): walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str):
            whole = pattern.fullmatch(node)
            if whole:
                return inputs[whole.group(1)]
            return pattern.sub(lambda m: text(inputs[m.group(1)]), node)
        return node

    rendered: dict[str, Any] = walk(yaml.safe_load(body))
    return rendered


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


def jinja2_image(path: Path) -> None:
    """A docker-archive whose one package, Jinja2 2.10, has two PyPA advisories."""
    from gate.testing.image_writer import ImageSpec, write_docker_archive

    metadata = b"Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\n"
    write_docker_archive(path, [(ImageSpec(layers=[{
        "/usr/lib/python3/site-packages/Jinja2-2.10.dist-info/METADATA": metadata}]),
        ["app:1"])])


def vulnerability_statuses(report_path: Path) -> dict[str, str]:
    report = json.loads(report_path.read_text())
    return {f["vulnerability_id"] or f["rule_id"]: f["status"] for f in report["findings"]}


def test_gitlab_job_checks_an_image_with_a_database_and_vex(
    workspace: Path, gate_on_path: dict[str, str]
) -> None:
    """The vulnerabilities inputs reach the check: an image archive, the advisory database
    (the example's real PyPA records) and an OpenVEX document, each given by its input."""
    import shutil

    jinja2_image(workspace / "image.tar")
    shutil.copytree(ROOT / "examples" / "advisories" / "jinja2", workspace / "advisories")
    (workspace / "vex.json").write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex/1",
        "author": "Security Team", "timestamp": "2024-01-01T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "CVE-2019-10906"},
                        "products": [{"@id": "pkg:pypi/jinja2@2.10"}],
                        "status": "not_affected",
                        "justification": "vulnerable_code_not_in_execute_path"}]}))
    ci = {"CI_COMMIT_REF_NAME": "main", "CI_DEFAULT_BRANCH": "main", "CI_JOB_NAME": "gate"}
    proc = run_gitlab_job(workspace, gate_on_path, {
        "image": "docker-archive:image.tar", "context": "", "checks": "vulnerabilities",
        "vuln_db": "advisories", "vex": "vex.json", "comment": False, "baseline": "",
        "fail_on": "medium"}, ci)
    assert proc.returncode == 1, proc.stderr
    assert vulnerability_statuses(workspace / "gate-report.json") == {
        "CVE-2019-10906": "suppressed", "CVE-2020-28493": "blocking",
        # the example's records are years old: the default policy says so
        "vuln/advisory-database-age": "blocking"}
    scanning = json.loads((workspace / "gl-container-scanning-report.json").read_text())
    assert {i["value"] for v in scanning["vulnerabilities"] for i in v["identifiers"]
            if i["type"] == "cve"} >= {"CVE-2020-28493"}


def test_gitlab_job_updates_the_database_first(
    workspace: Path, gate_on_path: dict[str, str], shared_data: Path
) -> None:
    """db_update: `gate db update` into the job's cache before the check (osv.dev's export
    played by a local mirror, GATE_OSV_EXPORT_URL); the next run asks conditionally."""
    from tests.matchers.helpers import PYPA, http_server
    from tests.matchers.test_db_update import Exports, _zip

    jinja2_image(workspace / "image.tar")
    exports = Exports({"PyPI": _zip(sorted((PYPA / "jinja2").glob("*.json")))})
    ci = {"CI_COMMIT_REF_NAME": "main", "CI_DEFAULT_BRANCH": "main", "CI_JOB_NAME": "gate"}
    inputs = {"image": "docker-archive:image.tar", "context": "", "checks": "vulnerabilities",
              "db_update": True, "db_ecosystems": "PyPI", "comment": False, "baseline": ""}
    with http_server({("GET", "/"): exports}) as url:
        env = {**gate_on_path, "GATE_OSV_EXPORT_URL": url}
        first = run_gitlab_job(workspace, env, inputs, ci)
        second = run_gitlab_job(workspace, env, inputs, ci)
    assert first.returncode == 0, first.stderr  # medium findings: the default policy passes
    assert "advisory database updated" in first.stdout
    assert set(vulnerability_statuses(workspace / "gate-report.json")) == {
        "CVE-2019-10906", "CVE-2020-28493"}
    assert (workspace / ".gate-cache" / "db" / "index.sqlite").is_file()  # in the job's cache
    assert second.returncode == 0
    assert [r.get("If-None-Match") is not None for r in exports.requests] == [False, True]
    # a failed update is exit 2 and no verdict
    with http_server({("GET", "/"): lambda h: (h.send_response(404), h.end_headers())}) as url:
        failed = run_gitlab_job(workspace, {**gate_on_path, "GATE_OSV_EXPORT_URL": url},
                                inputs, ci)
    assert failed.returncode == 2
    assert "gate: error:" in failed.stderr and "PyPI/all.zip: HTTP 404" in failed.stderr


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
    update, check = script.replace("\\\n", " ").strip().splitlines()
    assert update.split()[:3] == ["gate", "db", "update"]
    assert gate_options_in(update) <= command_options("db", "update")
    assert check.split()[:2] == ["gate", "check"]
    assert gate_options_in(check) <= check_options()
    assert "--sarif gate.sarif" in check and "--junit gate-junit.xml" in check
    # the check reads the database the update keeps
    assert re.search(r"--db-dir (\S+)", update).group(1) == re.search(  # type: ignore[union-attr]
        r"--db-dir (\S+)", check).group(1)
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
