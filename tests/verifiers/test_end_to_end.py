"""The signature check end to end through the CLI: images in a real registry (docker-registry on
loopback) and in OCI layouts, signed in cosign's format with keys made here, discovered by the
pipeline's own signature source and verified against a policy file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gate.testing import signature_writer as sw
from gate.testing.image_writer import ImageSpec, build_index, write_oci_layout
from tests.registry_fixtures import RegistryServer, push_artifact, push_image

pytestmark = pytest.mark.slow

APP = ImageSpec(layers=[{"/app/main.py": b"print('hello')\n"}], config={"User": "1000"})


def _key_pair(tmp_path: Path, name: str) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = tmp_path / f"{name}.pub"
    path.write_bytes(pem)
    return key, path


def _policy(tmp_path: Path, key: Path) -> Path:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        'version = 1\n[checks]\nsignature = true\n[signature]\nrequired = true\n'
        f'[[signature.signers]]\nkey = "{key.name}"\n'
    )
    return policy


def _gate(image: str, policy: Path, tmp_path: Path) -> tuple[int, dict[str, object], str]:
    report = tmp_path / "gate.json"
    proc = subprocess.run(
        [sys.executable, "-m", "gate", "check", "--image", image, "--checks", "signature",
         "--policy", str(policy), "--json", str(report), "--no-cache"],
        capture_output=True, text=True, timeout=300,
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return proc.returncode, data, proc.stderr


def _rules(report: dict[str, object]) -> set[str]:
    return {str(f["rule_id"]) for f in report.get("findings", [])}  # type: ignore[union-attr]


def _sign(registry: RegistryServer, repo: str, digest: str, key: ec.EllipticCurvePrivateKey,
          signed_digest: str | None = None) -> None:
    payload = sw.simple_signing_payload(digest=signed_digest or digest,
                                        reference=f"{registry.host}/{repo}")
    artifact = sw.cosign_manifest([sw.signature_layer(payload, sw.sign(key, payload))])
    push_artifact(registry, repo, artifact, sw.cosign_tag(digest, "sig"))


def test_registry_image_signed_unsigned_wrong_key_and_copied_signature(
    plain_registry: RegistryServer, tmp_path: Path
) -> None:
    key, public = _key_pair(tmp_path, "release")
    other, _ = _key_pair(tmp_path, "other")
    policy = _policy(tmp_path, public)

    signed = push_image(plain_registry, "e2e/signed:v1", APP, tmp_path)
    _sign(plain_registry, "e2e/signed", signed, key)
    code, report, stderr = _gate(f"{plain_registry.host}/e2e/signed:v1", policy, tmp_path)
    assert code == 0, stderr
    assert _rules(report) == set()

    push_image(plain_registry, "e2e/unsigned:v1", APP, tmp_path)
    code, report, stderr = _gate(f"{plain_registry.host}/e2e/unsigned:v1", policy, tmp_path)
    assert code == 1, stderr
    assert _rules(report) == {"signature/missing"}

    wrong = push_image(plain_registry, "e2e/wrongkey:v1", APP, tmp_path)
    _sign(plain_registry, "e2e/wrongkey", wrong, other)
    code, report, _ = _gate(f"{plain_registry.host}/e2e/wrongkey:v1", policy, tmp_path)
    assert code == 1
    assert "signature/missing" not in _rules(report) and _rules(report)

    # A valid signature of another image, copied under this image's .sig tag.
    other_image = ImageSpec(layers=[{"/app/main.py": b"print('other')\n"}])
    copied = push_image(plain_registry, "e2e/copied:v1", APP, tmp_path)
    other_digest = push_image(plain_registry, "e2e/copied:v2", other_image, tmp_path)
    _sign(plain_registry, "e2e/copied", copied, key, signed_digest=other_digest)
    code, report, _ = _gate(f"{plain_registry.host}/e2e/copied:v1", policy, tmp_path)
    assert code == 1
    assert any("digest" in str(f["message"]) for f in report["findings"])  # type: ignore[union-attr]


def test_signature_of_the_index_covers_its_platform_image(
    plain_registry: RegistryServer, tmp_path: Path
) -> None:
    key, public = _key_pair(tmp_path, "release")
    index = build_index({"linux/amd64": APP, "linux/arm64": APP}, attestations=False)
    index_digest = push_image(plain_registry, "e2e/multi:v1", index, tmp_path)
    _sign(plain_registry, "e2e/multi", index_digest, key)
    image = f"{plain_registry.host}/e2e/multi:v1"
    code, report, stderr = _gate(image, _policy(tmp_path, public), tmp_path)
    assert code == 0, stderr
    assert report["target"]["image"]["manifest_digest"] != index_digest  # type: ignore[index]


def test_oci_layout_with_its_signature_inside(tmp_path: Path) -> None:
    key, public = _key_pair(tmp_path, "release")
    layout = tmp_path / "layout"
    digest = write_oci_layout(layout, APP, tag="app")["app"].manifest_digest
    payload = sw.simple_signing_payload(digest=digest, reference="example.invalid/app")
    sig = sw.cosign_manifest([sw.signature_layer(payload, sw.sign(key, payload))])
    sw.add_to_layout(layout, sig,
                     ref_name=sw.cosign_tag(digest, "sig"))
    policy = _policy(tmp_path, public)
    code, report, stderr = _gate(f"oci:{layout}:app", policy, tmp_path)
    assert code == 0, stderr

    unsigned = tmp_path / "unsigned"
    write_oci_layout(unsigned, APP, tag="app")
    code, report, _ = _gate(f"oci:{unsigned}:app", policy, tmp_path)
    assert code == 1 and _rules(report) == {"signature/missing"}
