"""GitLab: one merge request note per image, found by its marker and updated in place.

REST endpoints (GitLab REST API, "Notes" on merge requests), through python-gitlab:

* ``GET /projects/:id/merge_requests/:merge_request_iid/notes?sort=asc&order_by=created_at``
  (pages via ``Link``/``X-Next-Page``); system notes are skipped;
* ``PUT /projects/:id/merge_requests/:merge_request_iid/notes/:note_id`` ``{"body": ...}``, or
* ``POST /projects/:id/merge_requests/:merge_request_iid/notes`` ``{"body": ...}``.

The API root is ``CI_API_V4_URL`` (self-managed GitLab included), the project
``CI_PROJECT_ID``, the merge request ``CI_MERGE_REQUEST_IID`` (set in merge request
pipelines). ``CI_JOB_TOKEN`` cannot write notes: the token is a project or personal access
token with the ``api`` scope, given as the ``GATE_GITLAB_TOKEN`` CI/CD variable (masked).
python-gitlab's waiting on 429 and its retries are off: a CI job reports, it does not sleep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gate import __version__
from gate.errors import IntegrationError

_NO_RETRY: dict[str, Any] = {"obey_rate_limit": False, "max_retries": 0}


@dataclass(frozen=True)
class GitLabContext:
    """What the gate knows of the GitLab CI job it is in (from the environment)."""

    api_url: str | None = None
    """``CI_API_V4_URL``, e.g. ``https://gitlab.example.com/api/v4``."""
    project_id: str | None = None
    mr_iid: int | None = None
    token: str | None = None
    job_token_only: bool = False
    """Only ``CI_JOB_TOKEN`` is set: it cannot write notes (a warning says what to set)."""
    pipeline_url: str | None = None

    def __repr__(self) -> str:
        token = "***" if self.token else None
        return (
            f"GitLabContext(api_url={self.api_url!r}, project_id={self.project_id!r}, "
            f"mr_iid={self.mr_iid!r}, token={token!r})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitLabContext:
        iid = env.get("CI_MERGE_REQUEST_IID", "")
        token = env.get("GATE_GITLAB_TOKEN") or env.get("GITLAB_TOKEN") or None
        return cls(
            api_url=(env.get("CI_API_V4_URL") or "").rstrip("/") or None,
            project_id=env.get("CI_PROJECT_ID") or None,
            mr_iid=int(iid) if iid.isdigit() else None,
            token=token,
            job_token_only=token is None and bool(env.get("CI_JOB_TOKEN")),
            pipeline_url=env.get("CI_PIPELINE_URL") or None,
        )


def upsert_note(context: GitLabContext, marker: str, body: str, *, timeout: float) -> str:
    """Update the merge request note that starts with ``marker``, or create it. Returns
    ``created note <id>`` or ``updated note <id>``; raises :class:`IntegrationError`."""
    if context.api_url is None or context.project_id is None or context.mr_iid is None:
        raise IntegrationError(
            "not a merge request pipeline (CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID)"
        )
    if not context.token:
        why = "CI_JOB_TOKEN cannot write merge request notes; " if context.job_token_only else ""
        raise IntegrationError(
            f"no token: {why}set the GATE_GITLAB_TOKEN CI/CD variable to a project access "
            "token with the api scope"
        )
    try:
        import gitlab
        import requests
    except ImportError:
        raise IntegrationError(
            "python-gitlab is not installed (pip install 'gate[gitlab]')"
        ) from None

    # python-gitlab appends /api/v4 to the server URL it is given.
    server = context.api_url.removesuffix("/api/v4")
    client = gitlab.Gitlab(
        url=server,
        private_token=context.token,
        timeout=timeout,
        retry_transient_errors=False,
        user_agent=f"gate/{__version__}",
    )
    try:
        project = client.projects.get(context.project_id, lazy=True)
        request = project.mergerequests.get(context.mr_iid, lazy=True)
        notes = request.notes.list(
            iterator=True, per_page=100, sort="asc", order_by="created_at", **_NO_RETRY
        )
        for note in notes:
            if not note.system and str(note.body or "").startswith(marker):
                note.body = body
                note.save(**_NO_RETRY)
                return f"updated note {note.id}"
        created = request.notes.create({"body": body}, **_NO_RETRY)
        return f"created note {created.id}"
    except gitlab.exceptions.GitlabError as exc:
        raise IntegrationError(_mask(_describe(exc), context.token)) from None
    except requests.exceptions.Timeout:
        raise IntegrationError(f"no answer from {context.api_url} within {timeout:g} s") from None
    except requests.exceptions.RequestException as exc:
        raise IntegrationError(
            _mask(f"cannot reach {context.api_url} ({type(exc).__name__})", context.token)
        ) from None
    finally:
        client.session.close()


def _describe(exc: Any) -> str:
    status = exc.response_code
    message = exc.error_message
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    message = str(message or "").strip()
    said = f"GitLab answered {status}" + (f" ({message[:200]})" if message else "")
    if status == 429:
        return f"GitLab rate limit reached: {said}"
    if status == 401:
        return f"{said}: the token was refused"
    if status == 403:
        return (
            f"{said}: the token may not write notes (it needs the api scope and at least the "
            "Reporter role on the project)"
        )
    if status == 404:
        return f"{said}: project or merge request not found, or hidden from the token"
    return said


def _mask(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


__all__ = ["GitLabContext", "upsert_note"]
