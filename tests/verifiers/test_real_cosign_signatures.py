"""Real cosign image signatures (containers/image's fixtures, ``../shared/data/sigstore``):
key-signed, key-signed with a Rekor bundle, keyless with a Fulcio certificate and a Rekor bundle,
all verified offline against the public-good trusted root embedded in sigstore-python.

Each signature is paired with the image manifest it was made for (``manifest.json`` beside
it); the image digest is the SHA-256 of that manifest, as a registry would compute it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from gate.errors import SignatureError
from gate.models import CheckResult, LocationKind
from gate.policy.model import SignaturePolicy, SignerSpec
from gate.testing import signature_writer as writer
from gate.verifiers.artifacts import SignatureArtifact
from gate.verifiers.signature_check import verify_image
from tests.verifiers.sources import containers_image_signature, manifest_digest, source


@pytest.fixture(scope="module")
def fixtures(shared_data: Path) -> Path:
    return shared_data / "sigstore" / "containers-image-cosign" / "signature" / "fixtures"


@pytest.fixture(scope="module")
def identities(shared_data: Path) -> dict[str, dict[str, Any]]:
    """DERIVED-certificate-identities.json, by file: what each certificate says."""
    rows = json.loads(
        (shared_data / "sigstore" / "DERIVED-certificate-identities.json").read_text()
    )
    return {row["file"]: row for row in rows}


def key(path: Path) -> SignerSpec:
    return SignerSpec(key=path.name, key_path=path)


def run(
    fixtures: Path, case: str, policy: SignaturePolicy, *, manifest_case: str | None = None
) -> CheckResult:
    digest = manifest_digest(fixtures / (manifest_case or case) / "manifest.json")
    artifacts = [
        containers_image_signature(p) for p in sorted((fixtures / case).glob("signature-*"))
    ]
    return verify_image(digest, "registry.invalid/app@" + digest, source(digest, artifacts), policy)


def only_finding(result: CheckResult) -> tuple[str, str]:
    assert len(result.findings) == 1, [f.message for f in result.findings]
    finding = result.findings[0]
    assert finding.location.kind is LocationKind.IMAGE
    return finding.rule_id, finding.message


def verified(result: CheckResult) -> list[str]:
    return [n.detail for n in result.notes if n.kind == "signature-verified"]


def test_key_signed_signature_verifies_with_its_key(fixtures: Path) -> None:
    result = run(
        fixtures, "dir-img-cosign-valid", SignaturePolicy(signers=(key(fixtures / "cosign.pub"),))
    )
    assert result.findings == ()
    assert len(verified(result)) == 1 and "cosign.pub" in verified(result)[0]
    assert result.stats["signatures_found"] == 1


def test_another_key_is_refused(fixtures: Path) -> None:
    result = run(
        fixtures, "dir-img-cosign-valid", SignaturePolicy(signers=(key(fixtures / "cosign2.pub"),))
    )
    rule, message = only_finding(result)
    assert rule == "signature/invalid"
    assert "for key cosign2.pub (ECDSA secp256r1): the signature does not verify" in message
    assert verified(result) == []


def test_rsa_key_cannot_verify_an_ecdsa_signature(fixtures: Path) -> None:
    result = run(
        fixtures,
        "dir-img-cosign-valid",
        SignaturePolicy(signers=(key(fixtures / "some-rsa-key.pub"),)),
    )
    assert only_finding(result)[0] == "signature/invalid"


def test_signature_copied_to_another_image_is_a_digest_mismatch(fixtures: Path) -> None:
    # The manifest was modified after signing: the signature (valid for cosign.pub) names the
    # original digest.
    result = run(
        fixtures,
        "dir-img-cosign-modified-manifest",
        SignaturePolicy(signers=(key(fixtures / "cosign.pub"),)),
    )
    rule, message = only_finding(result)
    assert rule == "signature/digest-mismatch"
    image = manifest_digest(fixtures / "dir-img-cosign-modified-manifest" / "manifest.json")
    signed = manifest_digest(fixtures / "dir-img-cosign-valid" / "manifest.json")
    assert f"digest mismatch: signed {signed} but image is {image}" in message


def test_one_good_signature_among_bad_ones_suffices(fixtures: Path) -> None:
    # signature-1 is by an unknown key, signature-2 by cosign.pub.
    result = run(
        fixtures, "dir-img-cosign-mixed", SignaturePolicy(signers=(key(fixtures / "cosign.pub"),))
    )
    assert result.findings == ()
    assert "signature 2" in verified(result)[0]


def test_a_non_signature_layer_is_reported_unreadable(fixtures: Path) -> None:
    result = run(
        fixtures,
        "dir-img-cosign-other-attachment",
        SignaturePolicy(signers=(key(fixtures / "cosign.pub"),)),
        manifest_case="dir-img-cosign-valid",
    )
    rule, message = only_finding(result)
    assert rule == "signature/invalid"
    assert "'text/plain' is not a cosign simple-signing payload" in message
    assert [n.kind for n in result.notes] == ["unreadable-signature-artifact"]


def test_rekor_bundle_of_a_key_signature_is_verified(fixtures: Path) -> None:
    policy = SignaturePolicy(require_tlog=True, signers=(key(fixtures / "cosign2.pub"),))
    result = run(fixtures, "dir-img-cosign-key-rekor-valid", policy)
    assert result.findings == ()
    assert "Rekor log index 11608800, integrated 2023-01-20T21:57:39Z" in verified(result)[0]
    assert "sigstore public-good" in str(result.metadata["trusted_root"])


def test_require_tlog_refuses_a_signature_without_rekor_bundle(fixtures: Path) -> None:
    policy = SignaturePolicy(require_tlog=True, signers=(key(fixtures / "cosign.pub"),))
    rule, message = only_finding(run(fixtures, "dir-img-cosign-valid", policy))
    assert rule == "signature/tlog-missing"
    assert "no transparency log entry (signature.require_tlog = true)" in message


def test_forged_signed_entry_timestamp_fails_even_when_tlog_is_not_required(fixtures: Path) -> None:
    artifact = containers_image_signature(
        fixtures / "dir-img-cosign-key-rekor-valid" / "signature-1"
    )
    bundle = json.loads(artifact.annotations[writer.BUNDLE_ANNOTATION])
    bundle["Payload"]["integratedTime"] += 1  # the SET no longer covers these values
    annotations = {**artifact.annotations, writer.BUNDLE_ANNOTATION: json.dumps(bundle)}
    forged = dataclasses.replace(artifact, annotations=annotations)
    digest = manifest_digest(fixtures / "dir-img-cosign-key-rekor-valid" / "manifest.json")
    policy = SignaturePolicy(signers=(key(fixtures / "cosign2.pub"),))
    result = verify_image(digest, "app", source(digest, [forged]), policy)
    rule, message = only_finding(result)
    assert rule == "signature/invalid"
    assert (
        "signed entry timestamp does not verify with the key of log https://rekor.sigstore.dev"
        in message
    )


def test_rekor_entry_of_another_signature_is_refused(fixtures: Path) -> None:
    # The SET is genuine, but the entry it covers records another payload and key.
    valid = containers_image_signature(fixtures / "dir-img-cosign-valid" / "signature-1")
    other = containers_image_signature(fixtures / "dir-img-cosign-key-rekor-valid" / "signature-1")
    grafted = dataclasses.replace(
        valid,
        annotations={
            **valid.annotations,
            writer.BUNDLE_ANNOTATION: other.annotations[writer.BUNDLE_ANNOTATION],
        },
    )
    digest = manifest_digest(fixtures / "dir-img-cosign-valid" / "manifest.json")
    policy = SignaturePolicy(signers=(key(fixtures / "cosign.pub"),))
    rule, message = only_finding(verify_image(digest, "app", source(digest, [grafted]), policy))
    assert rule == "signature/invalid"
    assert "the log entry records another payload" in message
    assert "the log entry records another signature" in message
    assert "the log entry records another key or certificate" in message


def test_tampered_payload_fails(fixtures: Path) -> None:
    artifact = containers_image_signature(fixtures / "dir-img-cosign-valid" / "signature-1")
    tampered = dataclasses.replace(
        artifact,
        payload=artifact.payload.replace(
            b"cosign-signed-single-sample", b"cosign-signed-evil-sample!!"
        ),
    )
    digest = manifest_digest(fixtures / "dir-img-cosign-valid" / "manifest.json")
    policy = SignaturePolicy(signers=(key(fixtures / "cosign.pub"),))
    rule, message = only_finding(verify_image(digest, "app", source(digest, [tampered]), policy))
    assert rule == "signature/invalid"
    assert "or the payload was changed" in message


# -- keyless ----------------------------------------------------------------------------------

FULCIO_CASE = "dir-img-cosign-fulcio-rekor-valid"


def fulcio_signer(identities: dict[str, dict[str, Any]], **changes: str) -> SignerSpec:
    row = identities[f"containers-image-cosign/signature/fixtures/{FULCIO_CASE}/signature-1"]
    spec = SignerSpec(identity=row["san"][0], issuer=row["oidc_issuer"])
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def test_keyless_signature_verifies_for_its_identity(
    fixtures: Path, identities: dict[str, dict[str, Any]]
) -> None:
    result = run(
        fixtures, FULCIO_CASE, SignaturePolicy(required=True, signers=(fulcio_signer(identities),))
    )
    assert result.findings == ()
    [note] = verified(result)
    assert "identity mitr@redhat.com (issuer https://github.com/login/oauth)" in note
    assert "Rekor log index 11605770" in note


def test_keyless_wrong_identity(fixtures: Path, identities: dict[str, dict[str, Any]]) -> None:
    signer = fulcio_signer(identities, identity="release-bot@redhat.com")
    rule, message = only_finding(run(fixtures, FULCIO_CASE, SignaturePolicy(signers=(signer,))))
    assert rule == "signature/identity-mismatch"
    assert "identity mitr@redhat.com not allowed (allowed: release-bot@redhat.com)" in message
    assert "issuer" not in message.split("not allowed (allowed: release-bot@redhat.com)")[1]


def test_keyless_wrong_issuer(fixtures: Path, identities: dict[str, dict[str, Any]]) -> None:
    signer = fulcio_signer(identities, issuer="https://accounts.google.com")
    rule, message = only_finding(run(fixtures, FULCIO_CASE, SignaturePolicy(signers=(signer,))))
    assert rule == "signature/identity-mismatch"
    assert (
        "issuer https://github.com/login/oauth not allowed (allowed: https://accounts.google.com)"
        in message
    )


def test_keyless_identity_and_issuer_both_wrong_lists_both(
    fixtures: Path, identities: dict[str, dict[str, Any]]
) -> None:
    signer = fulcio_signer(
        identities, identity="x@example.com", issuer="https://accounts.google.com"
    )
    _, message = only_finding(run(fixtures, FULCIO_CASE, SignaturePolicy(signers=(signer,))))
    assert "identity mitr@redhat.com not allowed" in message
    assert "issuer https://github.com/login/oauth not allowed" in message


@pytest.mark.parametrize(
    ("pattern", "accepted"),
    [(r".*@redhat\.com", True), (r"mitr@redhat", False), (r"redhat\.com", False)],
)
def test_identity_regexp_must_match_the_whole_identity(
    fixtures: Path, identities: dict[str, dict[str, Any]], pattern: str, accepted: bool
) -> None:
    signer = SignerSpec(identity_regexp=pattern, issuer_regexp=r"https://github\.com/.*")
    result = run(fixtures, FULCIO_CASE, SignaturePolicy(signers=(signer,)))
    assert (result.findings == ()) is accepted


def test_keyless_signature_against_a_key_signer_is_refused(fixtures: Path) -> None:
    rule, _ = only_finding(
        run(fixtures, FULCIO_CASE, SignaturePolicy(signers=(key(fixtures / "cosign.pub"),)))
    )
    assert rule == "signature/invalid"


def test_key_signature_against_an_identity_signer_says_so(fixtures: Path) -> None:
    signer = SignerSpec(identity="mitr@redhat.com", issuer="https://github.com/login/oauth")
    rule, message = only_finding(
        run(fixtures, "dir-img-cosign-valid", SignaturePolicy(signers=(signer,)))
    )
    assert rule == "signature/identity-mismatch"
    assert "it is signed with a key, not with a certificate for identity mitr@redhat.com" in message


def test_keyless_signature_from_another_sigstore_instance_is_refused(
    fixtures: Path, identities: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    private = writer.TestSigstore(start=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    root = tmp_path / "trusted_root.json"
    root.write_bytes(private.trusted_root())
    digest = manifest_digest(fixtures / FULCIO_CASE / "manifest.json")
    artifact = containers_image_signature(fixtures / FULCIO_CASE / "signature-1")
    policy = SignaturePolicy(signers=(fulcio_signer(identities),))
    result = verify_image(digest, "app", source(digest, [artifact]), policy, trusted_root=root)
    rule, message = only_finding(result)
    assert rule == "signature/invalid"
    assert "which is not in the trusted root" in message
    assert "does not chain to the trusted root" in message


def test_docker_reference_can_be_required(fixtures: Path) -> None:
    signers = (key(fixtures / "cosign.pub"),)
    good = SignaturePolicy(signers=signers, docker_reference="192.168.64.2:5000/skopeo-signed")
    assert run(fixtures, "dir-img-cosign-valid-with-tag", good).findings == ()
    other = dataclasses.replace(good, docker_reference="192.168.64.2:5000/other")
    rule, message = only_finding(run(fixtures, "dir-img-cosign-valid-with-tag", other))
    assert rule == "signature/reference-mismatch"
    assert (
        "docker-reference 192.168.64.2:5000/skopeo-signed:tag is not 192.168.64.2:5000/other"
        in message
    )


def test_unknown_key_file_is_an_error_naming_the_field(fixtures: Path, tmp_path: Path) -> None:
    policy = SignaturePolicy(signers=(key(tmp_path / "missing.pub"),))
    with pytest.raises(SignatureError, match=r"signature\.signers\[0\]\.key: cannot read key"):
        run(fixtures, "dir-img-cosign-valid", policy)


def test_artifacts_are_data_not_errors(fixtures: Path) -> None:
    # An unreadable artifact never stops the check: it is listed, the others are verified.
    junk = SignatureArtifact(
        format=containers_image_signature(fixtures / "dir-img-cosign-valid" / "signature-1").format,
        payload=b"{not json",
        payload_digest="sha256:" + "0" * 64,
        media_type=writer.SIMPLE_SIGNING,
        found_via=containers_image_signature(
            fixtures / "dir-img-cosign-valid" / "signature-1"
        ).found_via,
        location="junk",
    )
    good = containers_image_signature(fixtures / "dir-img-cosign-valid" / "signature-1")
    digest = manifest_digest(fixtures / "dir-img-cosign-valid" / "manifest.json")
    result = verify_image(
        digest,
        "app",
        source(digest, [junk, good]),
        SignaturePolicy(signers=(key(fixtures / "cosign.pub"),)),
    )
    assert result.findings == ()
    assert result.notes[0].kind == "unreadable-signature-artifact"
    assert "is not JSON" in result.notes[0].detail
