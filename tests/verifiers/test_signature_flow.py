"""The signature check through the whole pipeline: a real OCI layout (image_writer), a policy
file with keys beside it, signatures the tests make in cosign's exact formats with keys they
generate, the policy decision, and the reports.

Signatures reach the check through ``GateRequest.extra["signature_source"]``, the contract with
discovery (registry, OCI layout), played here by an in-memory source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gate.models import Check, FindingStatus, Report, Verdict
from gate.pipeline import GateRequest, run_gate
from gate.policy.loader import load_policy
from gate.reporters.json_report import JsonReporter, report_schema
from gate.reporters.sarif import SarifReporter
from gate.sources.image import open_image
from gate.testing import image_writer
from gate.testing import signature_writer as w
from gate.verifiers.artifacts import ArtifactFormat, DiscoveryScheme, SignatureArtifact
from tests.verifiers.sources import MemorySignatureSource, artifact

TODAY = dt.date(2025, 6, 1)
REPO = "registry.invalid/team/app"
KINDS: tuple[w.KeyKind, ...] = ("p256", "p384", "rsa", "ed25519")


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two real images in OCI layouts: ``oci:`` references and their manifest digests."""
    out: dict[str, str] = {}
    for name, content in (("app", b"release 1\n"), ("other", b"release 2\n")):
        layout = tmp_path_factory.mktemp(name)
        image_writer.write_oci_layout(
            layout, image_writer.ImageSpec(layers=[{"/app/VERSION": content}])
        )
        ref = f"oci:{layout}:latest"
        out[name] = ref
        out[name + "_digest"] = open_image(ref).manifest_digest
    return out


@pytest.fixture(scope="module")
def keys() -> dict[str, w.PrivateKey]:
    return {kind: w.generate_key(kind) for kind in KINDS}


def write_policy(tmp_path: Path, body: str, **keys: w.PrivateKey) -> Path:
    """``policy.toml`` with each key written to ``keys/<name>.pub`` beside it."""
    (tmp_path / "keys").mkdir(exist_ok=True)
    for name, key in keys.items():
        (tmp_path / "keys" / f"{name}.pub").write_bytes(w.public_pem(key))
    path = tmp_path / "policy.toml"
    path.write_text(body, encoding="utf-8")
    return path


def simple_signature(layer: w.Layer) -> SignatureArtifact:
    return artifact(
        ArtifactFormat.COSIGN_SIMPLE_SIGNING,
        layer.blob,
        layer.media_type,
        layer.annotations,
        location=f"{REPO}:sha256-x.sig",
    )


def signed(key: w.PrivateKey, digest: str, reference: str = REPO) -> SignatureArtifact:
    payload = w.simple_signing_payload(digest=digest, reference=reference)
    return simple_signature(w.signature_layer(payload, w.sign(key, payload)))


def gate(
    image: str,
    policy: Path,
    artifacts: list[SignatureArtifact],
    *,
    digest: str,
    trusted_root: Path | None = None,
    today: dt.date = TODAY,
) -> Report:
    extra: dict[str, Any] = {"signature_source": MemorySignatureSource(digest, artifacts)}
    if trusted_root is not None:
        extra["trusted_root"] = trusted_root
    request = GateRequest(
        policy=load_policy(policy),
        policy_path=str(policy),
        image_ref=image,
        checks=(Check.SIGNATURE,),
        today=today,
        extra=extra,
    )
    return run_gate(request)


def rules_of(report: Report) -> list[str]:
    return [f.rule_id for result in report.checks for f in result.findings]


def messages(report: Report) -> str:
    return " | ".join(f.message for result in report.checks for f in result.findings)


REQUIRE_KEY = """
[signature]
required = true
[[signature.signers]]
key = "keys/{name}.pub"
"""


# -- key-signed images, every key type ---------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_valid_signature_passes(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey], kind: str
) -> None:
    policy = write_policy(tmp_path, REQUIRE_KEY.format(name="release"), release=keys[kind])
    digest = images["app_digest"]
    report = gate(images["app"], policy, [signed(keys[kind], digest)], digest=digest)
    assert report.decision.verdict is Verdict.PASS, messages(report)
    [result] = report.checks
    assert result.findings == ()
    assert [n.kind for n in result.notes] == ["signature-verified"]
    assert "key keys/release.pub" in result.notes[0].detail


