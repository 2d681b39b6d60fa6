"""The pull request comment against a local server speaking GitHub's REST endpoints: method,
path, auth header and body; one comment per image, updated in place; fork/read-only 403, rate
limits, 5xx, timeouts and refused connections are one warning line and the verdict stays."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from gate import cli
from gate.errors import IntegrationError
from gate.integrations.github import GitHubContext, upsert_comment
from tests.integrations.fake_forge import FakeForge
from tests.reporters.ci_samples import REAL_SECRETS

REPO = "acme/api"
PR = 7
MARKER = "<!-- gate:report image=context:ctx -->"


def pr_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, forge: FakeForge, token: str,
           *, api_prefix: str = "") -> dict[str, Path]:
    event = tmp_path / "event.json"
    # The pull_request event payload, trimmed to what the gate reads.
    event.write_text(json.dumps({"action": "synchronize", "number": PR,
                                 "pull_request": {"number": PR, "head": {"sha": "a" * 40}}}))
    files = {"summary": tmp_path / "summary.md", "output": tmp_path / "output.txt"}
    for name, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REF": f"refs/pull/{PR}/merge",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": forge.url + api_prefix,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "99",
        "GITHUB_TOKEN": token,
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "GITHUB_OUTPUT": str(files["output"]),
    }.items():
        monkeypatch.setenv(name, value)
    return files


def gate(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = cli.main(["check", "--context", "ctx", "--checks", "secrets", "--no-cache",
                     "--ci", "github", "--api-timeout", "2", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def warnings(out: str) -> list[str]:
    """The gate's own warning lines (annotations of findings carry a ``file=``)."""
    return [line for line in out.splitlines() if line.startswith("::warning title=gate::")]


def assert_no_token(token: str, *texts: str) -> None:
    for text in texts:
        assert token not in text
        for raw in REAL_SECRETS:
            assert raw not in text


