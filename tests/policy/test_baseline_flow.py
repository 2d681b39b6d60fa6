"""The baseline user flow through the CLI, as a pull request pipeline runs it: the target
branch's JSON report is the baseline; findings are new, unchanged or fixed in every report;
``gate_on = "new"`` blocks only on new ones; the comment shows new and fixed first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate import cli
from gate.testing.image_writer import WHITEOUT, File, History, ImageSpec, write_docker_archive
from tests.reporters.ci_samples import AWS_KEY, REAL_SECRETS, SLACK, STRIPE

GITHUB_PAT = "ghp_" + "K2m7Zx9Qw4Rt" + "1Lp8Vn3Bc6Yh5Jd0Fs2Ga" + "e5T"


def gate(capsys: pytest.CaptureFixture[str], *argv: str) -> int:
    code = cli.main(["check", "--checks", "secrets", "--no-cache", *argv])
    capsys.readouterr()
    return code


def write_image(path: Path, files: dict[str, str], delete: tuple[str, ...] = ()) -> None:
    layers: list[dict[str, File | object]] = [
        {"/etc/os-release": File(b"ID=debian\nVERSION_ID=12\n")},
        {p: File(text.encode()) for p, text in files.items()},
    ]
    history = [History("ADD rootfs /"), History("COPY . /app # buildkit")]
    if delete:
        layers.append({p: WHITEOUT for p in delete})
        history.append(History("RUN rm " + " ".join(delete)))
    spec = ImageSpec(layers=layers, history=history)  # type: ignore[arg-type]
    write_docker_archive(path, [(spec, ["acme/api:pr"])])


def findings_by_mark(report: dict[str, object]) -> dict[str, set[tuple[str, str]]]:
    marks: dict[str, set[tuple[str, str]]] = {}
    for f in report["findings"]:  # type: ignore[attr-defined]
        marks.setdefault(f["baseline"], set()).add((f["rule_id"], f["location"]["path"]))
    return marks


def test_pull_request_against_the_target_branch_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # a checkout: locations are repository-relative
    # target branch: an AWS key and a Stripe key in the image, a Slack token in the context
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "notes.txt").write_text(f"SLACK_TOKEN={SLACK}\n")
    write_image(tmp_path / "main.tar", {
        "/app/settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n',
        "/app/pay.env": f"STRIPE_API_KEY={STRIPE}\n",
    })
    assert gate(capsys, "--image", "docker-archive:main.tar", "--context", "ctx",
                "--json", "main.json") == 1

    # the pull request: the Stripe key is removed, the AWS key moved to another file (the
    # same secret: unchanged), a GitHub token added (new), and an added file deleted again
    # in a later layer (new: still extractable)
    write_image(tmp_path / "pr.tar", {
        "/app/config/settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n',
        "/app/deploy.sh": f"export GITHUB_TOKEN={GITHUB_PAT}\n",
    }, delete=("/app/deploy.sh",))
    code = gate(capsys, "--image", "docker-archive:pr.tar", "--context", "ctx",
                "--baseline", "main.json", "--json", "pr.json", "--sarif", "pr.sarif",
                "--markdown", "pr.md")
    assert code == 1
    report = json.loads((tmp_path / "pr.json").read_text())
    assert findings_by_mark(report) == {
        "new": {("secret/github-pat", "/app/deploy.sh")},
        "unchanged": {("secret/aws-access-key-id", "/app/config/settings.py"),
                      ("secret/slack-bot-token", "ctx/notes.txt")},
    }
    assert [(f["rule_id"], f["location"]["path"]) for f in report["baseline"]["fixed"]] == [
        ("secret/stripe-secret-key", "/app/pay.env")
    ]
    assert report["summary"]["new"] == 1 and report["summary"]["fixed"] == 1
    sarif = json.loads((tmp_path / "pr.sarif").read_text())
    states = {r["ruleId"]: r["baselineState"] for r in sarif["runs"][0]["results"]}
    assert states["secret/github-pat"] == "new"
    assert states["secret/aws-access-key-id"] == "unchanged"
    markdown = (tmp_path / "pr.md").read_text()
    new_at = markdown.index("**New findings (1)**")
    fixed_at = markdown.index("**Fixed since the baseline (1)**")
    assert new_at < fixed_at < markdown.index("Unchanged findings (2)")
    assert "secret/github-pat" in markdown[new_at:fixed_at]
    assert "secret/stripe-secret-key" in markdown[fixed_at:]

    # gate_on = "new": only the new token counts
    policy = tmp_path / "new.toml"
    policy.write_text('extends = "default"\ngate_on = "new"\n')
    assert gate(capsys, "--image", "docker-archive:pr.tar", "--context", "ctx",
                "--baseline", "main.json", "--policy", str(policy), "--json", "new.json") == 1
    decided = json.loads((tmp_path / "new.json").read_text())
    assert [v["message"] for v in decided["violations"]] == [
        "secrets allows at most 0 critical finding(s); 1 counted"
    ]
    blocking = [(f["rule_id"], f["status"]) for f in decided["findings"]
                if f["status"] == "blocking"]
    assert blocking == [("secret/github-pat", "blocking")]

    # the new token removed: only known findings remain, the gate passes under gate_on=new
    write_image(tmp_path / "fixed.tar", {
        "/app/config/settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n',
    })
    assert gate(capsys, "--image", "docker-archive:fixed.tar", "--context", "ctx",
                "--baseline", "main.json", "--policy", str(policy)) == 0
    # ... and fails under gate_on = "all" (the default) with the same baseline
    assert gate(capsys, "--image", "docker-archive:fixed.tar", "--context", "ctx",
                "--baseline", "main.json") == 1
    for name in ("pr.json", "pr.sarif", "pr.md", "new.json"):
        text = (tmp_path / name).read_text()
        for raw in (*REAL_SECRETS, GITHUB_PAT):
            assert raw not in text


def test_a_bad_baseline_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ctx").mkdir()
    (tmp_path / "sarif.json").write_text('{"version": "2.1.0", "runs": []}')
    code = cli.main(["check", "--checks", "secrets", "--no-cache", "--context", "ctx",
                     "--baseline", "sarif.json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("gate: error: baseline sarif.json: not a gate JSON report")