@pytest.mark.parametrize("kind", KINDS)
def test_tampered_payload_fails(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey], kind: str
) -> None:
    policy = write_policy(tmp_path, REQUIRE_KEY.format(name="release"), release=keys[kind])
    digest = images["app_digest"]
    good = signed(keys[kind], digest)
    tampered = dataclasses.replace(good, payload=good.payload.replace(b"team/app", b"team/evil"))
    report = gate(images["app"], policy, [tampered], digest=digest)
    assert report.decision.verdict is Verdict.FAIL
    assert rules_of(report) == ["signature/invalid"]
    assert report.decision.violations[0].message.startswith("signature.required: ")


@pytest.mark.parametrize("kind", KINDS)
def test_signature_for_another_digest_fails(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey], kind: str
) -> None:
    policy = write_policy(tmp_path, REQUIRE_KEY.format(name="release"), release=keys[kind])
    digest = images["app_digest"]
    copied = signed(keys[kind], images["other_digest"])
    report = gate(images["app"], policy, [copied], digest=digest)
    assert report.decision.verdict is Verdict.FAIL
    assert rules_of(report) == ["signature/digest-mismatch"]
    assert f"signed {images['other_digest']} but image is {digest}" in messages(report)


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_key_fails(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey], kind: str
) -> None:
    other = next(k for k in KINDS if k != kind)
    policy = write_policy(tmp_path, REQUIRE_KEY.format(name="release"), release=keys[other])
    digest = images["app_digest"]
    report = gate(images["app"], policy, [signed(keys[kind], digest)], digest=digest)
    assert report.decision.verdict is Verdict.FAIL
    assert rules_of(report) == ["signature/invalid"]
    assert "for key keys/release.pub" in messages(report)
    assert "the signature does not verify with this key" in messages(report)


def test_unsigned_image_fails(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey]
) -> None:
    policy = write_policy(tmp_path, REQUIRE_KEY.format(name="release"), release=keys["p256"])
    report = gate(images["app"], policy, [], digest=images["app_digest"])
    assert report.decision.verdict is Verdict.FAIL
    assert rules_of(report) == ["signature/missing"]
    assert messages(report) == (
        "no signature found (looked at: cosign tag, referrers API, referrers tag)"
    )


def test_not_required_reports_without_blocking(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey]
) -> None:
    body = REQUIRE_KEY.format(name="release").replace("required = true", "required = false")
    policy = write_policy(tmp_path, body + "[checks]\nsignature = true\n", release=keys["p256"])
    report = gate(images["app"], policy, [], digest=images["app_digest"])
    assert report.decision.verdict is Verdict.PASS
    [evaluated] = report.decision.findings
    assert evaluated.status is FindingStatus.ALLOWED


@pytest.mark.parametrize(("days", "verdict"), [(-1, Verdict.FAIL), (30, Verdict.PASS)])
def test_policy_exception_until_it_expires(
    tmp_path: Path,
    images: dict[str, str],
    keys: dict[str, w.PrivateKey],
    days: int,
    verdict: Verdict,
) -> None:
    expires = (TODAY + dt.timedelta(days=days)).isoformat()
    body = REQUIRE_KEY.format(name="release") + (
        f'[[ignore]]\nrule = "signature/missing"\nreason = "signing lands next sprint"\n'
        f"expires = {expires}\n"
    )
    policy = write_policy(tmp_path, body, release=keys["p256"])
    report = gate(images["app"], policy, [], digest=images["app_digest"])
    assert report.decision.verdict is verdict
    [evaluated] = report.decision.findings
    if verdict is Verdict.PASS:
        assert evaluated.status is FindingStatus.SUPPRESSED
        assert report.decision.expired_exceptions == ()
    else:
        assert evaluated.status is FindingStatus.BLOCKING
        assert [e.expires for e in report.decision.expired_exceptions] == [expires]


def test_docker_reference(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey]
) -> None:
    body = REQUIRE_KEY.format(name="release").replace(
        "required = true", f'required = true\ndocker_reference = "{REPO}"'
    )
    policy = write_policy(tmp_path, body, release=keys["p256"])
    digest = images["app_digest"]
    ok = gate(images["app"], policy, [signed(keys["p256"], digest, REPO + ":1.4")], digest=digest)
    assert ok.decision.verdict is Verdict.PASS
    bad = gate(
        images["app"], policy, [signed(keys["p256"], digest, "registry.invalid/x")], digest=digest
    )
    assert rules_of(bad) == ["signature/reference-mismatch"]


