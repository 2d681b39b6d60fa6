"""gate reports every credential type of Trivy's built-in secret rules (see trivy_parity.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.analyzers.secrets.detector import scan_bytes
from gate.analyzers.secrets.rules import RULES_BY_ID

from .trivy_parity import TrivyCase, cases

CASES = cases()

# Every rule id of Trivy's built-in set (builtin-rules.go, main as of June 2026).
TRIVY_BUILTIN_IDS = {
    "aws-access-key-id", "aws-secret-access-key", "github-pat", "github-oauth",
    "github-app-token", "github-refresh-token", "github-fine-grained-pat", "gitlab-pat",
    "hugging-face-access-token", "private-key", "shopify-token", "slack-access-token",
    "stripe-publishable-token", "stripe-secret-token", "pypi-upload-token",
    "gcp-service-account", "heroku-api-key", "slack-web-hook", "twilio-api-key",
    "age-secret-key", "facebook-token", "twitter-token", "adobe-client-id",
    "adobe-client-secret", "alibaba-access-key-id", "alibaba-secret-key", "asana-client-id",
    "asana-client-secret", "atlassian-api-token", "bitbucket-client-id",
    "bitbucket-client-secret", "beamer-api-token", "clojars-api-token",
    "contentful-delivery-api-token", "databricks-api-token", "discord-api-token",
    "discord-client-id", "discord-client-secret", "doppler-api-token", "dropbox-api-secret",
    "dropbox-short-lived-api-token", "dropbox-long-lived-api-token", "duffel-api-token",
    "dynatrace-api-token", "easypost-api-token", "fastly-api-token", "finicity-client-secret",
    "finicity-api-token", "flutterwave-public-key", "flutterwave-enc-key", "frameio-api-token",
    "gocardless-api-token", "grafana-api-token", "hashicorp-tf-api-token", "hubspot-api-token",
    "intercom-api-token", "intercom-client-secret", "ionic-api-token", "jwt-token",
    "linear-api-token", "linear-client-secret", "lob-api-key", "lob-pub-api-key",
    "mailchimp-api-key", "mailgun-token", "mailgun-signing-key", "mapbox-api-token",
    "messagebird-api-token", "messagebird-client-id", "new-relic-user-api-key",
    "new-relic-user-api-id", "new-relic-browser-api-token", "npm-access-token",
    "planetscale-password", "planetscale-api-token", "private-packagist-token",
    "postman-api-token", "pulumi-api-token", "rubygems-api-token", "sendgrid-api-token",
    "sendinblue-api-token", "shippo-api-token", "linkedin-client-secret", "linkedin-client-id",
    "twitch-api-token", "typeform-api-token", "dockerconfig-secret", "symfony-default-secret",
    "azure-storage-account-key", "azure-sas-token", "azure-devops-pat",
    "azure-entra-client-secret", "azure-container-registry-credential",
    "azure-container-registry-password", "azure-app-config-connection-string",
    "azure-ai-services-key", "maven-settings-password", "maven-settings-passphrase",
    "maven-settings-security-master", "openai-project-api-key", "openai-service-account-key",
    "openai-admin-api-key", "openai-legacy-api-key", "openai-service-api-key",
    "openai-realtime-client-secret",
}  # fmt: skip


def test_every_trivy_rule_has_a_case_gate_reports() -> None:
    reported = {case.trivy_rule for case in CASES if case.gate_rule is not None}
    assert reported == TRIVY_BUILTIN_IDS
    assert all(case.gate_rule in RULES_BY_ID for case in CASES if case.gate_rule)
    assert all(case.reason for case in CASES if case.gate_rule is None)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.label)
def test_gate_reports_the_trivy_case(case: TrivyCase) -> None:
    found = [m.rule_id for m in scan_bytes(case.text.encode(), path=f"/app/{case.path}").matches]
    if case.gate_rule is None:
        assert found == [], case.reason
    else:
        assert found == [case.gate_rule]


def _coverage_rows() -> list[tuple[set[str], set[str]]]:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "secrets.md").read_text()
    section = docs.split("## Coverage: Trivy's built-in rules", 1)[1]
    section = section.split("<!-- trivy-parity -->", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = line.split("|")
        if line.startswith("| ") and len(cells) == 6 and "`secret/" in cells[2]:
            gate = set(re.findall(r"`(secret/[a-z0-9-]+)`", cells[2]))
            trivy = set(re.findall(r"`([a-z0-9-]+)`", cells[3]))
            rows.append((gate, trivy))
    return rows


def test_docs_coverage_table_maps_every_rule() -> None:
    rows = _coverage_rows()
    gate_ids = [rule for gate, _ in rows for rule in gate]
    assert sorted(gate_ids) == sorted(RULES_BY_ID)  # every gate rule, once
    assert {rule for _, trivy in rows for rule in trivy} == TRIVY_BUILTIN_IDS
    for case in CASES:
        if case.gate_rule:
            assert any(case.gate_rule in g and case.trivy_rule in t for g, t in rows), case.label
