"""A realistic report for the reporter tests: image, context and Dockerfile findings, a
vulnerability, a suppressed finding, an expired exception, notes, baseline marks.

Secrets are assembled at run time and appear only masked (as the analyzers hand them over);
``RAW_SECRETS`` lets tests assert that no output ever contains one in full.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gate.models import (
    Check,
    CheckResult,
    Finding,
    ImageSummary,
    LayerRef,
    Location,
    LocationKind,
    PackageRef,
    Report,
    Rule,
    RuleID,
    ScanNote,
    Severity,
)
from gate.policy.baseline import Baseline
from gate.policy.evaluate import evaluate
from gate.policy.loader import load_policy
from gate.redact import fingerprint, mask

TODAY = dt.date(2025, 6, 1)

AWS_KEY = "AKIA" + "Z7Q3XN4P" + "LM2B8RWT"
GITHUB_TOKEN = "ghp_" + "r8Kd2LmQ9xZ4vB7nT1wYc" + "E6hJ3uP5sA0fG"
DB_PASSWORD = "s3cr3t-" + "Pa55w0rd-" + "Z9x"
RAW_SECRETS = (AWS_KEY, GITHUB_TOKEN, DB_PASSWORD)

LAYERS = (
    LayerRef(0, "sha256:" + "a" * 64, "sha256:" + "1" * 64, "/bin/sh -c #(nop) ADD file:abc in /"),
    LayerRef(1, "sha256:" + "b" * 64, "sha256:" + "2" * 64, "COPY . /app # buildkit"),
    LayerRef(2, "sha256:" + "c" * 64, "sha256:" + "3" * 64, "RUN rm /app/.env # buildkit"),
)

RULES = {
    "aws": Rule(
        RuleID("secret/aws-access-key-id"),
        Check.SECRETS,
        "AWS access key ID",
        Severity.CRITICAL,
        description="An AWS access key ID grants API access when paired with its secret.",
        remediation="Revoke the key in IAM and pass credentials at run time.",
        tags=("compliance:cis-docker:4.10",),
    ),
    "github": Rule(
        RuleID("secret/github-pat"), Check.SECRETS, "GitHub personal access token", Severity.HIGH
    ),
    "password": Rule(
        RuleID("secret/generic-password"), Check.SECRETS, "Password assignment", Severity.MEDIUM
    ),
    "user": Rule(
        RuleID("config/DKR-USER-001"),
        Check.CONFIG,
        "Image runs as root",
        Severity.HIGH,
        description="No USER instruction: the container runs as root.",
        remediation="Add `USER 10001` to the final stage.",
        help_uri="https://docs.docker.com/reference/dockerfile/#user",
    ),
}


def _secret(
    rule: str,
    raw: str,
    location: Location,
    *,
    source: str = "image-file",
    sev: Severity | None = None,
) -> Finding:
    r = RULES[rule]
    masked = mask(raw)
    layer = location.layer
    return Finding(
        check=Check.SECRETS,
        rule_id=r.id,
        severity=sev or r.severity,
        message=f"{r.title} {masked} in {location.path}:{location.start_line}",
        location=location,
        fingerprint=fingerprint(raw),
        evidence=masked,
        properties={
            "source": source,
            "layer_digest": layer.digest if layer else None,
            "still_in_final_image": location.removed_in is None,
        },
    )


def findings() -> dict[str, Finding]:
    aws_image = _secret(
        "aws",
        AWS_KEY,
        Location(
            LocationKind.IMAGE_FILE,
            "/app/.env",
            start_line=3,
            end_line=3,
            layer=LAYERS[1],
            removed_in=LAYERS[2],
        ),
    )
    github_context = _secret(
        "github",
        GITHUB_TOKEN,
        Location(LocationKind.CONTEXT, "services/api/config/settings.py", start_line=12),
        source="build-context",
    )
    password_test = _secret(
        "password",
        DB_PASSWORD,
        Location(LocationKind.CONTEXT, "tests/fixtures/db.yaml", start_line=4),
        source="build-context",
    )
    attributed = _secret(
        "github",
        GITHUB_TOKEN,
        Location(
            LocationKind.IMAGE_FILE,
            "/app/my config/settings.py",
            start_line=12,
            layer=LAYERS[1],
            attributed_to=Location(LocationKind.DOCKERFILE, "services/api/Dockerfile", 7, 7),
        ),
    )
    env = Finding(
        check=Check.SECRETS,
        rule_id=RULES["aws"].id,
        severity=Severity.CRITICAL,
        message=f"AWS access key ID {mask(AWS_KEY)} in image config Env AWS_ACCESS_KEY_ID",
        location=Location(LocationKind.IMAGE_CONFIG, "Env.AWS_ACCESS_KEY_ID"),
        fingerprint=fingerprint(AWS_KEY),
        evidence=mask(AWS_KEY),
    )
    history = Finding(
        check=Check.SECRETS,
        rule_id=RULES["password"].id,
        severity=Severity.MEDIUM,
        message=f"Password assignment {mask(DB_PASSWORD)} in history[2]",
        location=Location(LocationKind.IMAGE_HISTORY, "history[2]"),
        fingerprint=fingerprint(DB_PASSWORD + "history"),
        evidence=mask(DB_PASSWORD),
    )
    user = Finding(
        check=Check.CONFIG,
        rule_id=RULES["user"].id,
        severity=Severity.HIGH,
        message="The final stage has no USER instruction: the container runs as root",
        location=Location(LocationKind.DOCKERFILE, "services/api/Dockerfile", 1, 9),
        fingerprint=fingerprint("config/DKR-USER-001:services/api/Dockerfile"),
        properties={"stage": "runtime", "final_stage": True},
    )
    vuln = Finding(
        check=Check.VULNERABILITIES,
        rule_id=RuleID("CVE-2024-6119"),
        severity=Severity.HIGH,
        message="openssl 3.0.13-1~deb12u1: CVE-2024-6119 (fixed in 3.0.14-1~deb12u1)",
        location=Location(LocationKind.IMAGE_FILE, "/var/lib/dpkg/status", layer=LAYERS[0]),
        fingerprint=fingerprint("CVE-2024-6119:openssl:3.0.13-1~deb12u1"),
        package=PackageRef(
            "libssl3",
            "3.0.13-1~deb12u1",
            "Debian:12",
            "pkg:deb/debian/libssl3@3.0.13-1~deb12u1",
            source_name="openssl",
            source_version="3.0.13-1~deb12u1",
        ),
        vulnerability_id="CVE-2024-6119",
        aliases=("DSA-5764-1",),
        cvss_score=7.5,
        fixed_versions=("3.0.14-1~deb12u1",),
    )
    return {
        "aws_image": aws_image,
        "github_context": github_context,
        "password_test": password_test,
        "attributed": attributed,
        "env": env,
        "history": history,
        "user": user,
        "vuln": vuln,
    }


POLICY_TOML = """
version = 1
[vulnerabilities]
max_db_age_days = 0

