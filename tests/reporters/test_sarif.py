"""SARIF 2.1.0 output: valid against the official OASIS schema, shaped for GitHub code scanning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gate.models import Report, Severity
from gate.reporters.sarif import FINGERPRINT_KEY, SarifReporter, automation_id, level
from tests.reporters.samples import LAYERS, RAW_SECRETS, sample_report

SARIF_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "schemas"
    / "sarif"
    / "sarif-2.1"
    / "schema"
    / "sarif-schema-2.1.0.json"
)


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # The format checker checks "uri"/"uri-reference" when rfc3986-validator is installed
    # (a dev dependency); it is asserted below so a missing package cannot hide bad URIs.
    checker = jsonschema.FormatChecker()
    assert "uri-reference" in checker.checkers
    return cls(schema, format_checker=checker)


@pytest.fixture
def report(tmp_path: Path) -> Report:
    return sample_report(tmp_path)


def render(report: Report) -> tuple[str, dict[str, Any]]:
    text = SarifReporter().render(report)
    return text, json.loads(text)


def results_by_fp(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["partialFingerprints"][FINGERPRINT_KEY]: r for r in doc["runs"][0]["results"]}


def test_valid_against_the_official_schema(
    report: Report, sarif_validator: jsonschema.protocols.Validator
) -> None:
    _, doc = render(report)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator.iter_errors(doc)]
    assert errors == []
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(doc["runs"]) == 1


def test_a_bad_uri_would_be_caught(sarif_validator: jsonschema.protocols.Validator) -> None:
    """The validation above is not vacuous: an unencoded space in a URI fails it."""
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "gate"}},
                "results": [
                    {
                        "message": {"text": "m"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a b"}}}],
                    }
                ],
            }
        ],
    }
    assert any("uri-reference" in e.message for e in sarif_validator.iter_errors(doc))


def test_no_raw_secret_anywhere(report: Report) -> None:
    text, _ = render(report)
    for raw in RAW_SECRETS:
        assert raw not in text
    assert "AKIA****" in text


def test_driver_and_rules(report: Report) -> None:
    _, doc = render(report)
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "gate" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    rules = {r["id"]: r for r in driver["rules"]}
    aws = rules["secret/aws-access-key-id"]
    assert aws["shortDescription"]["text"] == "AWS access key ID"
    assert aws["fullDescription"]["text"].startswith("An AWS access key ID grants")
    assert aws["help"]["text"] == "Revoke the key in IAM and pass credentials at run time."
    assert "**Remediation.**" in aws["help"]["markdown"]
    assert aws["properties"]["security-severity"] == Severity.CRITICAL.security_severity
    assert aws["properties"]["tags"] == ["security", "secrets", "compliance:cis-docker:4.10"]
    assert aws["defaultConfiguration"]["level"] == "error"
    assert aws["name"] == "SecretAwsAccessKeyId"
    user = rules["config/DKR-USER-001"]
    assert user["helpUri"] == "https://docs.docker.com/reference/dockerfile/#user"
    # a finding whose rule its check did not list still gets a descriptor
    assert rules["CVE-2024-6119"]["properties"]["tags"] == ["security", "vulnerabilities"]
    # every result points at its own rule
    for result in doc["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_levels() -> None:
    assert [level(s) for s in Severity] == ["error", "error", "warning", "note", "note"]


def test_image_file_location_layer_and_deletion(report: Report) -> None:
    _, doc = render(report)
    aws = next(
        r for r in doc["runs"][0]["results"] if r["properties"].get("imagePath") == "/app/.env"
    )
    (loc,) = aws["locations"]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": "app/.env", "uriBaseId": "IMAGE"}
    assert loc["physicalLocation"]["region"] == {"startLine": 3, "endLine": 3}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "/app/.env"
    props = aws["properties"]
    assert props["layer_digest"] == LAYERS[1].digest
    assert props["layer_index"] == 1
    assert props["created_by"] == LAYERS[1].created_by
    assert props["removed_in_layer_digest"] == LAYERS[2].digest
    assert props["removed_in_layer_index"] == 2
    assert props["evidence"] == "AKIA****"
    assert props["status"] == "blocking"
    assert aws["level"] == "error"


def test_attributed_image_finding_is_located_at_the_dockerfile_line(report: Report) -> None:
    _, doc = render(report)
    result = next(
        r
        for r in doc["runs"][0]["results"]
        if r["properties"].get("imagePath") == "/app/my config/settings.py"
    )
    (loc,) = result["locations"]
    assert loc["physicalLocation"]["artifactLocation"] == {
        "uri": "services/api/Dockerfile",
        "uriBaseId": "%SRCROOT%",
    }
    assert loc["physicalLocation"]["region"]["startLine"] == 7
    assert loc["logicalLocations"] == [
        {
            "fullyQualifiedName": "/app/my config/settings.py",
            "kind": "resource",
            "name": "settings.py",
        }
    ]


def test_context_and_metadata_locations(report: Report) -> None:
    _, doc = render(report)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["locations"][0][
            "physicalLocation"
        ]
        for r in doc["runs"][0]["results"]
    }
    context = uris["services/api/config/settings.py"]
    assert context["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert context["region"] == {"startLine": 12}
    assert uris["config/Env.AWS_ACCESS_KEY_ID"]["artifactLocation"]["uriBaseId"] == "IMAGE_METADATA"
    assert uris["history/2"]["artifactLocation"]["uriBaseId"] == "IMAGE_METADATA"
    assert "region" not in uris["history/2"]
    assert uris["services/api/Dockerfile"]["region"] == {"startLine": 1, "endLine": 9}
    bases = doc["runs"][0]["originalUriBaseIds"]
    assert set(bases) == {"%SRCROOT%", "IMAGE", "IMAGE_METADATA"}


def test_suppressed_finding_carries_an_external_suppression(report: Report) -> None:
    _, doc = render(report)
    suppressed = [r for r in doc["runs"][0]["results"] if "suppressions" in r]
    assert len(suppressed) == 1
    (s,) = suppressed[0]["suppressions"]
    assert s["kind"] == "external"
    assert s["status"] == "accepted"
    assert s["justification"] == "test fixture password, not a live credential"
    assert s["properties"] == {"policyException": "ignore[0]", "expires": "2099-12-31"}
    assert suppressed[0]["properties"]["status"] == "suppressed"


def test_vulnerability_properties(report: Report) -> None:
    _, doc = render(report)
    result = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "CVE-2024-6119")
    props = result["properties"]
    assert props["vulnerabilityId"] == "CVE-2024-6119"
    assert props["aliases"] == ["DSA-5764-1"]
    assert props["fixedVersions"] == ["3.0.14-1~deb12u1"]
    assert props["package"]["purl"] == "pkg:deb/debian/libssl3@3.0.13-1~deb12u1"
    assert props["cvssScore"] == 7.5


def test_partial_fingerprints_and_automation_id(report: Report) -> None:
    _, doc = render(report)
    fps = results_by_fp(doc)
    assert {e.finding.fingerprint for e in report.decision.findings} == set(fps)
    run = doc["runs"][0]
    assert run["automationDetails"]["id"] == "gate/ghcr.io/acme/api/"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("ghcr.io/acme/api:1.4.2", "gate/ghcr.io/acme/api/"),
        ("ghcr.io/acme/api@sha256:" + "a" * 64, "gate/ghcr.io/acme/api/"),
        ("localhost:5000/app:v1", "gate/localhost:5000/app/"),
        ("localhost:5000/app", "gate/localhost:5000/app/"),
        ("oci:build/out:latest", "gate/oci:build/out:latest/"),
        ("docker-archive:img.tar", "gate/docker-archive:img.tar/"),
    ],
)
def test_automation_id_is_stable_across_tags(report: Report, reference: str, expected: str) -> None:
    import dataclasses

    assert report.image is not None
    image = dataclasses.replace(report.image, reference=reference)
    assert automation_id(dataclasses.replace(report, image=image)) == expected
    context_only = dataclasses.replace(report, image=None)
    assert automation_id(context_only) == "gate/context:services/api/"


def test_invocation_notes_and_exceptions(report: Report) -> None:
    _, doc = render(report)
    (invocation,) = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["exitCode"] == 1
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["skipped-large-file", "dockerignore-excluded"]
    assert notes[0]["properties"] == {"check": "secrets", "count": 2}
    config = invocation["toolConfigurationNotifications"]
    assert [(n["descriptor"]["id"], n["level"]) for n in config] == [
        ("expired-exception", "warning"),
        ("unused-exception", "note"),
    ]
    assert invocation["properties"]["verdict"] == "fail"
    assert len(invocation["properties"]["violations"]) == len(report.decision.violations)


def test_baseline_state(tmp_path: Path, sarif_validator: jsonschema.protocols.Validator) -> None:
    from gate.policy.baseline import Baseline

    first = sample_report(tmp_path)
    known = first.decision.findings[0].finding
    second = sample_report(tmp_path, baseline=Baseline.from_findings((known,)))
    _, doc = render(second)
    assert list(sarif_validator.iter_errors(doc)) == []
    states = {
        r["partialFingerprints"][FINGERPRINT_KEY]: r["baselineState"]
        for r in doc["runs"][0]["results"]
    }
    assert states[known.fingerprint] == "unchanged"
    assert sorted(set(states.values())) == ["new", "unchanged"]


def test_empty_report_is_valid(
    tmp_path: Path, sarif_validator: jsonschema.protocols.Validator
) -> None:
    import dataclasses

    from gate.models import Decision, Verdict

    report = dataclasses.replace(
        sample_report(tmp_path),
        checks=(),
        image=None,
        decision=Decision(Verdict.PASS, "enforce", (), ()),
    )
    _, doc = render(report)
    assert list(sarif_validator.iter_errors(doc)) == []
    assert doc["runs"][0]["results"] == []
    assert "toolExecutionNotifications" not in doc["runs"][0]["invocations"][0]
