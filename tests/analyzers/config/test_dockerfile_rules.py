"""Every Dockerfile rule: a Dockerfile that triggers it and a close one that does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.analyzers.config.analyzer import ConfigAnalyzer
from gate.analyzers.config.rules import RULES
from gate.analyzers.interface import ScanTarget
from gate.models import CheckResult, LocationKind, Severity
from gate.sources.context import load_context

# Fake credentials assembled at run time (provider lengths), so the repository holds none.
GITHUB_PAT = "ghp_" + "R7m2Kx9Qw4Zt" + "1Lp8Vn3Bc6Yh5Jd0Fs2Ga" + "k4T"
API_KEY = "Zk29fLq8" + "XbT1mN4v" + "R7sW0pYc"


def run(
    tmp_path: Path,
    text: str,
    *,
    context: dict[str, str] | None = None,
    **options: object,
) -> CheckResult:
    root = tmp_path / "ctx"
    root.mkdir(exist_ok=True)
    dockerfile = root / "Dockerfile"
    dockerfile.write_text(text)
    ctx = None
    if context is not None:
        for rel, body in context.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(body)
        ctx = load_context(root, dockerfile=dockerfile, repo_root=root)
    return ConfigAnalyzer().run(
        ScanTarget(
            dockerfile=dockerfile,
            dockerfile_repo_path="Dockerfile",
            context=ctx,
            options=options,
        )
    )


def ids(result: CheckResult) -> set[str]:
    return {f.rule_id for f in result.findings}


GOOD_TAIL = "USER 10001\nHEALTHCHECK CMD [\"/app\", \"--health\"]\n"

# rule id -> (triggering Dockerfile, clean Dockerfile, expected line of the finding)
CASES: dict[str, tuple[str, str, int]] = {
    "config/user-root": (
        "FROM debian:12-slim\nRUN useradd app\nUSER root\n",
        "FROM debian:12-slim\nRUN useradd app\nUSER app\n",
        3,
    ),
    "config/base-image-latest": (
        "FROM alpine\n" + GOOD_TAIL,
        "FROM alpine:3.20\n" + GOOD_TAIL,
        1,
    ),
    "config/base-image-not-minimal": (
        "FROM python:3.12-bookworm\n" + GOOD_TAIL,
        "FROM python:3.12-slim-bookworm\n" + GOOD_TAIL,
        1,
    ),
    "config/build-tools-in-final-stage": (
        "FROM debian:12-slim\nRUN apt-get update \\\n && apt-get install -y "
        "--no-install-recommends gcc libc6-dev \\\n && rm -rf /var/lib/apt/lists/*\n" + GOOD_TAIL,
        "FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev \\\n"
        " && make && apk del .build-deps\n" + GOOD_TAIL,
        3,
    ),
    "config/add-instead-of-copy": (
        "FROM alpine:3.20\nADD app.py /app/\n" + GOOD_TAIL,
        "FROM alpine:3.20\nCOPY app.py /app/\n" + GOOD_TAIL,
        2,
    ),
    "config/add-remote-url": (
        "FROM alpine:3.20\nADD https://example.invalid/tool.tgz /opt/\n" + GOOD_TAIL,
        "FROM alpine:3.20\nADD --checksum=sha256:" + "ab" * 32
        + " https://example.invalid/tool.tgz /opt/\n" + GOOD_TAIL,
        2,
    ),
    "config/curl-pipe-shell": (
        "FROM alpine:3.20\nRUN set -eux; \\\n    apk add --no-cache curl; \\\n"
        "    curl -fsSL https://example.invalid/install.sh | sudo -E bash -s -- -y\n" + GOOD_TAIL,
        "FROM alpine:3.20\nRUN curl -fsSLo /tmp/i.sh https://example.invalid/install.sh \\\n"
        " && echo \"" + "ab" * 32 + "  /tmp/i.sh\" | sha256sum -c - && sh /tmp/i.sh\n" + GOOD_TAIL,
        4,
    ),
    "config/download-without-checksum": (
        "FROM alpine:3.20\nRUN wget -O /usr/local/bin/tool https://example.invalid/tool \\\n"
        " && chmod +x /usr/local/bin/tool\n" + GOOD_TAIL,
        "FROM alpine:3.20\nRUN wget -O /t.tgz https://example.invalid/t.tgz \\\n"
        " && wget -O /t.tgz.asc https://example.invalid/t.tgz.asc \\\n"
        " && gpg --batch --verify /t.tgz.asc /t.tgz\n" + GOOD_TAIL,
        2,
    ),
    "config/verification-disabled": (
        "FROM alpine:3.20\nRUN apk add --no-cache python3 && \\\n"
        "    pip install --trusted-host pypi.invalid flask==3.0.3\n" + GOOD_TAIL,
        "FROM alpine:3.20\nRUN apk add --no-cache python3 && pip install flask==3.0.3\n"
        + GOOD_TAIL,
        3,
    ),
    "config/secret-in-env": (
        f"FROM alpine:3.20\nENV API_KEY={API_KEY}\n" + GOOD_TAIL,
        "FROM alpine:3.20\nENV API_KEY_FILE=/run/secrets/api_key\n" + GOOD_TAIL,
        2,
    ),
    "config/secret-build-arg": (
        "FROM alpine:3.20\nARG NPM_TOKEN\nRUN echo $NPM_TOKEN > /dev/null\n" + GOOD_TAIL,
        "FROM alpine:3.20\nRUN --mount=type=secret,id=npm_token cat /run/secrets/npm_token\n"
        + GOOD_TAIL,
        2,
    ),
    "config/package-cache-left": (
        "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends "
        "curl=7.88.1-10\n" + GOOD_TAIL,
        "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends "
        "curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*\n" + GOOD_TAIL,
        2,
    ),
    "config/apt-no-install-recommends": (
        "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl=7.88.1-10 "
        "&& rm -rf /var/lib/apt/lists/*\n" + GOOD_TAIL,
        "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends "
        "curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*\n" + GOOD_TAIL,
        2,
    ),
    "config/update-alone": (
        "FROM debian:12-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends "
        "curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*\n" + GOOD_TAIL,
        "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends "
        "curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*\n" + GOOD_TAIL,
        2,
    ),
    "config/sudo": (
        "FROM debian:12-slim\nUSER 10001\nRUN sudo mkdir /data\nHEALTHCHECK CMD [\"/x\"]\n",
        "FROM debian:12-slim\nRUN mkdir /data\nUSER 10001\nHEALTHCHECK CMD [\"/x\"]\n",
        3,
    ),
    "config/exposed-remote-shell-port": (
        "FROM alpine:3.20\nEXPOSE 8080 22/tcp\n" + GOOD_TAIL,
        "FROM alpine:3.20\nEXPOSE 8080 2222\n" + GOOD_TAIL,
        2,
    ),
    "config/no-healthcheck": (
        "FROM alpine:3.20\nUSER 10001\n",
        "FROM alpine:3.20\n" + GOOD_TAIL,
        1,
    ),
    "config/chmod-world-writable": (
        "FROM alpine:3.20\nCOPY app /app\nRUN chmod -R 777 /app\n" + GOOD_TAIL,
        "FROM alpine:3.20\nCOPY app /app\nRUN chmod -R 755 /app && chmod 1777 /scratch\n"
        + GOOD_TAIL,
        3,
    ),
    "config/unpinned-package": (
        "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n" + GOOD_TAIL,
        "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask==3.0.3 -r req.txt\n"
        + GOOD_TAIL,
        2,
    ),
}


def test_every_dockerfile_rule_has_a_case() -> None:
    dockerfile_rules = {r.id for r in RULES if "dockerfile" in r.sources}
    context_rules = {"config/copy-context-unfiltered", "config/sensitive-file-in-context"}
    policy_rules = {"config/base-image-not-pinned", "config/base-image-untrusted-registry"}
    assert dockerfile_rules == set(CASES) | context_rules | policy_rules


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_triggers_at_its_line_and_not_on_the_fixed_dockerfile(
    rule_id: str, tmp_path: Path
) -> None:
    bad, good, line = CASES[rule_id]
    result = run(tmp_path, bad)
    hits = [f for f in result.findings if f.rule_id == rule_id]
    assert hits, (rule_id, sorted(ids(result)))
    assert hits[0].location.kind is LocationKind.DOCKERFILE
    assert hits[0].location.path == "Dockerfile"
    assert hits[0].location.start_line == line
    assert rule_id in {r.id for r in result.rules}
    assert rule_id not in ids(run(tmp_path, good))


def test_secret_values_are_masked_everywhere(tmp_path: Path) -> None:
    text = f"FROM alpine:3.20\nENV GITHUB_TOKEN={GITHUB_PAT} OTHER=1\nARG DB_PASSWORD={API_KEY}\n"
    result = run(tmp_path, text)
    rendered = repr(result)
    assert GITHUB_PAT not in rendered and API_KEY not in rendered
    arg = next(f for f in result.findings if f.rule_id == "config/secret-build-arg")
    assert arg.severity is Severity.HIGH and arg.evidence == API_KEY[:4] + "****"


def test_pin_and_registry_rules_follow_the_policy(tmp_path: Path) -> None:
    text = "FROM python:3.12-slim\nFROM gcr.io/distroless/python3@sha256:" + "a" * 64 + "\n"
    off = run(tmp_path, text)
    assert not {"config/base-image-not-pinned", "config/base-image-untrusted-registry"} & (
        {r.id for r in off.rules}
    )
    on = run(tmp_path, text, pin_base_digest=True, allowed_registries=["gcr.io/distroless"])
    pinned = [f for f in on.findings if f.rule_id == "config/base-image-not-pinned"]
    registry = [f for f in on.findings if f.rule_id == "config/base-image-untrusted-registry"]
    assert [f.location.start_line for f in pinned] == [1]
    assert [f.location.start_line for f in registry] == [1]
    assert "docker.io/library/python" in registry[0].message
    assert ids(run(tmp_path, text, allowed_registries=["docker.io/library", "gcr.io"])) & {
        "config/base-image-untrusted-registry"} == set()


def test_copy_from_an_external_image_is_a_base_image_too(tmp_path: Path) -> None:
    result = run(tmp_path, "FROM alpine:3.20\nCOPY --from=golang /usr/local/go /go\n" + GOOD_TAIL)
    latest = [f for f in result.findings if f.rule_id == "config/base-image-latest"]
    assert [f.location.start_line for f in latest] == [2]


def test_build_tools_in_a_builder_stage_are_fine(tmp_path: Path) -> None:
    text = (
        "FROM golang:1.22 AS build\nRUN apt-get update && apt-get install -y gcc\n"
        "FROM gcr.io/distroless/static:nonroot\nCOPY --from=build /out/app /app\n"
        "HEALTHCHECK CMD [\"/app\", \"health\"]\n"
    )
    result = run(tmp_path, text)
    assert "config/build-tools-in-final-stage" not in ids(result)
    assert "config/user-root" not in ids(result)  # :nonroot base, no USER needed
    assert "config/base-image-not-minimal" not in ids(result)
    unpinned = [f for f in result.findings if f.rule_id == "config/unpinned-package"]
    assert unpinned and unpinned[0].properties["stage"] == "build"
    assert unpinned[0].properties["final_stage"] is False


def test_final_stage_inherits_from_its_base_stage(tmp_path: Path) -> None:
    text = (
        "FROM debian:12-slim AS base\nRUN apt-get update && apt-get install -y "
        "--no-install-recommends make && rm -rf /var/lib/apt/lists/*\nUSER 10001\n"
        "FROM base AS app\nUSER root\nHEALTHCHECK NONE\n"
    )
    result = run(tmp_path, text)
    assert {"config/build-tools-in-final-stage", "config/user-root",
            "config/no-healthcheck"} <= ids(result)
    tools = next(f for f in result.findings if f.rule_id == "config/build-tools-in-final-stage")
    assert tools.properties["stage"] == "base" and tools.properties["final_stage"] is True


def test_context_rules(tmp_path: Path) -> None:
    text = "FROM alpine:3.20\nCOPY . /app\n" + GOOD_TAIL
    files = {"app.py": "print()\n", ".env": "X=1\n", ".git/HEAD": "ref\n",
             "certs/server.key": "k\n", ".env.example": "X=\n"}
    result = run(tmp_path, text, context=files)
    assert "config/copy-context-unfiltered" in ids(result)
    sensitive = sorted(str(f.evidence) for f in result.findings
                       if f.rule_id == "config/sensitive-file-in-context")
    assert sensitive == [".env", ".git", "certs/server.key"]
    # A .dockerignore that excludes them: nothing left to report.
    files[".dockerignore"] = ".git\n.env\n*.key\ncerts\n"
    clean = run(tmp_path, text, context=files)
    assert not {"config/copy-context-unfiltered", "config/sensitive-file-in-context"} & ids(clean)
    narrow = run(tmp_path, "FROM alpine:3.20\nCOPY app.py /app/\n" + GOOD_TAIL, context={
        "app.py": "", ".env": "X=1\n"})
    assert "config/sensitive-file-in-context" not in ids(narrow)


def test_fingerprints_survive_moving_lines(tmp_path: Path) -> None:
    first = run(tmp_path, "FROM alpine\nUSER root\n")
    moved = run(tmp_path, "# a comment\nFROM alpine\n\nUSER root\n")
    assert {f.fingerprint for f in first.findings} == {f.fingerprint for f in moved.findings}


def test_windows_dockerfile_of_the_corpus(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "dockerfiles" / "044-moby-moby-windows.Dockerfile"
    result = run(tmp_path, path.read_text())
    assert result.stats["instructions"] > 10
    assert "config/curl-pipe-shell" not in ids(result)


def test_dockerfile_parse_error_is_an_input_error(tmp_path: Path) -> None:
    from gate.sources.dockerfile import DockerfileError

    with pytest.raises(DockerfileError, match=r"Dockerfile:2: unknown instruction: RUNN"):
        run(tmp_path, "FROM alpine\nRUNN x\n")
