"""Real cosign attestations (grype's fixtures: DSSE envelopes of syft and CycloneDX SBOMs signed
with a cosign key, and tampered copies) as the layers of an ``.att`` manifest; and cosign's
vulnerability-scan predicate inside an attestation the test signs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from gate.models import CheckResult
from gate.policy.model import AttestationSpec, SignaturePolicy, SignerSpec
from gate.testing import signature_writer as w
from gate.verifiers.artifacts import ArtifactFormat
from gate.verifiers.signature_check import verify_image
from tests.verifiers.sources import artifact, attestation_file, source


@pytest.fixture(scope="module")
def grype(shared_data: Path) -> Path:
    return shared_data / "sigstore/grype-cosign-attestations/grype/pkg/testdata"


def subject(path: Path) -> str:
    statement = json.loads(base64.b64decode(json.loads(path.read_bytes())["payload"]))
    return "sha256:" + statement["subject"][0]["digest"]["sha256"]


def check(
    grype: Path, name: str, key: str, spec: AttestationSpec, digest: str | None = None
) -> CheckResult:
    path = grype / name
    digest = digest or subject(grype / name.replace("-tampered", ""))
    policy = SignaturePolicy(
        signers=(SignerSpec(key=key, key_path=grype / key),), attestations=(spec,)
    )
    return verify_image(digest, "alpine", source(digest, [attestation_file(path)]), policy)


def rules(result: CheckResult) -> dict[str, str]:
    return {f.rule_id: f.message for f in result.findings if f.rule_id.startswith("attestation/")}


SYFT = AttestationSpec("https://syft.dev/bom", {"distro.name": "Alpine Linux"})
CYCLONEDX = AttestationSpec("https://cyclonedx.org/bom", {"bomFormat": "CycloneDX"})


def test_syft_sbom_attestation_verifies(grype: Path) -> None:
    result = check(grype, "alpine.att.json", "cosign.pub", SYFT)
    assert rules(result) == {}
    assert [n.kind for n in result.notes if n.kind.endswith("-verified")] == [
        "attestation-verified"
    ]


def test_cyclonedx_sbom_attestation_verifies(grype: Path) -> None:
    assert rules(check(grype, "alpine.cdx.att.json", "cosign.pub", CYCLONEDX)) == {}


def test_tampered_attestation_fails(grype: Path) -> None:
    message = rules(check(grype, "alpine-tampered.att.json", "cosign.pub", SYFT))[
        "attestation/invalid"
    ]
    assert "for key cosign.pub (ECDSA secp256r1): the signature does not verify" in message


def test_attestation_by_another_key_fails(grype: Path) -> None:
    result = check(grype, "alpine.att.json", "another_cosign.pub", SYFT)
    assert "attestation/invalid" in rules(result)


def test_unreadable_attestation_is_not_counted_as_one(grype: Path) -> None:
    # The tampered CycloneDX copy no longer holds JSON: it cannot be of any predicate type.
    result = check(
        grype, "alpine-tampered.cdx.att.json", "cosign.pub", CYCLONEDX, digest="sha256:" + "4" * 64
    )
    message = rules(result)["attestation/missing"]
    assert "no attestation found; 1 unreadable attestation(s)" in message
    assert result.notes[0].kind == "unreadable-signature-artifact"


def test_vulnerability_scan_predicate(shared_data: Path, tmp_path: Path) -> None:
    predicate = json.loads(
        (shared_data / "sigstore/cosign/test/testdata/attestations/vuln-predicate.json").read_text()
    )
    key = w.generate_key("p256")
    digest = "sha256:" + "5" * 64
    vuln = "https://cosign.sigstore.dev/attestation/vuln/v1"
    envelope = w.dsse_envelope(key, w.in_toto_statement(digest, vuln, predicate))
    layer = w.attestation_layer(envelope, predicate_type=vuln)
    att = artifact(
        ArtifactFormat.COSIGN_ATTESTATION, layer.blob, layer.media_type, layer.annotations
    )
    key_path = tmp_path / "ci.pub"
    key_path.write_bytes(w.public_pem(key))
    conditions: dict[str, str | int | float | bool] = {
        "scanner.uri": "fakescanner.example.com/cosign-testing",
        "invocation.builder.id": "",  # a key with a dot in it
        "metadata.scanFinishedOn": "2022-04-12T00:10:00Z",
    }
    policy = SignaturePolicy(
        signers=(SignerSpec(key="ci.pub", key_path=key_path),),
        attestations=(AttestationSpec(vuln, conditions),),
    )
    assert rules(verify_image(digest, "app", source(digest, [att]), policy)) == {}
    other = {**conditions, "scanner.uri": "trivy"}
    policy = SignaturePolicy(signers=policy.signers, attestations=(AttestationSpec(vuln, other),))
    failed = verify_image(digest, "app", source(digest, [att]), policy)
    assert (
        "predicate scanner.uri is 'fakescanner.example.com/cosign-testing'"
        in (rules(failed)["attestation/condition-failed"])
    )
