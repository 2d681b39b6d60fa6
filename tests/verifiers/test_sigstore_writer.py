"""gate.testing.sigstore_writer writes what cosign writes (the registry tests push these)."""

from __future__ import annotations

import hashlib
import json

from cryptography import x509

from gate.testing import sigstore_writer as w
from gate.verifiers.artifacts import ArtifactFormat
from gate.verifiers.material import unpack
from tests.verifiers.sources import artifact

DIGEST = "sha256:" + "ab" * 32


def test_sig_manifest_has_cosign_layout() -> None:
    key = w.generate_key("p256")
    payload = w.simple_signing_payload(DIGEST, "registry.invalid/app")
    assert payload == (
        b'{"critical":{"identity":{"docker-reference":"registry.invalid/app"},"image":'
        b'{"docker-manifest-digest":"' + DIGEST.encode() + b'"},"type":"cosign container image '
        b'signature"},"optional":null}'
    )
    layer = w.signature_layer(payload, w.sign(key, payload))
    manifest, config = w.signature_manifest([layer])
    doc = json.loads(manifest)
    [descriptor] = doc["layers"]
    assert descriptor["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    assert descriptor["digest"] == "sha256:" + hashlib.sha256(payload).hexdigest()
    assert set(descriptor["annotations"]) == {"dev.cosignproject.cosign/signature"}
    assert doc["config"]["digest"] == "sha256:" + hashlib.sha256(config).hexdigest()
    assert json.loads(config)["rootfs"]["diff_ids"] == [descriptor["digest"]]
    assert w.signature_tag(DIGEST) == "sha256-" + "ab" * 32 + ".sig"
    material = unpack(
        1,
        artifact(
            ArtifactFormat.COSIGN_SIMPLE_SIGNING, layer.blob, layer.media_type, layer.annotations
        ),
    )
    assert material.problems == () and material.simple_signing is not None
    assert material.simple_signing.manifest_digest == DIGEST


def test_issued_certificate_looks_like_fulcio() -> None:
    instance = w.TestSigstore()
    _, cert = instance.issue(
        "ci@example.com", "https://accounts.google.com", claims={"build_config_uri": "u"}
    )
    assert cert.subject == x509.Name([])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical and san.value.get_values_for_type(x509.RFC822Name) == ["ci@example.com"]
    scts = cert.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps)
    assert len(scts.value) == 1
    issuer_v2 = cert.extensions.get_extension_for_oid(
        x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
    )
    assert issuer_v2.value.value == b"\x0c\x1bhttps://accounts.google.com"  # type: ignore[attr-defined]
    root = json.loads(instance.trusted_root())
    assert root["mediaType"] == "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