# -- transparency log -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sigstore(tmp_path_factory: pytest.TempPathFactory) -> tuple[w.TestSigstore, Path]:
    instance = w.TestSigstore()
    root = tmp_path_factory.mktemp("trust") / "trusted_root.json"
    root.write_bytes(instance.trusted_root())
    return instance, root


TLOG_POLICY = REQUIRE_KEY.replace("required = true", "required = true\nrequire_tlog = true")


def test_require_tlog_without_entry_fails(
    tmp_path: Path,
    images: dict[str, str],
    keys: dict[str, w.PrivateKey],
    sigstore: tuple[w.TestSigstore, Path],
) -> None:
    policy = write_policy(tmp_path, TLOG_POLICY.format(name="release"), release=keys["p256"])
    digest = images["app_digest"]
    report = gate(
        images["app"],
        policy,
        [signed(keys["p256"], digest)],
        digest=digest,
        trusted_root=sigstore[1],
    )
    assert report.decision.verdict is Verdict.FAIL
    assert rules_of(report) == ["signature/tlog-missing"]


def test_require_tlog_with_rekor_bundle_passes(
    tmp_path: Path,
    images: dict[str, str],
    keys: dict[str, w.PrivateKey],
    sigstore: tuple[w.TestSigstore, Path],
) -> None:
    instance, root = sigstore
    key = keys["p256"]
    policy = write_policy(tmp_path, TLOG_POLICY.format(name="release"), release=key)
    digest = images["app_digest"]
    payload = w.simple_signing_payload(digest=digest, reference=REPO)
    signature = w.sign(key, payload)
    entry = instance.log_entry(w.hashedrekord_body(payload, signature, w.public_pem(key)))
    layer = w.signature_layer(payload, signature, rekor_bundle=instance.rekor_bundle(entry))
    report = gate(
        images["app"], policy, [simple_signature(layer)], digest=digest, trusted_root=root
    )
    assert report.decision.verdict is Verdict.PASS, messages(report)
    [result] = report.checks
    assert f"Rekor log index {entry['Payload']['logIndex']}" in result.notes[0].detail
    assert result.metadata["trusted_root"] == str(root)


# -- all_of -----------------------------------------------------------------------------------

ALL_OF = """
[signature]
required = true
[[signature.signers]]
key = "keys/ci.pub"
[signature.all_of]
signers = [ { key = "keys/ci.pub" }, { key = "keys/security.pub" } ]
"""


def test_all_of_with_one_signer_missing(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey]
) -> None:
    ci, security = keys["p256"], keys["ed25519"]
    policy = write_policy(tmp_path, ALL_OF, ci=ci, security=security)
    digest = images["app_digest"]
    report = gate(images["app"], policy, [signed(ci, digest)], digest=digest)
    assert report.decision.verdict is Verdict.FAIL
    [finding] = report.checks[0].findings
    assert finding.rule_id == "signature/invalid"
    assert finding.properties["requirement"] == "signature.all_of.signers[1]"
    assert finding.message.startswith(
        "key keys/security.pub (Ed25519) (signature.all_of.signers[1])"
    )
    both = gate(
        images["app"], policy, [signed(ci, digest), signed(security, digest)], digest=digest
    )
    assert both.decision.verdict is Verdict.PASS
    assert len([n for n in both.checks[0].notes if n.kind == "signature-verified"]) == 3


# -- attestations -----------------------------------------------------------------------------

ATTEST = """
[signature]
required = true
[[signature.signers]]
key = "keys/ci.pub"
[[signature.attestations]]
predicate_type = "https://slsa.dev/provenance/v1"
[signature.attestations.conditions]
"buildDefinition.buildType" = "https://actions.github.io/buildtypes/workflow/v1"
"runDetails.builder.id" = "{builder}"
"""


@pytest.fixture(scope="module")
def provenance(shared_data: Path) -> dict[str, Any]:
    """A real SLSA v1 provenance predicate (sigstore-python's attest fixtures)."""
    path = (
        shared_data
        / "sigstore/sigstore-python/test/assets/integration/attest/slsa_predicate_v1_0.json"
    )
    predicate: dict[str, Any] = json.loads(path.read_text())
    return predicate


