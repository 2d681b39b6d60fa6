"""``gate ci github|gitlab|tekton``: the inputs of the CI templates become ``gate check`` options.

The GitHub Action (``action.yml``), the GitLab CI/CD component (``templates/gitlab/``) and the
Tekton Task (``templates/tekton/``) expose the same ``gate check`` options. Each template hands
its inputs to the gate image as environment variables, never spliced into a script or a
command line (a value could hold shell syntax, and a token must not be visible to every
process): ``action.yml`` maps input ``NAME`` to ``INPUT_<NAME>`` (``-`` turned into ``_``: a
variable name with a hyphen is not reliably passed into a Docker action's container) and
``github-token`` to ``GATE_GITHUB_TOKEN``; the GitLab job and the Tekton step map each input or
param to ``GATE_INPUT_<NAME>``. :data:`CHECK_INPUTS` is the one table of the options every
template exposes, :func:`inputs_for` adds each template's own, and the tests hold these tables
equal to the templates' inputs and to the options ``gate check`` has.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from gate.errors import UsageError

Kind = Literal["value", "list", "list-one-option", "optional-value", "flag-if-false", "token",
               "args", "switch"]
Platform = Literal["github", "gitlab", "tekton"]
PLATFORMS: tuple[Platform, ...] = ("github", "gitlab", "tekton")


@dataclass(frozen=True)
class Input:
    name: str
    """The input's name: the ``action.yml`` input and the Tekton param as written; the GitLab
    spec input with ``_`` for ``-`` (GitLab's own spelling)."""
    option: str | None
    """The ``gate check`` option it becomes; None for the token (environment only) and the
    free-form options."""
    kind: Kind = "value"
    """``value``: ``--option VALUE`` when set; ``list``: one ``--option ITEM`` per item (items
    on separate lines or separated by commas, as docker/build-push-action reads its list
    inputs); ``list-one-option``: ``--option ITEM ITEM...`` (an option taking several
    values); ``optional-value``: ``true`` gives the bare ``--option``, another value
    ``--option VALUE``, ``false`` nothing; ``flag-if-false``: ``--option`` when the boolean
    input is false; ``token``: passed on in the environment; ``args``: more options, split like
    a shell would; ``switch``: a boolean that runs :attr:`command` at all."""
    command: Literal["check", "db update"] = "check"
    """The gate command the input is an option of: ``db update`` runs before the check."""

    def spelled_for(self, platform: Platform) -> str:
        return self.name.replace("-", "_") if platform == "gitlab" else self.name


CHECK_INPUTS: tuple[Input, ...] = (
    # what to check
    Input("image", "--image"),
    Input("sbom", "--sbom"),
    Input("context", "--context"),
    Input("dockerfile", "--dockerfile"),
    Input("dockerfiles", "--dockerfiles", "list-one-option"),
    Input("target", "--target"),
    Input("platform", "--platform"),
    Input("repo-root", "--repo-root"),
    # policy
    Input("policy", "--policy"),
    Input("checks", "--checks"),
    Input("fail-on", "--fail-on"),
    Input("baseline", "--baseline"),
    # vulnerabilities
    Input("vuln-db", "--vuln-db", "list"),
    Input("osv-api", "--osv-api", "optional-value"),
    Input("db-dir", "--db-dir"),
    Input("vex", "--vex", "list"),
    Input("trivy-json", "--trivy-json", "list"),
    Input("grype-json", "--grype-json", "list"),
    # signatures
    Input("trusted-root", "--trusted-root"),
    Input("signature-source", "--signature-source"),
    # configuration
    Input("compliance", "--compliance", "optional-value"),
    Input("base-image", "--base-image"),
    # registry
    Input("registry-ca-bundle", "--registry-ca-bundle"),
    Input("insecure-registry", "--insecure-registry", "list"),
    Input("registry-timeout", "--registry-timeout"),
    Input("registry-retries", "--registry-retries"),
)
"""The ``gate check`` options every CI template exposes, in ``gate check --help`` order."""

DB_INPUTS: tuple[Input, ...] = (
    Input("db-update", None, "switch", "db update"),
    Input("db-ecosystems", "--ecosystems", "value", "db update"),
)
"""``gate db update`` before the check, into ``db-dir`` (or the default database directory,
under ``GATE_CACHE_DIR``), so the vulnerabilities check has a current database."""

_GITHUB_INPUTS: tuple[Input, ...] = (
    Input("sarif-file", "--sarif"),
    Input("json-file", "--json"),
    Input("junit-file", "--junit"),
    Input("markdown-file", "--markdown"),
    Input("comment", "--no-comment", "flag-if-false"),
    Input("summary", "--no-summary", "flag-if-false"),
    Input("annotations", "--no-annotations", "flag-if-false"),
    Input("args", None, "args"),
    Input("github-token", None, "token"),
)
_GITLAB_INPUTS: tuple[Input, ...] = (
    Input("comment", "--no-comment", "flag-if-false"),
    Input("args", None, "args"),
)
_TEKTON_INPUTS: tuple[Input, ...] = (Input("extra-args", None, "args"),)


def inputs_for(platform: Platform) -> tuple[Input, ...]:
    """Every input of one template that becomes part of the ``gate check`` command (the
    templates have more: job name, stage, image to run, ...)."""
    own = {"github": _GITHUB_INPUTS, "gitlab": _GITLAB_INPUTS, "tekton": _TEKTON_INPUTS}
    return CHECK_INPUTS + DB_INPUTS + own[platform]


def variable_of(item: Input, platform: Platform) -> str:
    """The environment variable the template sets for ``item``."""
    if item.kind == "token":
        return "GATE_GITHUB_TOKEN"
    prefix = "INPUT_" if platform == "github" else "GATE_INPUT_"
    return prefix + item.name.upper().replace("-", "_")


_TEMPLATE: dict[Platform, str] = {
    "github": "action input", "gitlab": "component input", "tekton": "Task param"
}

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")
"""YAML 1.2 core schema booleans, as actions/toolkit's ``getBooleanInput`` accepts them."""


def input_value(env: Mapping[str, str], item: Input, platform: Platform) -> str:
    """The input's value, trimmed; ``""`` when unset. For GitHub ``INPUT_FAIL_ON`` first,
    then the runner's own spelling ``INPUT_FAIL-ON``."""
    keys = [variable_of(item, platform)]
    if platform == "github" and item.kind != "token":
        keys.append("INPUT_" + item.name.upper().replace(" ", "_"))
    for key in keys:
        value = env.get(key)
        if value is not None and value.strip():
            return value.strip()
    return ""


def _items(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\n]", value) if item.strip()]


def _boolean(label: str, value: str) -> bool:
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise UsageError(f"{label}: {value!r} is not a boolean (true or false)")


def options_of(item: Input, value: str, label: str | None = None) -> list[str]:
    """The ``gate check`` arguments for one input's (non-empty) value; ``label`` names the
    input in messages."""
    label = label or f"input {item.name}"
    if item.kind == "args":
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise UsageError(f"{label}: {exc}") from None
    if item.option is None:
        return []
    if item.kind == "flag-if-false":
        return [] if _boolean(label, value) else [item.option]
    if item.kind == "optional-value":
        if value in _TRUE:
            return [item.option]
        return [] if value in _FALSE else [item.option, value]
    if item.kind == "list":
        return [arg for part in _items(value) for arg in (item.option, part)]
    if item.kind == "list-one-option":
        parts = _items(value)
        return [item.option, *parts] if parts else []
    return [item.option, value]


def ci_argv(platform: Platform, env: Mapping[str, str], fixed: tuple[str, ...] = ()) -> list[str]:
    """The ``gate`` argument vector of ``gate ci PLATFORM [FIXED...]``: ``check``, ``--ci`` for
    the platforms gate posts back to, the template's fixed options, then its inputs."""
    argv = ["check"]
    if platform in ("github", "gitlab"):
        argv += ["--ci", platform]
    argv += fixed
    return argv + _options(platform, env, "check")


def db_update_argv(platform: Platform, env: Mapping[str, str]) -> list[str] | None:
    """``gate db update`` with the ``db-dir`` and ``db-ecosystems`` inputs when the template's
    ``db-update`` input is true, else None."""
    (switch,) = [item for item in DB_INPUTS if item.kind == "switch"]
    value = input_value(env, switch, platform)
    if not value or not _boolean(f"{_TEMPLATE[platform]} {switch.spelled_for(platform)}", value):
        return None
    argv = ["db", "update", "--no-progress"]
    (db_dir,) = [item for item in CHECK_INPUTS if item.name == "db-dir"]
    directory = input_value(env, db_dir, platform)
    if directory:
        argv += [db_dir.option or "", directory]
    return argv + _options(platform, env, "db update")


def _options(platform: Platform, env: Mapping[str, str], command: str) -> list[str]:
    argv: list[str] = []
    for item in inputs_for(platform):
        value = input_value(env, item, platform)
        if value and item.command == command:
            label = f"{_TEMPLATE[platform]} {item.spelled_for(platform)}"
            argv += options_of(item, value, label)
    return argv


def github_token(env: Mapping[str, str]) -> str | None:
    """The action's ``github-token`` input."""
    (token,) = [item for item in _GITHUB_INPUTS if item.kind == "token"]
    return input_value(env, token, "github") or None


__all__ = [
    "CHECK_INPUTS",
    "DB_INPUTS",
    "PLATFORMS",
    "Input",
    "Platform",
    "ci_argv",
    "db_update_argv",
    "github_token",
    "input_value",
    "inputs_for",
    "options_of",
    "variable_of",
]
