"""Real sigstore bundles (cosign, trivy, sigstore-python, sigstore-go fixtures in
``../shared/data/sigstore``) as discovery would find them attached to an image.

A bundle's "image digest" here is the digest it was made for: the in-toto subject digest of a
DSSE bundle, the ``messageDigest`` of a message signature (a message signature over an image
signs its manifest, whose digest is the image digest).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from gate.models import CheckResult
from gate.policy.model import AttestationSpec, SignaturePolicy, SignerSpec
from gate.verifiers.signature_check import verify_image
from tests.verifiers.sources import bundle_file, source


@pytest.fixture(scope="module")
def data(shared_data: Path) -> Path:
    return shared_data / "sigstore"


@pytest.fixture(scope="module")
def identities(data: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads((data / "DERIVED-certificate-identities.json").read_text())
    return {row["file"]: row for row in rows}


def subject_digest(path: Path) -> str:
    doc = json.loads(path.read_bytes())
    if "dsseEnvelope" in doc:
        statement = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
        [(algorithm, value)] = statement["subject"][0]["digest"].items()
        return f"{algorithm}:{value}"
    raw = base64.b64decode(doc["messageSignature"]["messageDigest"]["digest"])
    return "sha256:" + raw.hex()


def signer_of(identities: dict[str, dict[str, Any]], relative: str, **claims: str) -> SignerSpec:
    row = identities[relative]
    return SignerSpec(identity=row["san"][0], issuer=row["oidc_issuer"], claims=claims)


def check(
    path: Path, policy: SignaturePolicy, trusted_root: Path | None = None, **kw: Any
) -> CheckResult:
    digest = kw.get("digest") or subject_digest(path)
    artifact = kw.get("artifact") or bundle_file(path)
    return verify_image(
        digest, "app", source(digest, [artifact]), policy, trusted_root=trusted_root
    )


def verified(result: CheckResult, kind: str) -> list[str]:
    return [n.detail for n in result.notes if n.kind == kind]


def messages(result: CheckResult) -> dict[str, str]:
    return {f.rule_id: f.message for f in result.findings}


COSIGN_ATTESTATION = "cosign/pkg/cosign/testdata/oci-attestation.sigstore.json"
TRIVY_SBOM = "trivy/pkg/fanal/artifact/image/testdata/sigstore-bundle.json"
GITHUB_WHEEL = "sigstore-python/test/assets/bundle_v3_github.whl.sigstore"


# -- attestations (v0.3 bundles, dsse entries: sigstore-python's Verifier) --------------------


def test_cosign_attestation_bundle_verifies(
    data: Path, identities: dict[str, dict[str, Any]]
) -> None:
    policy = SignaturePolicy(
        signers=(signer_of(identities, COSIGN_ATTESTATION),),
        attestations=(AttestationSpec("https://cosign.sigstore.dev/attestation/v1"),),
    )
    result = check(data / COSIGN_ATTESTATION, policy)
    [note] = verified(result, "attestation-verified")
    assert "verified by sigstore-python" in note and "cody@soyland.com" in note
    # An attestation is not a signature: the signers requirement still finds none.
    assert (
        "1 attestation(s) found, which are not signatures" in messages(result)["signature/missing"]
    )


def test_attestation_from_the_wrong_identity(
    data: Path, identities: dict[str, dict[str, Any]]
) -> None:
    signer = dataclasses.replace(
        signer_of(identities, COSIGN_ATTESTATION), identity="ci@soyland.com"
    )
    policy = SignaturePolicy(
        signers=(signer,),
        attestations=(AttestationSpec("https://cosign.sigstore.dev/attestation/v1"),),
    )
    message = messages(check(data / COSIGN_ATTESTATION, policy))["attestation/invalid"]
    assert "identity cody@soyland.com not allowed (allowed: ci@soyland.com)" in message


def test_required_predicate_type_is_missing(
    data: Path, identities: dict[str, dict[str, Any]]
) -> None:
    policy = SignaturePolicy(
        signers=(signer_of(identities, COSIGN_ATTESTATION),),
        attestations=(AttestationSpec("https://slsa.dev/provenance/v1"),),
    )
    message = messages(check(data / COSIGN_ATTESTATION, policy))["attestation/missing"]
    assert "no attestation of type https://slsa.dev/provenance/v1" in message
    assert "found: https://cosign.sigstore.dev/attestation/v1" in message


def test_sbom_attestation_with_conditions(
    data: Path, identities: dict[str, dict[str, Any]]
) -> None:
    signer = signer_of(identities, TRIVY_SBOM)
    good = SignaturePolicy(
        signers=(signer,),
        attestations=(
            AttestationSpec(
                "https://cyclonedx.org/bom",
                {
                    "bomFormat": "CycloneDX",
                    "components.0.name": "github.com/opencontainers/go-digest",
                },
            ),
        ),
    )
    assert verified(check(data / TRIVY_SBOM, good), "attestation-verified")
    bad = dataclasses.replace(
        good,
        attestations=(
            AttestationSpec(
                "https://cyclonedx.org/bom", {"bomFormat": "SPDX", "metadata.supplier.name": "x"}
            ),
        ),
    )
    message = messages(check(data / TRIVY_SBOM, bad))["attestation/condition-failed"]
    assert "predicate bomFormat is 'CycloneDX' (policy requires 'SPDX')" in message
    assert "predicate metadata.supplier.name is missing" in message


def test_attestation_for_another_image(data: Path, identities: dict[str, dict[str, Any]]) -> None:
    policy = SignaturePolicy(
        signers=(signer_of(identities, TRIVY_SBOM),),
        attestations=(AttestationSpec("https://cyclonedx.org/bom"),),
    )
    other = "sha256:" + "1" * 64
    message = messages(check(data / TRIVY_SBOM, policy, digest=other))["attestation/invalid"]
    signed = "sha256:ea9c657ca44371fadd027510f2a1a68b799003294bf6a4827827971cc4390ad4"
    assert f"digest mismatch: signed {signed} but image is {other}" in message


def test_tampered_attestation_bundle_fails(
    data: Path, identities: dict[str, dict[str, Any]]
) -> None:
    doc = json.loads((data / TRIVY_SBOM).read_bytes())
    statement = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
    statement["predicate"]["components"][0]["version"] = "v9.9.9"
    doc["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    artifact = dataclasses.replace(bundle_file(data / TRIVY_SBOM), payload=json.dumps(doc).encode())
    policy = SignaturePolicy(
        signers=(signer_of(identities, TRIVY_SBOM),),
        attestations=(AttestationSpec("https://cyclonedx.org/bom"),),
    )
    message = messages(check(data / TRIVY_SBOM, policy, artifact=artifact))["attestation/invalid"]
    assert "sigstore-python:" in message


# -- a GitHub Actions signature (message signature, hashedrekord) -----------------------------


def test_github_workflow_claims(data: Path, identities: dict[str, dict[str, Any]]) -> None:
    signer = signer_of(
        identities,
        GITHUB_WHEEL,
        github_workflow_repository="trailofbits/rfc8785.py",
        github_workflow_ref="refs/tags/v0.1.2",
        github_workflow_trigger="release",
        build_config_uri="https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
        runner_environment="github-hosted",
    )
    result = check(data / GITHUB_WHEEL, SignaturePolicy(required=True, signers=(signer,)))
    assert result.findings == ()
    assert "github_workflow_ref refs/tags/v0.1.2" in verified(result, "signature-verified")[0]


def test_github_claims_that_do_not_hold(data: Path, identities: dict[str, dict[str, Any]]) -> None:
    signer = signer_of(
        identities,
        GITHUB_WHEEL,
        github_workflow_ref="refs/heads/main",
        github_workflow_repository="trailofbits/other",
    )
    rule, message = next(
        iter(messages(check(data / GITHUB_WHEEL, SignaturePolicy(signers=(signer,)))).items())
    )
    assert rule == "signature/identity-mismatch"
    assert "github_workflow_ref refs/tags/v0.1.2 not allowed (allowed: refs/heads/main)" in message
    assert (
        "github_workflow_repository trailofbits/rfc8785.py not allowed (allowed: trailofbits/other)"
        in message
    )


def test_message_signature_is_checked_against_the_image_digest(
    data: Path, identities: dict[str, dict[str, Any]]
) -> None:
    other = "sha256:" + "2" * 64
    signer = signer_of(identities, GITHUB_WHEEL)
    result = check(data / GITHUB_WHEEL, SignaturePolicy(signers=(signer,)), digest=other)
    message = messages(result)["signature/digest-mismatch"]
    assert f"but image is {other}" in message


# -- other instances and trust roots ----------------------------------------------------------


@pytest.fixture(scope="module")
def staging_root(data: Path) -> Path:
    targets = data / "sigstore-python" / "test" / "assets" / "staging-tuf" / "targets"
    [root] = targets.glob("*.trusted_root.json")
    return root


def test_staging_bundle_needs_the_staging_root(
    data: Path, identities: dict[str, dict[str, Any]], staging_root: Path
) -> None:
    path = data / "sigstore-python/test/assets/bundle_v3.txt.sigstore"
    policy = SignaturePolicy(
        signers=(signer_of(identities, "sigstore-python/test/assets/bundle_v3.txt.sigstore"),)
    )
    assert check(path, policy, trusted_root=staging_root).findings == ()
    rule, message = next(iter(messages(check(path, policy)).items()))
    assert rule == "signature/invalid"
    assert "failed to build timestamp certificate chain" in message


def test_cve_2022_36056_bundle_is_refused(
    data: Path, identities: dict[str, dict[str, Any]], staging_root: Path
) -> None:
    relative = "sigstore-python/test/assets/bundle_cve_2022_36056.txt.sigstore"
    policy = SignaturePolicy(signers=(signer_of(identities, relative),))
    message = messages(check(data / relative, policy, trusted_root=staging_root))[
        "signature/invalid"
    ]
    assert "transparency log entry is inconsistent with other materials" in message


def test_bundle_without_log_entry_is_refused(
    data: Path, identities: dict[str, dict[str, Any]]
) -> None:
    relative = "sigstore-python/test/assets/bundle_no_log_entry.txt.sigstore"
    policy = SignaturePolicy(signers=(signer_of(identities, relative),))
    assert "signature/invalid" in messages(check(data / relative, policy))


@pytest.mark.parametrize(
    "relative",
    [
        "sigstore-python/test/assets/bundle_invalid_version.txt.sigstore",
        "sigstore-python/test/assets/bundle_no_cert_v1.txt.sigstore",
    ],
)
def test_malformed_bundles_are_invalid_not_errors(data: Path, relative: str) -> None:
    policy = SignaturePolicy(signers=(SignerSpec(identity_regexp=".*", issuer_regexp=".*"),))
    result = check(data / relative, policy, digest="sha256:" + "3" * 64)
    assert "unreadable" in messages(result)["signature/invalid"]


def test_v01_bundle_with_intoto_entry_is_verified_by_its_set(
    data: Path, identities: dict[str, dict[str, Any]]
) -> None:
    # sigstore-python 4 cannot load a v0.1 bundle without inclusion proof; gate verifies it
    # like cosign's annotation format: SET, entry body (intoto 0.0.2), chain and SCT.
    relative = "sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json"
    spec = AttestationSpec(
        "https://slsa.dev/provenance/v0.2",
        {"builder.id": "https://github.com/npm/slsa-provenance@0.0.1"},
    )
    policy = SignaturePolicy(signers=(signer_of(identities, relative),), attestations=(spec,))
    result = check(data / relative, policy)
    [note] = verified(result, "attestation-verified")
    assert "Rekor log index 6800908" in note
    wrong = dataclasses.replace(
        policy, attestations=(AttestationSpec(spec.predicate_type, {"builder.id": "x"}),)
    )
    assert "attestation/condition-failed" in messages(check(data / relative, policy=wrong))


def test_key_signed_bundle(data: Path) -> None:
    relative = "sigstore-go/pkg/testing/data/bundles/public-key-validity.sigstore.json"
    key_path = data / "sigstore-go/pkg/testing/data/public-keys/public-key-validity.pem"
    signer = SignerSpec(key="public-key-validity.pem", key_path=key_path)
    assert check(data / relative, SignaturePolicy(signers=(signer,))).findings == ()
    strict = SignaturePolicy(signers=(signer,), require_tlog=True)
    assert "signature/tlog-missing" in messages(check(data / relative, strict))