def attestation(
    key: w.PrivateKey, digest: str, predicate_type: str, predicate: Any
) -> SignatureArtifact:
    envelope = w.dsse_envelope(key, w.in_toto_statement(digest, predicate_type, predicate))
    layer = w.attestation_layer(envelope, predicate_type=predicate_type)
    return artifact(
        ArtifactFormat.COSIGN_ATTESTATION,
        layer.blob,
        layer.media_type,
        layer.annotations,
        location=f"{REPO}:sha256-x.att",
    )


def test_attestation_checks(
    tmp_path: Path,
    images: dict[str, str],
    keys: dict[str, w.PrivateKey],
    provenance: dict[str, Any],
) -> None:
    ci = keys["p384"]
    digest = images["app_digest"]
    builder = provenance["runDetails"]["builder"]["id"]
    policy = write_policy(tmp_path, ATTEST.format(builder=builder), ci=ci)
    signature = signed(ci, digest)
    slsa = "https://slsa.dev/provenance/v1"

    good = gate(
        images["app"], policy, [signature, attestation(ci, digest, slsa, provenance)], digest=digest
    )
    assert good.decision.verdict is Verdict.PASS, messages(good)
    assert {n.kind for n in good.checks[0].notes} == {"signature-verified", "attestation-verified"}

    sbom = attestation(ci, digest, "https://cyclonedx.org/bom", {"bomFormat": "CycloneDX"})
    wrong_type = gate(images["app"], policy, [signature, sbom], digest=digest)
    assert rules_of(wrong_type) == ["attestation/missing"]
    assert "found: https://cyclonedx.org/bom" in messages(wrong_type)

    other_builder = json.loads(json.dumps(provenance))
    other_builder["runDetails"]["builder"]["id"] = "https://evil.invalid/builder"
    failed = gate(
        images["app"],
        policy,
        [signature, attestation(ci, digest, slsa, other_builder)],
        digest=digest,
    )
    assert rules_of(failed) == ["attestation/condition-failed"]
    expected = "predicate runDetails.builder.id is 'https://evil.invalid/builder'"
    assert f"{expected} (policy requires '{builder}')" in messages(failed)

    unsigned_by_ci = gate(
        images["app"],
        policy,
        [signature, attestation(keys["rsa"], digest, slsa, provenance)],
        digest=digest,
    )
    assert rules_of(unsigned_by_ci) == ["attestation/invalid"]

    for_other = gate(
        images["app"],
        policy,
        [signature, attestation(ci, images["other_digest"], slsa, provenance)],
        digest=digest,
    )
    assert rules_of(for_other) == ["attestation/invalid"]
    assert "digest mismatch" in messages(for_other)


# -- keyless ----------------------------------------------------------------------------------

KEYLESS = """
[signature]
required = true
[[signature.signers]]
identity = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"
issuer = "https://token.actions.githubusercontent.com"
{extra}
"""
WORKFLOW = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"
GITHUB = "https://token.actions.githubusercontent.com"


def keyless_signature(
    instance: w.TestSigstore,
    digest: str,
    *,
    identity: str = WORKFLOW,
    issuer: str = GITHUB,
    log_delay: dt.timedelta = dt.timedelta(seconds=5),
    tlog: bool = True,
    **issue: Any,
) -> SignatureArtifact:
    signed_at = instance.start + dt.timedelta(days=1)
    key, cert = instance.issue(identity, issuer, at=signed_at, **issue)
    payload = w.simple_signing_payload(digest=digest, reference=REPO)
    signature = w.sign(key, payload)
    bundle = None
    if tlog:
        entry = instance.log_entry(
            w.hashedrekord_body(payload, signature, cert), at=signed_at + log_delay
        )
        bundle = instance.rekor_bundle(entry)
    layer = w.signature_layer(
        payload, signature, certificate=cert, chain=instance.chain, rekor_bundle=bundle
    )
    return simple_signature(layer)


def test_keyless_signature_passes(
    tmp_path: Path, images: dict[str, str], sigstore: tuple[w.TestSigstore, Path]
) -> None:
    instance, root = sigstore
    policy = write_policy(tmp_path, KEYLESS.format(extra=""))
    digest = images["app_digest"]
    report = gate(
        images["app"],
        policy,
        [keyless_signature(instance, digest)],
        digest=digest,
        trusted_root=root,
    )
    assert report.decision.verdict is Verdict.PASS, messages(report)