def test_comment_created_then_updated_in_place(
    repo: Path, tmp_path: Path, forge: FakeForge, github_token: str,
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    files = pr_env(clean_env, tmp_path, forge, github_token)
    forge.per_page_cap = 2
    for i in range(5):  # three pages of other people's comments come first
        forge.seed_comment(REPO, PR, f"LGTM {i}")
    code, out, err = gate(capsys)
    assert code == 1, err
    assert warnings(out) == []
    assert "gate: pull request comment created https://github.com/acme/api/pull/7#issuecomment-" \
        in err
    listing = [r for r in forge.requests if r.method == "GET"]
    assert [r.path for r in listing] == [f"/repos/{REPO}/issues/{PR}/comments"] * 3
    assert listing[0].query == {"per_page": ["100"]}
    assert [r.query.get("page") for r in listing[1:]] == [["2"], ["3"]]
    (post,) = [r for r in forge.requests if r.method == "POST"]
    assert post.path == f"/repos/{REPO}/issues/{PR}/comments"
    assert post.headers["Authorization"] == f"token {github_token}"
    assert post.headers["User-Agent"].startswith("gate/")
    assert set(post.body) == {"body"}
    assert post.body["body"].startswith(MARKER + "\n### gate: ❌ **FAIL**")
    assert "Details: the workflow run https://github.com/acme/api/actions/runs/99" in \
        post.body["body"]
    assert len(post.body["body"]) <= 65_536

    # second run: the same comment is edited, no second one
    forge.requests.clear()
    (repo / "ctx" / "tests" / "conftest.py").unlink()
    code, out, err = gate(capsys)
    assert code == 1
    assert [r.method for r in forge.requests] == ["GET", "GET", "GET", "PATCH"]
    patch = forge.requests[-1]
    comments = forge.comments[(REPO, PR)]
    ours = [c for c in comments if c["body"].startswith(MARKER)]
    assert len(ours) == 1 and len(comments) == 6
    assert patch.path == f"/repos/{REPO}/issues/comments/{ours[0]['id']}"
    assert patch.headers["Authorization"] == f"token {github_token}"
    assert "slack" not in patch.body["body"].lower()
    assert "updated https://github.com/acme/api/pull/7#issuecomment-" in err
    outputs = files["output"].read_text()
    assert "comment-url<<" in outputs and "#issuecomment-" in outputs
    assert_no_token(github_token, out, err, files["summary"].read_text(), outputs,
                    json.dumps([r.body for r in forge.requests]))


def test_one_comment_per_image(forge: FakeForge, github_token: str) -> None:
    context = GitHubContext(api_url=forge.url, repository=REPO, pr_number=PR,
                            token=github_token)
    for marker in ("<!-- gate:report image=ghcr.io/acme/api -->",
                   "<!-- gate:report image=ghcr.io/acme/worker -->"):
        upsert_comment(context, marker, marker + "\nfirst", timeout=5)
    upsert_comment(context, "<!-- gate:report image=ghcr.io/acme/api -->",
                   "<!-- gate:report image=ghcr.io/acme/api -->\nsecond", timeout=5)
    bodies = [c["body"] for c in forge.comments[(REPO, PR)]]
    assert bodies == ["<!-- gate:report image=ghcr.io/acme/api -->\nsecond",
                      "<!-- gate:report image=ghcr.io/acme/worker -->\nfirst"]


def test_enterprise_server_api_url(forge: FakeForge, github_token: str) -> None:
    context = GitHubContext.from_env({
        "GITHUB_API_URL": forge.url + "/api/v3/", "GITHUB_REPOSITORY": REPO,
        "GITHUB_REF": f"refs/pull/{PR}/merge", "GITHUB_TOKEN": github_token,
    })
    assert context.pr_number == PR
    assert upsert_comment(context, MARKER, MARKER + "\nx", timeout=5).startswith("created")
    assert {r.path.split("/repos/")[0] for r in forge.requests} == {"/api/v3"}
    assert github_token not in repr(context)


@pytest.mark.parametrize(
    ("method", "status", "body", "headers", "expected"),
    [
        pytest.param(
            "POST", 403,
            {"message": "Resource not accessible by integration",
             "documentation_url": "https://docs.github.com/rest/issues/comments"},
            {}, "a pull request from a fork gets a read-only GITHUB_TOKEN", id="fork-readonly"),
        pytest.param(
            "GET", 403,
            {"message": "API rate limit exceeded for installation ID 1.",
             "documentation_url": "https://docs.github.com/rest/rate-limit"},
            {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "0",
             "x-ratelimit-reset": "1767225600"},
            "GitHub rate limit reached: GitHub answered 403", id="primary-rate-limit"),
        pytest.param(
            "POST", 429,
            {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again."},
            {"retry-after": "60"}, "retry after 60 s", id="secondary-rate-limit"),
        pytest.param("GET", 502, {"message": "Server Error"}, {}, "GitHub answered 502",
                     id="5xx"),
        pytest.param("GET", 401, {"message": "Bad credentials"}, {}, "the token was refused",
                     id="bad-credentials"),
    ],
)
def test_api_failures_are_one_warning_and_the_verdict_stays(
    repo: Path, tmp_path: Path, forge: FakeForge, github_token: str,
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    method: str, status: int, body: dict[str, str], headers: dict[str, str], expected: str,
) -> None:
    clean_env.chdir(repo)
    files = pr_env(clean_env, tmp_path, forge, github_token)
    # the server even echoes the token in its message: it must still never be printed
    body = {**body, "message": body["message"] + f" (token {github_token})"}
    forge.fail(method, "/comments$", status, body, headers)
    code, out, err = gate(capsys, "--json", str(tmp_path / "r.json"))
    assert code == 1
    (warning,) = warnings(out)
    assert warning.startswith("::warning title=gate::gate: pull request comment not posted: ")
    assert expected in warning.replace("%3A", ":")
    assert warning.endswith("the verdict is unchanged")
    # no retry, no wait: the failing request was the last one
    assert forge.requests[-1].method == method
    assert sum(r.method == method for r in forge.requests) == 1
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "fail"
    assert "verdict<<" in files["output"].read_text()  # outputs still written
    assert_no_token(github_token, out, err, files["summary"].read_text(),
                    files["output"].read_text())


def test_timeout_is_a_warning(
    repo: Path, tmp_path: Path, forge: FakeForge, github_token: str,
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    pr_env(clean_env, tmp_path, forge, github_token)
    forge.delay = 4.0
    started = time.monotonic()
    code, out, err = cli.main(["check", "--context", "ctx", "--checks", "secrets", "--no-cache",
                               "--ci", "github", "--api-timeout", "1"]), *capsys.readouterr()
    assert time.monotonic() - started < 4.0
    assert code == 1
    (warning,) = warnings(out)
    assert f"no answer from {forge.url} within 1 s" in warning.replace("%3A", ":")
    assert_no_token(github_token, out, err)


def test_unreachable_api_is_a_warning(
    repo: Path, tmp_path: Path, forge: FakeForge, github_token: str,
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    pr_env(clean_env, tmp_path, forge, github_token)
    forge.stop()
    code, out, err = gate(capsys)
    assert code == 1
    (warning,) = warnings(out)
    assert "cannot reach" in warning and "ConnectionError" in warning
    assert_no_token(github_token, out, err)


def test_passing_gate_still_comments_and_missing_token_warns(
    repo: Path, tmp_path: Path, forge: FakeForge, github_token: str,
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    pr_env(clean_env, tmp_path, forge, github_token)
    policy = repo / "pass.toml"
    policy.write_text('[secrets]\nthresholds = { critical = 9, high = 9 }\n')
    code, _, _ = gate(capsys, "--policy", str(policy))
    assert code == 0
    (post,) = [r for r in forge.requests if r.method == "POST"]
    assert "✅ **PASS**" in post.body["body"]
    clean_env.delenv("GITHUB_TOKEN")
    forge.requests.clear()
    code, out, _ = gate(capsys, "--policy", str(policy))
    assert code == 0 and forge.requests == []
    (warning,) = warnings(out)
    assert "no token" in warning


def test_not_a_pull_request_posts_nothing(
    repo: Path, tmp_path: Path, forge: FakeForge, github_token: str,
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    pr_env(clean_env, tmp_path, forge, github_token)
    push = tmp_path / "push.json"
    push.write_text(json.dumps({"ref": "refs/heads/main", "head_commit": {"id": "b" * 40}}))
    clean_env.setenv("GITHUB_EVENT_PATH", str(push))
    clean_env.setenv("GITHUB_REF", "refs/heads/main")
    code, out, _ = gate(capsys)
    assert code == 1 and forge.requests == [] and warnings(out) == []
    # --no-comment in a pull request: no request either
    pr_env(clean_env, tmp_path, forge, github_token)
    code, out, _ = gate(capsys, "--no-comment")
    assert code == 1 and forge.requests == []


def test_missing_pygithub_or_unwritable_outputs_are_warnings(
    repo: Path, tmp_path: Path, forge: FakeForge, github_token: str,
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.chdir(repo)
    files = pr_env(clean_env, tmp_path, forge, github_token)
    clean_env.setitem(sys.modules, "github", None)  # as if the github extra were not installed
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    clean_env.setenv("GITHUB_OUTPUT", str(blocker / "output.txt"))
    code, out, _ = gate(capsys)
    assert code == 1 and forge.requests == []
    assert [w.split("::", 2)[2].replace("%3A", ":") for w in warnings(out)] == [
        "gate: pull request comment not posted: PyGithub is not installed "
        "(pip install 'gate[github]'); the verdict is unchanged",
        f"gate: step outputs not written: cannot write the step outputs {blocker}/output.txt"
        ": Not a directory",
    ]
    assert files["summary"].read_text().startswith("<!-- gate:report")
    # an unwritable job summary: a warning too, the outputs still written
    clean_env.setenv("GITHUB_STEP_SUMMARY", str(blocker / "summary.md"))
    clean_env.setenv("GITHUB_OUTPUT", str(files["summary"].with_name("outputs.txt")))
    code, out, _ = gate(capsys)
    assert code == 1
    assert warnings(out)[0].split("::", 2)[2].replace("%3A", ":") == (
        f"gate: job summary not written: cannot write the job summary {blocker}/summary.md"
        ": Not a directory")
    assert "verdict<<" in files["summary"].with_name("outputs.txt").read_text()


def test_unreadable_event_payload_is_a_warning(tmp_path: Path) -> None:
    bad = tmp_path / "event.json"
    bad.write_text("{not json")
    context = GitHubContext.from_env({"GITHUB_EVENT_PATH": str(bad),
                                      "GITHUB_REF": "refs/pull/12/merge"})
    assert context.pr_number == 12  # the ref still tells
    assert context.problems == (f"GITHUB_EVENT_PATH {bad}: unreadable event payload "
                                "(JSONDecodeError)",)


def test_errors_name_no_token(forge: FakeForge, github_token: str) -> None:
    context = GitHubContext(api_url=forge.url, repository=REPO, pr_number=PR,
                            token=github_token)
    forge.fail("GET", "/comments$", 500, {"message": f"boom {github_token}"})
    with pytest.raises(IntegrationError) as caught:
        upsert_comment(context, MARKER, MARKER, timeout=5)
    assert github_token not in str(caught.value)
    assert "***" in str(caught.value)
