"""``[signature]`` as policy objects: loading (claims, docker_reference, relative key paths),
what is refused (empty any-of / all-of, claims on key signers, unsigned attestations, unusable
keys and trust roots), matching (whole-value regexps, typed predicate conditions)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa

from gate.analyzers.interface import ScanTarget
from gate.errors import PolicyError, SignatureError
from gate.models import Check
from gate.policy.loader import load_policy
from gate.policy.model import SIGNER_CLAIMS, AttestationSpec, SignaturePolicy, SignerSpec
from gate.policy.validation import policy_schema
from gate.sources.image import open_image
from gate.testing import image_writer
from gate.testing import signature_writer as w
from gate.verifiers import fulcio
from gate.verifiers.policy import (
    AllOf,
    AnyOf,
    Exact,
    Pattern,
    build_policy,
    condition_problems,
    predicate_value,
)
from gate.verifiers.signature_check import SignatureVerifier, verify_image
from gate.verifiers.trust import load_trust_root, parse_time
from tests.verifiers.sources import MemorySignatureSource


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_claims_docker_reference_and_relative_keys_load(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    path = write(
        tmp_path,
        """
[signature]
required = true
docker_reference = "ghcr.io/org/app"
[[signature.signers]]
key = "team/cosign.pub"
[[signature.signers]]
identity_regexp = "https://github\\\\.com/org/app/.*"
issuer = "https://token.actions.githubusercontent.com"
github_workflow_repository = "org/app"
github_workflow_ref = "refs/heads/main"
build_config_uri = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"
""",
    )
    policy = load_policy(path).signature
    assert policy.docker_reference == "ghcr.io/org/app"
    key, keyless = policy.signers
    assert key.key_path == tmp_path / "team" / "cosign.pub"
    assert dict(keyless.claims) == {
        "github_workflow_repository": "org/app",
        "github_workflow_ref": "refs/heads/main",
        "build_config_uri": "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main",
    }


def test_claims_are_for_keyless_signers_only(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[signature.signers]]\nkey = "k.pub"\ngithub_workflow_ref = "refs/heads/main"\n'
    )
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.problems == [
        "signature.signers[0].github_workflow_ref: only for keyless signers (identity)"
    ]


def test_attestations_need_someone_to_have_signed_them(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[signature.attestations]]\npredicate_type = "https://slsa.dev/provenance/v1"\n'
    )
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    [problem] = info.value.problems
    assert problem == (
        "signature.attestations: need signature.signers or signature.all_of "
        "(who must have signed them?)"
    )


def test_claim_names_are_the_ones_verification_reads() -> None:
    assert set(SIGNER_CLAIMS) == set(fulcio.CLAIMS_BY_NAME)
    signer_keys = set(policy_schema()["$defs"]["signer"]["properties"])
    assert set(SIGNER_CLAIMS) <= signer_keys


# -- the empty set is not a policy -----------------------------------------------------------


def test_empty_any_of_and_all_of_are_refused() -> None:
    with pytest.raises(PolicyError, match="cannot be satisfied by anyone"):
        AnyOf([], title="signature.signers")
    with pytest.raises(PolicyError, match="an empty all_of would accept any image"):
        AllOf([], title="signature.all_of.signers")


def test_required_without_signers_is_refused_even_when_built_directly() -> None:
    # The loader refuses this file; a policy built in code must not pass either.
    with pytest.raises(PolicyError, match=r"needs signature\.signers or signature\.all_of"):
        build_policy(SignaturePolicy(required=True), "policy.toml")
    with pytest.raises(PolicyError, match="an empty all_of"):
        build_policy(SignaturePolicy(required=True, all_of=()), "policy.toml")
    attestation = AttestationSpec("https://slsa.dev/provenance/v1")
    with pytest.raises(PolicyError, match="who must have signed"):
        build_policy(SignaturePolicy(attestations=(attestation,)), "policy.toml")


def test_required_without_signers_never_reaches_discovery(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    image_writer.write_oci_layout(layout, image_writer.ImageSpec(layers=[{"/f": b"x"}]))
    image = open_image(f"oci:{layout}:latest")
    source = MemorySignatureSource(image.manifest_digest)
    options = {"signature_policy": SignaturePolicy(required=True), "signature_source": source}
    with pytest.raises(PolicyError):
        SignatureVerifier().run(ScanTarget(image=image, options=options))
    assert source.asked == []


# -- matching --------------------------------------------------------------------------------


def test_regexps_match_whole_values_and_exact_is_exact() -> None:
    pattern = Pattern(r".*@example\.com")
    assert pattern.matches("ci@example.com")
    assert not pattern.matches("ci@example.com.attacker.invalid")
    assert not Exact("refs/heads/main").matches("refs/heads/main2")


def test_conditions_compare_typed_values() -> None:
    predicate = {
        "builder": {"id": "https://github.com/actions/runner"},
        "materials": [{"uri": "git+https://github.com/org/app"}],
        "reproducible": True,
        "level": 3,
        "ratio": 0.5,
    }
    assert predicate_value(predicate, "materials.0.uri") == "git+https://github.com/org/app"
    assert (
        condition_problems(
            predicate,
            {
                "builder.id": "https://github.com/actions/runner",
                "reproducible": True,
                "level": 3,
                "ratio": 0.5,
            },
        )
        == []
    )
    problems = condition_problems(
        predicate, {"reproducible": 1, "level": True, "materials.1.uri": "x", "builder": "x"}
    )
    assert problems == [
        "predicate reproducible is True (policy requires 1)",
        "predicate level is 3 (policy requires True)",
        "predicate materials.1.uri is missing (policy requires 'x')",
        "predicate builder is 'dict' (policy requires 'x')",
    ]


# -- keys and trust roots that cannot be used are errors (exit 2), never a pass --------------


def key_policy(path: Path, written: str = "k.pub") -> SignaturePolicy:
    return SignaturePolicy(required=True, signers=(SignerSpec(key=written, key_path=path),))


def test_unusable_key_files(tmp_path: Path, shared_data: Path) -> None:
    private = w.generate_key("p256")
    (tmp_path / "private.pem").write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    sigstore = w.TestSigstore()
    (tmp_path / "cert.pem").write_bytes(sigstore.root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "dsa.pub").write_bytes(
        dsa.generate_private_key(2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    broken = shared_data / "sigstore/grype-cosign-attestations/grype/pkg/testdata/cosign_broken.pub"
    cases = {
        tmp_path / "missing.pub": "cannot read key",
        tmp_path / "private.pem": "is a private key; the policy needs the public key",
        tmp_path / "cert.pem": "is a certificate, not a public key",
        tmp_path / "dsa.pub": "unsupported key type",
        broken: "is not a PEM public key",
    }
    for path, text in cases.items():
        with pytest.raises(SignatureError, match=r"signature\.signers\[0\]\.key") as info:
            build_policy(key_policy(path))
        assert text in str(info.value)
        assert "\n" not in str(info.value)


def test_kms_keys_are_refused_not_skipped() -> None:
    spec = SignerSpec(key="awskms:///arn:aws:kms:eu-west-1:1:key/2")
    with pytest.raises(SignatureError, match="KMS and other key URIs are not supported"):
        build_policy(SignaturePolicy(signers=(spec,)))


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"mediaType": "application/json"}', "is not a sigstore trusted root"),
        (
            json.dumps(
                {
                    "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                    "tlogs": [{"publicKey": {"rawBytes": "***"}, "logId": {"keyId": "AA=="}}],
                }
            ).encode(),
            "tlogs[0].publicKey.rawBytes is not valid base64",
        ),
    ],
)
def test_unusable_trusted_roots(tmp_path: Path, content: bytes, text: str) -> None:
    path = tmp_path / "root.json"
    path.write_bytes(content)
    with pytest.raises(SignatureError) as info:
        load_trust_root(path)
    assert str(path) in str(info.value) and text in str(info.value)
    # The check loads an explicit trusted root up front, whatever the signers need.
    digest = "sha256:" + "a" * 64
    with pytest.raises(SignatureError):
        verify_image(
            digest, "app", MemorySignatureSource(digest), SignaturePolicy(), trusted_root=path
        )


def test_the_embedded_production_root_loads_offline() -> None:
    root = load_trust_root(None)
    assert any(log.base_url == "https://rekor.sigstore.dev" for log in root.tlogs)
    assert root.authorities and root.ctlogs


def test_rfc3339_times_with_any_fraction() -> None:
    assert parse_time("2022-12-31T23:59:59.999Z") == dt.datetime(
        2022, 12, 31, 23, 59, 59, 999000, tzinfo=dt.timezone.utc
    )
    assert parse_time("2026-06-04T12:43:29.186617431Z").microsecond == 186617
    assert parse_time("2024-01-01T02:00:00+02:00") == dt.datetime(
        2024, 1, 1, tzinfo=dt.timezone.utc
    )
    with pytest.raises(ValueError):
        parse_time("2024-01-01")


# -- the check's own edges ---------------------------------------------------------------------


def test_no_image_means_nothing_to_verify() -> None:
    result = SignatureVerifier().run(ScanTarget(options={"signature_policy": SignaturePolicy()}))
    assert result.check is Check.SIGNATURE and result.findings == ()
    assert result.notes[0].kind == "signature-not-checked"


def test_without_a_given_source_the_image_own_source_is_asked(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    image_writer.write_oci_layout(layout, image_writer.ImageSpec(layers=[{"/f": b"x"}]))
    image = open_image(f"oci:{layout}:latest")
    key = tmp_path / "cosign.pub"
    key.write_bytes(w.public_pem(w.generate_key("p256")))
    policy = SignaturePolicy(required=True, signers=(SignerSpec(key=str(key), key_path=key),))
    result = SignatureVerifier().run(
        ScanTarget(image=image, options={"signature_policy": policy})
    )
    [missing] = result.findings
    assert missing.rule_id == "signature/missing"
    assert "oci-layout" in missing.message or "OCI layout" in missing.message


def test_discovery_for_the_wrong_digest_is_an_error() -> None:
    class Confused(MemorySignatureSource):
        def discover(self, subject_digest: str):  # type: ignore[no-untyped-def]
            return super().discover(self.digest)

    digest, other = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    with pytest.raises(SignatureError, match="returned signatures of"):
        verify_image(digest, "app", Confused(other), SignaturePolicy())


def test_no_signers_lists_what_was_found() -> None:
    digest = "sha256:" + "a" * 64
    payload = w.simple_signing_payload(digest=digest, reference="app")
    layer = w.signature_layer(payload, w.sign(w.generate_key("p256"), payload))
    from gate.verifiers.artifacts import ArtifactFormat
    from tests.verifiers.sources import artifact

    art = artifact(
        ArtifactFormat.COSIGN_SIMPLE_SIGNING, layer.blob, layer.media_type, layer.annotations
    )
    result = verify_image(digest, "app", MemorySignatureSource(digest, [art]), SignaturePolicy())
    assert result.findings == ()
    [note] = result.notes
    assert note.kind == "signature-not-verified"
    assert note.detail.startswith("1 signature(s), 0 attestation(s) found")