@pytest.mark.parametrize(
    ("issue", "rule", "text"),
    [
        (
            {"identity": "https://github.com/org/app/.github/workflows/ci.yml@refs/heads/dev"},
            "signature/identity-mismatch",
            "identity https://github.com/org/app/.github/workflows/ci.yml@refs/heads/dev not",
        ),
        (
            {"issuer": "https://gitlab.com"},
            "signature/identity-mismatch",
            f"issuer https://gitlab.com not allowed (allowed: {GITHUB})",
        ),
        (
            {"log_delay": dt.timedelta(minutes=11)},
            "signature/invalid",
            "certificate expired at signing time",
        ),
        ({"tlog": False}, "signature/tlog-missing", "no transparency log entry"),
        ({"with_sct": False}, "signature/invalid", "no signed certificate timestamp (SCT)"),
    ],
)
def test_keyless_failures(
    tmp_path: Path,
    images: dict[str, str],
    sigstore: tuple[w.TestSigstore, Path],
    issue: dict[str, Any],
    rule: str,
    text: str,
) -> None:
    instance, root = sigstore
    policy = write_policy(tmp_path, KEYLESS.format(extra=""))
    digest = images["app_digest"]
    report = gate(
        images["app"],
        policy,
        [keyless_signature(instance, digest, **issue)],
        digest=digest,
        trusted_root=root,
    )
    assert report.decision.verdict is Verdict.FAIL
    assert rules_of(report) == [rule]
    assert text in messages(report)


@pytest.mark.parametrize(("v1", "v2"), [(True, False), (False, True)])
def test_issuer_from_either_extension(
    tmp_path: Path,
    images: dict[str, str],
    sigstore: tuple[w.TestSigstore, Path],
    v1: bool,
    v2: bool,
) -> None:
    instance, root = sigstore
    policy = write_policy(tmp_path, KEYLESS.format(extra=""))
    digest = images["app_digest"]
    artifact_ = keyless_signature(instance, digest, issuer_v1=v1, issuer_v2=v2)
    assert (
        gate(images["app"], policy, [artifact_], digest=digest, trusted_root=root).decision.verdict
        is Verdict.PASS
    )


def test_github_claims_from_v1_and_v2_extensions(
    tmp_path: Path, images: dict[str, str], sigstore: tuple[w.TestSigstore, Path]
) -> None:
    instance, root = sigstore
    extra = 'github_workflow_repository = "org/app"\ngithub_workflow_ref = "refs/heads/main"\n'
    policy = write_policy(tmp_path, KEYLESS.format(extra=extra))
    digest = images["app_digest"]
    v1 = {"github_workflow_repository": "org/app", "github_workflow_ref": "refs/heads/main"}
    v2 = {
        "source_repository_uri": "https://github.com/org/app",
        "source_repository_ref": "refs/heads/main",
    }
    for claims in (v1, v2):
        report = gate(
            images["app"],
            policy,
            [keyless_signature(instance, digest, claims=claims)],
            digest=digest,
            trusted_root=root,
        )
        assert report.decision.verdict is Verdict.PASS, messages(report)
    wrong = {
        "source_repository_uri": "https://github.com/org/fork",
        "source_repository_ref": "refs/heads/main",
    }
    report = gate(
        images["app"],
        policy,
        [keyless_signature(instance, digest, claims=wrong)],
        digest=digest,
        trusted_root=root,
    )
    assert rules_of(report) == ["signature/identity-mismatch"]
    assert "github_workflow_repository org/fork not allowed (allowed: org/app)" in messages(report)
    missing = gate(
        images["app"],
        policy,
        [keyless_signature(instance, digest)],
        digest=digest,
        trusted_root=root,
    )
    assert "the certificate has no github_workflow_ref (required: refs/heads/main)" in messages(
        missing
    )


