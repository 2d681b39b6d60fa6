"""GitHub: one pull request comment per image, the job summary and step outputs.

The comment is found again by its hidden marker (``<!-- gate:report image=<id> -->``, its
first line) among the pull request's issue comments and edited in place, so later runs never
add a second one. REST endpoints (GitHub REST API, "Issue comments"), through PyGithub:

* ``GET /repos/{owner}/{repo}/issues/{number}/comments?per_page=100`` (pages via ``Link``);
* ``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`` ``{"body": ...}``, or
* ``POST /repos/{owner}/{repo}/issues/{number}/comments`` ``{"body": ...}``.

``GITHUB_API_URL`` is honoured (GitHub Enterprise Server: ``https://HOST/api/v3``). PyGithub's
own retries and throttling are off: a rate limit or an error is reported at once, as one line,
never waited out inside a CI job.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate import __version__
from gate.errors import IntegrationError

DEFAULT_API_URL = "https://api.github.com"
_PR_REF = re.compile(r"^refs/pull/(\d+)/(?:merge|head)$")


@dataclass(frozen=True)
class GitHubContext:
    """What the gate knows of the GitHub Actions run it is in (from the environment)."""

    api_url: str = DEFAULT_API_URL
    repository: str | None = None
    """``owner/repo`` (``GITHUB_REPOSITORY``)."""
    pr_number: int | None = None
    """The pull request of a ``pull_request``/``pull_request_target`` run, else None."""
    token: str | None = None
    step_summary: Path | None = None
    output: Path | None = None
    run_url: str | None = None
    problems: tuple[str, ...] = ()
    """Things of the environment that could not be read (reported as warnings)."""

    def __repr__(self) -> str:
        # Never print the token, whatever prints this object.
        token = "***" if self.token else None
        return (
            f"GitHubContext(api_url={self.api_url!r}, repository={self.repository!r}, "
            f"pr_number={self.pr_number!r}, token={token!r})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubContext:
        """``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_EVENT_PATH``/``GITHUB_REF``
        (the pull request number), ``GATE_GITHUB_TOKEN`` or ``GITHUB_TOKEN``,
        ``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT``, and the run's URL."""
        problems: list[str] = []
        number = _event_pr_number(env.get("GITHUB_EVENT_PATH"), problems)
        if number is None:
            match = _PR_REF.match(env.get("GITHUB_REF", ""))
            number = int(match.group(1)) if match else None
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        repository = env.get("GITHUB_REPOSITORY") or None
        run_id = env.get("GITHUB_RUN_ID")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
        return cls(
            api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            repository=repository,
            pr_number=number,
            token=env.get("GATE_GITHUB_TOKEN") or env.get("GITHUB_TOKEN") or None,
            step_summary=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY")
            else None,
            output=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            run_url=run_url,
            problems=tuple(problems),
        )


def _event_pr_number(path: str | None, problems: list[str]) -> int | None:
    """``pull_request.number`` of the event payload (``pull_request``, ``pull_request_target``,
    ``pull_request_review`` events), or ``issue.number`` of a comment on a pull request."""
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(
            f"GITHUB_EVENT_PATH {path}: unreadable event payload ({type(exc).__name__})"
        )
        return None
    if not isinstance(event, dict):
        return None
    pull = event.get("pull_request")
    if isinstance(pull, dict) and isinstance(pull.get("number"), int):
        number: int = pull["number"]
        return number
    issue = event.get("issue")
    if isinstance(issue, dict) and issue.get("pull_request") and isinstance(
        issue.get("number"), int
    ):
        issue_number: int = issue["number"]
        return issue_number
    return None


def upsert_comment(context: GitHubContext, marker: str, body: str, *, timeout: float) -> str:
    """Edit the pull request comment that starts with ``marker``, or create it. Returns
    ``created <url>`` or ``updated <url>``; raises :class:`IntegrationError` (token-free)."""
    if context.repository is None or context.pr_number is None:
        raise IntegrationError("not a pull request run (no GITHUB_REPOSITORY or PR number)")
    if not context.token:
        raise IntegrationError(
            "no token: set GITHUB_TOKEN (the action's github-token input) to comment"
        )
    try:
        import requests
        from github import Auth, Github, GithubException
    except ImportError:
        raise IntegrationError(
            "PyGithub is not installed (pip install 'gate[github]')"
        ) from None

    client = Github(
        auth=Auth.Token(context.token),
        base_url=context.api_url,
        timeout=max(1, round(timeout)),
        retry=None,
        per_page=100,
        seconds_between_requests=None,
        seconds_between_writes=None,
        user_agent=f"gate/{__version__}",
        lazy=True,
    )
    try:
        issue = client.get_repo(context.repository).get_issue(context.pr_number)
        for comment in issue.get_comments():
            if (comment.body or "").startswith(marker):
                comment.edit(body)
                return f"updated {comment.html_url}"
        created = issue.create_comment(body)
        return f"created {created.html_url}"
    except GithubException as exc:
        raise IntegrationError(_mask(_describe(exc), context.token)) from None
    except requests.exceptions.Timeout:
        raise IntegrationError(
            f"no answer from {context.api_url} within {timeout:g} s"
        ) from None
    except requests.exceptions.RequestException as exc:
        raise IntegrationError(
            _mask(f"cannot reach {context.api_url} ({type(exc).__name__})", context.token)
        ) from None
    finally:
        client.close()


def _describe(exc: Any) -> str:
    status: int = exc.status
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or "").strip()
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    said = f"GitHub answered {status}" + (f" ({message})" if message else "")
    if status in (403, 429) and (
        headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in headers
        or "rate limit" in message.lower()
    ):
        when = ""
        if headers.get("retry-after"):
            when = f"; retry after {headers['retry-after']} s"
        elif headers.get("x-ratelimit-reset", "").isdigit():
            import datetime as dt

            reset = dt.datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), dt.timezone.utc)
            when = f"; resets at {reset:%H:%M:%S} UTC"
        return f"GitHub rate limit reached: {said}{when}"
    if status == 403 and "not accessible by integration" in message.lower():
        return (
            f"{said}: the token may not write comments (a pull request from a fork gets a "
            "read-only GITHUB_TOKEN; give the job 'permissions: pull-requests: write')"
        )
    if status == 401:
        return f"{said}: the token was refused"
    if status == 404:
        return f"{said}: repository or pull request not found, or hidden from the token"
    return said


def _mask(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def _append(path: Path, text: str, what: str) -> None:
    """Append to a file the runner gives (``$GITHUB_STEP_SUMMARY``, ``$GITHUB_OUTPUT``); a
    failure is an :class:`IntegrationError` naming it (a warning, never a verdict)."""
    try:
        with path.open("a", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise IntegrationError(f"cannot write {what} {path}: {exc.strerror or exc}") from None


def append_step_summary(path: Path, markdown: str) -> None:
    """Append to ``$GITHUB_STEP_SUMMARY`` (GitHub renders the file as the job summary)."""
    _append(path, markdown if markdown.endswith("\n") else markdown + "\n", "the job summary")


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT`` in the delimiter form (``name<<DELIM``) for
    every value, as actions/toolkit does, so no value can inject another output."""
    lines = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    _append(path, "".join(lines), "the step outputs")


def stop_commands_token() -> str:
    """A fresh token for ``::stop-commands::``: the gate's log (image paths, messages) is then
    not parsed for workflow commands until ``::<token>::``."""
    return uuid.uuid4().hex


__all__ = [
    "GitHubContext",
    "append_step_summary",
    "stop_commands_token",
    "upsert_comment",
    "write_outputs",
]
