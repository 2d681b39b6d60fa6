"""docs/ci.md: its copy-paste examples parse and use only inputs, params and options that
exist (the action's inputs, the component's spec, the Task's params, gate check's options)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.test_ci_templates import (
    check_options,
    command_options,
    gate_options_in,
    gitlab_component,
)

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


def yaml_blocks() -> list[Any]:
    return [yaml.safe_load(block) for block in blocks("yaml")]


def test_github_workflow() -> None:
    (workflow,) = [doc for doc in yaml_blocks() if "jobs" in doc]
    assert workflow["permissions"]["security-events"] == "write"
    assert workflow["permissions"]["pull-requests"] == "write"
    steps = workflow["jobs"]["gate"]["steps"]
    gate = next(s for s in steps if s.get("uses", "").startswith("gate-security/gate@"))
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(gate["with"]) <= set(action["inputs"])
    upload = next(s for s in steps if s.get("uses", "").startswith(
        "github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == gate["with"]["sarif-file"]
    assert "always" in upload["if"] or "cancelled" in upload["if"]
    # the advisory database: cached where the gate step updates and reads it, before it
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@")
                 and s["with"]["path"] == gate["with"]["db-dir"])
    assert steps.index(cache) < steps.index(gate) and gate["with"]["db-update"] is True
    assert "restore-keys" in cache["with"]
    documented = DOC[DOC.index("Inputs (all optional"):DOC.index("**Several images**")]
    assert set(re.findall(r"`([a-z][\w-]+)`", documented)) >= set(action["inputs"])


def test_gitlab_include() -> None:
    spec, _ = gitlab_component()
    (pipeline,) = [doc for doc in yaml_blocks() if "include" in doc]
    (include,) = pipeline["include"]
    assert include["component"].endswith("/gitlab@0.1.0")
    assert set(include["inputs"]) <= set(spec["inputs"])
    assert include["inputs"]["db_update"] is True
    assert spec["inputs"]["db_update"]["type"] == "boolean"
    assert pipeline["build"]["artifacts"]["paths"] == ["image.tar"]
    documented = re.search(r"Inputs: (.*?)\n\n", DOC[DOC.index("## GitLab"):], re.S)
    assert documented is not None
    assert set(re.findall(r"`(\w+)`", documented.group(1))) >= set(spec["inputs"])


def test_tekton_pipeline() -> None:
    task = yaml.safe_load((ROOT / "templates" / "tekton" / "gate-task.yaml").read_text())
    params = {p["name"] for p in task["spec"]["params"]}
    documented = DOC[DOC.index("`templates/tekton/gate-task.yaml` is a Task"):]
    documented = documented[:documented.index("```")]
    assert set(re.findall(r"`([a-z][\w-]+)`", documented)) >= params
    (pipeline,) = [doc for doc in yaml_blocks() if doc.get("kind") == "Pipeline"]
    gate = next(t for t in pipeline["spec"]["tasks"] if t["name"] == "gate")
    assert {p["name"] for p in gate["params"]} <= params
    results = {r["name"] for r in task["spec"]["results"]}
    assert re.findall(r"tasks\.gate\.results\.([\w-]+)", DOC) and set(
        re.findall(r"tasks\.gate\.results\.([\w-]+)", DOC)) <= results


def test_shell_and_groovy_use_real_options() -> None:
    options = check_options()
    commands = [
        command
        for block in blocks("sh") + blocks("groovy")
        for command in re.findall(r"gate check[^\n]*(?:\\\n[^\n]*)*", block)
    ]
    assert len(commands) >= 3
    for command in commands:
        assert gate_options_in(command) <= options, command
    updates = [c for block in blocks("sh") for c in re.findall(r"gate db update[^\n]*", block)]
    assert updates
    for command in updates:
        assert gate_options_in(command) <= command_options("db", "update"), command


def test_every_format_and_option_is_documented() -> None:
    from gate.reporters.formats import FORMATS

    for fmt in FORMATS:
        if fmt.name != "console":
            assert f"| `{fmt.name}` |" in DOC
        if fmt.option:
            assert f"`{fmt.option} FILE`" in DOC
    for option in ("--ci", "--no-comment", "--no-summary", "--no-annotations", "--api-timeout",
                   "--format"):
        assert f"`{option}" in DOC