def test_every_reason_is_listed(
    tmp_path: Path, images: dict[str, str], sigstore: tuple[w.TestSigstore, Path]
) -> None:
    # A signature for another image, by another identity, made with an expired certificate.
    instance, root = sigstore
    policy = write_policy(tmp_path, KEYLESS.format(extra=""))
    bad = keyless_signature(
        instance,
        images["other_digest"],
        identity="someone@example.com",
        log_delay=dt.timedelta(hours=1),
    )
    report = gate(images["app"], policy, [bad], digest=images["app_digest"], trusted_root=root)
    text = messages(report)
    assert "digest mismatch: signed" in text
    assert "identity someone@example.com not allowed" in text
    assert "certificate expired at signing time" in text


def test_keyless_attestation_with_intoto_entry(
    tmp_path: Path,
    images: dict[str, str],
    sigstore: tuple[w.TestSigstore, Path],
    provenance: dict[str, Any],
) -> None:
    instance, root = sigstore
    builder = provenance["runDetails"]["builder"]["id"]
    body = KEYLESS.format(extra="") + (
        '[[signature.attestations]]\npredicate_type = "https://slsa.dev/provenance/v1"\n'
        f'conditions = {{ "runDetails.builder.id" = "{builder}" }}\n'
    )
    policy = write_policy(tmp_path, body)
    digest = images["app_digest"]
    signed_at = instance.start + dt.timedelta(days=1)
    key, cert = instance.issue(WORKFLOW, GITHUB, at=signed_at)
    envelope = w.dsse_envelope(
        key, w.in_toto_statement(digest, "https://slsa.dev/provenance/v1", provenance)
    )
    entry = instance.log_entry(
        w.intoto_body(envelope, cert), at=signed_at + dt.timedelta(seconds=3)
    )
    layer = w.attestation_layer(
        envelope,
        predicate_type="https://slsa.dev/provenance/v1",
        certificate=cert,
        chain=instance.chain,
        rekor_bundle=instance.rekor_bundle(entry),
    )
    att = artifact(
        ArtifactFormat.COSIGN_ATTESTATION, layer.blob, layer.media_type, layer.annotations
    )
    report = gate(
        images["app"],
        policy,
        [keyless_signature(instance, digest), att],
        digest=digest,
        trusted_root=root,
    )
    assert report.decision.verdict is Verdict.PASS, messages(report)


# -- cosign's new bundle format, key-signed ---------------------------------------------------


def test_key_signed_bundle_with_dsse_log_entry(
    tmp_path: Path,
    images: dict[str, str],
    keys: dict[str, w.PrivateKey],
    sigstore: tuple[w.TestSigstore, Path],
) -> None:
    instance, root = sigstore
    key = keys["p256"]
    policy = write_policy(tmp_path, TLOG_POLICY.format(name="release"), release=key)
    digest = images["app_digest"]
    statement = w.in_toto_statement(digest, "https://sigstore.dev/cosign/sign/v1", {})
    envelope = w.dsse_envelope(key, statement)
    entry = instance.log_entry(w.dsse_body(envelope, w.public_pem(key)))
    bundle = artifact(
        ArtifactFormat.SIGSTORE_BUNDLE,
        w.key_bundle(envelope, entry),
        w.BUNDLE_V03,
        found_via=DiscoveryScheme.REFERRERS_API,
    )
    report = gate(images["app"], policy, [bundle], digest=digest, trusted_root=root)
    assert report.decision.verdict is Verdict.PASS, messages(report)
    unlogged = artifact(ArtifactFormat.SIGSTORE_BUNDLE, w.key_bundle(envelope), w.BUNDLE_V03)
    report = gate(images["app"], policy, [unlogged], digest=digest, trusted_root=root)
    assert rules_of(report) == ["signature/tlog-missing"]


# -- reports ----------------------------------------------------------------------------------


def test_signature_findings_in_json_and_sarif(
    tmp_path: Path, images: dict[str, str], keys: dict[str, w.PrivateKey], shared_data: Path
) -> None:
    policy = write_policy(tmp_path, REQUIRE_KEY.format(name="release"), release=keys["p256"])
    digest = images["app_digest"]
    report = gate(images["app"], policy, [signed(keys["rsa"], digest)], digest=digest)
    doc = json.loads(JsonReporter().render(report))
    jsonschema.Draft202012Validator(report_schema()).validate(doc)
    sarif = json.loads(SarifReporter().render(report))
    schema_path = shared_data / "schemas/sarif/sarif-2.1/schema/sarif-schema-2.1.0.json"
    schema = json.loads(schema_path.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "signature/invalid"
    assert result["level"] == "error"