[[ignore]]
rule = "secret/generic-password"
path = "tests/**"
reason = "test fixture password, not a live credential"
expires = 2099-12-31

[[ignore]]
rule = "secret/aws-access-key-id"
path = "/opt/**"
reason = "matches nothing"
expires = 2099-12-31

[[ignore]]
rule = "CVE-2024-6119"
reason = "waiting for the base image"
expires = 2025-01-31
"""


def results(found: dict[str, Finding] | None = None) -> tuple[CheckResult, ...]:
    f = found or findings()
    return (
        CheckResult(
            Check.SECRETS,
            (
                f["aws_image"],
                f["github_context"],
                f["password_test"],
                f["attributed"],
                f["env"],
                f["history"],
            ),
            (RULES["aws"], RULES["github"], RULES["password"]),
            notes=(
                ScanNote("skipped-large-file", 2, "files over max_file_size: head scanned only"),
                ScanNote("dockerignore-excluded", 14, ".dockerignore excluded 14 files"),
            ),
            stats={"files_scanned": 1234, "bytes_scanned": 5678901},
        ),
        CheckResult(Check.CONFIG, (f["user"],), (RULES["user"],)),
        CheckResult(
            Check.VULNERABILITIES,
            (f["vuln"],),
            (),
            stats={"packages": 88},
            metadata={"advisory_db": "osv-debian", "advisory_db_updated": "2025-05-30"},
        ),
    )


def sample_report(tmp_path: Path, *, baseline: Baseline | None = None) -> Report:
    policy_file = tmp_path / "gate.toml"
    policy_file.write_text(POLICY_TOML, encoding="utf-8")
    policy = load_policy(policy_file)
    checks = (Check.SECRETS, Check.CONFIG, Check.VULNERABILITIES)
    found = results()
    decision = evaluate(policy, found, today=TODAY, checks_run=checks, baseline=baseline)
    return Report(
        tool_version="0.1.0",
        generated_at="2025-06-01T12:00:00+00:00",
        policy_path=str(policy_file),
        image=ImageSummary(
            reference="ghcr.io/acme/api:1.4.2",
            manifest_digest="sha256:" + "d" * 64,
            config_digest="sha256:" + "e" * 64,
            platform="linux/amd64",
            layers=LAYERS,
            created="2025-05-31T10:00:00Z",
        ),
        context_path="services/api",
        checks=found,
        decision=decision,
        duration_seconds=1.25,
    )
