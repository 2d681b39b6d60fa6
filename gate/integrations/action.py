"""``gate ci github``: the entrypoint of the GitHub Action (``action.yml``).

GitHub passes a Docker action's inputs as environment variables. ``action.yml`` maps each
input explicitly to ``INPUT_<NAME>`` with ``-`` turned into ``_`` (a variable name with a hyphen
is not reliably passed into the container), and ``github-token`` to ``GATE_GITHUB_TOKEN``, so
the token never appears on a command line. This module turns those variables into
``gate check --ci github`` options: :data:`INPUTS` is the one table of them, and the tests hold
it equal to ``action.yml``'s inputs and to the options ``gate check`` has.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from gate.errors import UsageError

Kind = Literal["value", "flag-if-false", "token", "args"]


@dataclass(frozen=True)
class Input:
    name: str
    """The action input (``action.yml`` ``inputs:`` key)."""
    option: str | None
    """The ``gate check`` option it becomes; None for the token (environment only)."""
    kind: Kind = "value"
    """``value``: ``--option VALUE`` when set; ``flag-if-false``: ``--option`` when the boolean
    input is false; ``token``: passed on in the environment; ``args``: more options, split
    like a shell would (for the options of every check, e.g. ``--osv-api``)."""


INPUTS: tuple[Input, ...] = (
    Input("image", "--image"),
    Input("context", "--context"),
    Input("dockerfile", "--dockerfile"),
    Input("target", "--target"),
    Input("platform", "--platform"),
    Input("repo-root", "--repo-root"),
    Input("policy", "--policy"),
    Input("checks", "--checks"),
    Input("fail-on", "--fail-on"),
    Input("baseline", "--baseline"),
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

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")
"""YAML 1.2 core schema booleans, as actions/toolkit's ``getBooleanInput`` accepts them."""


def input_value(env: Mapping[str, str], name: str) -> str:
    """The input's value, trimmed; ``""`` when unset. ``INPUT_FAIL_ON`` first, then the
    runner's own spelling ``INPUT_FAIL-ON``."""
    upper = name.upper().replace(" ", "_")
    for key in (f"INPUT_{upper.replace('-', '_')}", f"INPUT_{upper}"):
        value = env.get(key)
        if value is not None and value.strip():
            return value.strip()
    return ""


def action_argv(env: Mapping[str, str]) -> list[str]:
    """The ``gate`` argument vector for the action's inputs in ``env``."""
    argv = ["check", "--ci", "github"]
    for item in INPUTS:
        value = input_value(env, item.name)
        if item.kind == "args" and value:
            try:
                argv += shlex.split(value)
            except ValueError as exc:
                raise UsageError(f"action input {item.name}: {exc}") from None
            continue
        if not value or item.option is None:
            continue
        if item.kind == "flag-if-false":
            if value in _FALSE:
                argv.append(item.option)
            elif value not in _TRUE:
                raise UsageError(
                    f"action input {item.name}: {value!r} is not a boolean (true or false)"
                )
        else:
            argv += [item.option, value]
    return argv


def token_from_inputs(env: Mapping[str, str]) -> str | None:
    return input_value(env, "github-token") or None


__all__ = ["INPUTS", "Input", "action_argv", "input_value", "token_from_inputs"]
