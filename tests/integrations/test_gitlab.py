"""The merge request note against a local server speaking GitLab's Notes API: method, path,
PRIVATE-TOKEN header and body; one note per image, updated in place; CI_JOB_TOKEN, 403, 429,
5xx and timeouts are one warning line and the verdict stays."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gate import cli
from gate.integrations.gitlab import GitLabContext, upsert_note
from tests.integrations.fake_forge import FakeForge
from tests.reporters.ci_samples import REAL_SECRETS

PROJECT = "5"
MR = 9
MARKER = "<!-- gate:report image=context:ctx -->"
NOTES = f"/api/v4/projects/{PROJECT}/merge_requests/{MR}/notes"


def mr_env(monkeypatch: pytest.MonkeyPatch, forge: FakeForge, token: str | None,
           prefix: str = "") -> None:
    values = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": f"{forge.url}{prefix}/api/v4",
        "CI_PROJECT_ID": PROJECT,
        "CI_MERGE_REQUEST_IID": str(MR),
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/api/-/pipelines/77",
        "CI_COMMIT_SHA": "c" * 40,
        "CI_JOB_TOKEN": "job-token-" + "z" * 20,
    }
    if token is not None:
        values["GATE_GITLAB_TOKEN"] = token
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def gate(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = cli.main(["check", "--context", "ctx", "--checks", "secrets", "--no-cache",
                     "--ci", "gitlab", "--api-timeout", "2", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("gate: warning: ")]


def test_note_created_then_updated(
    repo: Path, tmp_path: Path, forge: FakeForge, gitlab_token: str,
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    mr_env(clean_env, forge, gitlab_token)
    forge.per_page_cap = 2
    forge.seed_note(PROJECT, MR, "added 1 commit", system=True)
    forge.seed_note(PROJECT, MR, MARKER + " quoted by a system note", system=True)
    for i in range(3):
        forge.seed_note(PROJECT, MR, f"review remark {i}")
    report = tmp_path / "sd.json"
    code, out, err = gate(capsys, "--gitlab-secret-detection", str(report))
    assert code == 1, err
    assert warnings(err) == []
    assert "gate: merge request created note" in err
    gets = [r for r in forge.requests if r.method == "GET"]
    assert [r.path for r in gets] == [NOTES] * 3
    assert gets[0].query["sort"] == ["asc"] and gets[0].query["order_by"] == ["created_at"]
    (post,) = [r for r in forge.requests if r.method == "POST"]
    assert post.path == NOTES
    assert post.headers["PRIVATE-TOKEN"] == gitlab_token
    assert "Authorization" not in post.headers and "JOB-TOKEN" not in post.headers
    assert set(post.body) == {"body"}
    assert post.body["body"].startswith(MARKER + "\n### gate: ❌ **FAIL**")
    assert "Details: the pipeline https://gitlab.example.com/acme/api/-/pipelines/77" in \
        post.body["body"]
    # the commit of the pipeline is the one in the secret detection report
    doc = json.loads(report.read_text())
    assert {v["location"]["commit"]["sha"] for v in doc["vulnerabilities"]} == {"c" * 40}

    forge.requests.clear()
    code, out, err = gate(capsys)
    assert code == 1
    (put,) = [r for r in forge.requests if r.method == "PUT"]
    notes = forge.notes[(PROJECT, MR)]
    ours = [n for n in notes if n["body"].startswith(MARKER) and not n["system"]]
    assert len(ours) == 1 and len(notes) == 6
    assert put.path == f"{NOTES}/{ours[0]['id']}"
    assert put.body == {"body": ours[0]["body"]}
    assert not any(r.method == "POST" for r in forge.requests)
    for text in (out, err, json.dumps([r.body for r in forge.requests])):
        assert gitlab_token not in text
        for raw in REAL_SECRETS:
            assert raw not in text


def test_self_managed_under_a_relative_url(forge: FakeForge, gitlab_token: str) -> None:
    context = GitLabContext.from_env({
        "CI_API_V4_URL": f"{forge.url}/gitlab/api/v4", "CI_PROJECT_ID": PROJECT,
        "CI_MERGE_REQUEST_IID": str(MR), "GATE_GITLAB_TOKEN": gitlab_token,
    })
    assert upsert_note(context, MARKER, MARKER + "\nx", timeout=5).startswith("created note")
    assert {r.path for r in forge.requests} == {f"/gitlab{NOTES}"}
    assert gitlab_token not in repr(context)


def test_job_token_only_explains_what_to_set(
    repo: Path, forge: FakeForge, clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    mr_env(clean_env, forge, None)
    code, _, err = gate(capsys)
    assert code == 1 and forge.requests == []
    (warning,) = warnings(err)
    assert "CI_JOB_TOKEN cannot write merge request notes" in warning
    assert "GATE_GITLAB_TOKEN" in warning and "api scope" in warning
    assert "job-token-" not in err


@pytest.mark.parametrize(
    ("method", "status", "body", "headers", "expected"),
    [
        pytest.param("POST", 403, {"message": "403 Forbidden"}, {},
                     "the token may not write notes", id="forbidden"),
        pytest.param("GET", 429, {"message": "Retry later"},
                     {"Retry-After": "60", "RateLimit-Remaining": "0"},
                     "GitLab rate limit reached", id="rate-limit"),
        pytest.param("GET", 500, {"message": "500 Internal Server Error"}, {},
                     "GitLab answered 500", id="5xx"),
        pytest.param("GET", 401, {"message": "401 Unauthorized"}, {},
                     "the token was refused", id="unauthorized"),
        pytest.param("GET", 404, {"message": "404 Project Not Found"}, {},
                     "project or merge request not found", id="not-found"),
    ],
)
def test_api_failures_are_one_warning_and_the_verdict_stays(
    repo: Path, forge: FakeForge, gitlab_token: str, clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    method: str, status: int, body: dict[str, str], headers: dict[str, str], expected: str,
) -> None:
    clean_env.chdir(repo)
    mr_env(clean_env, forge, gitlab_token)
    forge.fail(method, "/notes$", status,
               {"message": body["message"] + f" {gitlab_token}"}, headers, times=5)
    code, out, err = gate(capsys)
    assert code == 1
    (warning,) = warnings(err)
    assert warning.startswith("gate: warning: merge request note not posted: ")
    assert expected in warning and warning.endswith("the verdict is unchanged")
    assert sum(r.method == method for r in forge.requests) == 1  # no retry, no sleep
    for text in (out, err):
        assert gitlab_token not in text


def test_timeout_is_a_warning(
    repo: Path, forge: FakeForge, gitlab_token: str, clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    mr_env(clean_env, forge, gitlab_token)
    forge.delay = 3.0
    code, _, err = gate(capsys, "--api-timeout", "0.5")
    assert code == 1
    (warning,) = warnings(err)
    assert f"no answer from {forge.url}/api/v4 within 0.5 s" in warning


def test_missing_python_gitlab_is_a_warning(
    repo: Path, forge: FakeForge, gitlab_token: str, clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    mr_env(clean_env, forge, gitlab_token)
    clean_env.setitem(sys.modules, "gitlab", None)
    code, _, err = gate(capsys)
    assert code == 1 and forge.requests == []
    assert warnings(err) == [
        "gate: warning: merge request note not posted: python-gitlab is not installed "
        "(pip install 'gate[gitlab]'); the verdict is unchanged"
    ]


def test_branch_pipeline_posts_nothing(
    repo: Path, forge: FakeForge, gitlab_token: str, clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    mr_env(clean_env, forge, gitlab_token)
    clean_env.delenv("CI_MERGE_REQUEST_IID")
    code, _, err = gate(capsys)
    assert code == 1 and forge.requests == [] and warnings(err) == []
