"""gate.testing.signature_writer writes what cosign writes: the gate's own parsers and
verifiers read back every artifact it makes (the registry, layout and verification tests
push and store these)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gate.sources.image import open_image
from gate.testing import signature_writer as w
from gate.testing.image_writer import BuiltImage, ImageSpec, write_oci_layout
from gate.verifiers.artifacts import ArtifactFormat
from gate.verifiers.keys import verify_signature
from gate.verifiers.material import MaterialKind, unpack
from gate.verifiers.payloads import parse_envelope, parse_statement
from tests.verifiers.sources import artifact

DIGEST = "sha256:" + "ab" * 32


def test_sig_manifest_has_cosign_layout() -> None:
    key = w.generate_key("p256")
    payload = w.simple_signing_payload(digest=DIGEST, reference="registry.invalid/app")
    assert payload == (
        b'{"critical":{"identity":{"docker-reference":"registry.invalid/app"},"image":'
        b'{"docker-manifest-digest":"' + DIGEST.encode() + b'"},"type":"cosign container image '
        b'signature"},"optional":null}'
    )
    layer = w.signature_layer(payload, w.sign(key, payload))
    made = w.cosign_manifest([layer])
    doc = json.loads(made.manifest)
    config = made.blobs[doc["config"]["digest"]]
    [descriptor] = doc["layers"]
    assert descriptor["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    assert descriptor["digest"] == "sha256:" + hashlib.sha256(payload).hexdigest()
    assert set(descriptor["annotations"]) == {"dev.cosignproject.cosign/signature"}
    assert doc["config"]["digest"] == "sha256:" + hashlib.sha256(config).hexdigest()
    assert json.loads(config)["rootfs"]["diff_ids"] == [descriptor["digest"]]
    assert made.blobs[descriptor["digest"]] == payload
    assert w.cosign_tag(DIGEST) == "sha256-" + "ab" * 32 + ".sig"
    assert w.cosign_tag(DIGEST, "att") == "sha256-" + "ab" * 32 + ".att"
    assert w.cosign_tag(DIGEST, "") == "sha256-" + "ab" * 32
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


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa", "ed25519"])
def test_every_key_kind_signs_what_the_gate_verifies(kind: w.KeyKind) -> None:
    key = w.generate_key(kind)
    public = serialization.load_pem_public_key(w.public_pem(key))
    payload = w.simple_signing_payload(digest=DIGEST, reference="app")
    signature = w.sign(key, payload)
    assert verify_signature(public, signature, payload)  # type: ignore[arg-type]
    assert not verify_signature(public, signature, payload + b" ")  # type: ignore[arg-type]


def test_attestation_layer_is_a_dsse_envelope_over_the_statement() -> None:
    key = w.generate_key("ed25519")
    statement = w.in_toto_statement(DIGEST, "https://slsa.dev/provenance/v1", {"b": 1},
                                    name="registry.invalid/app")
    envelope = w.dsse_envelope(key, statement)
    assert w.pae(w.IN_TOTO, b"hi") == b"DSSEv1 28 application/vnd.in-toto+json 2 hi"
    layer = w.attestation_layer(envelope, predicate_type="https://slsa.dev/provenance/v1")
    assert layer.media_type == w.DSSE_ENVELOPE
    assert layer.annotations == {w.SIGNATURE_ANNOTATION: "",
                                 "predicateType": "https://slsa.dev/provenance/v1"}
    parsed = parse_envelope(json.loads(layer.blob))
    public = serialization.load_pem_public_key(w.public_pem(key))
    assert verify_signature(public, parsed.signatures[0], parsed.pae())  # type: ignore[arg-type]
    read = parse_statement(parsed)
    assert read.predicate_type == "https://slsa.dev/provenance/v1"
    assert [(s.name, dict(s.digests)) for s in read.subjects] == [
        ("registry.invalid/app", {"sha256": "ab" * 32})]
    material = unpack(1, artifact(ArtifactFormat.COSIGN_ATTESTATION, layer.blob,
                                  layer.media_type, layer.annotations))
    assert material.problems == () and material.kind is MaterialKind.DSSE


def test_key_bundle_and_bundle_artifact_refer_to_the_image() -> None:
    key = w.generate_key("p256")
    envelope = w.dsse_envelope(key, w.in_toto_statement(DIGEST, "https://example.invalid/p", {}))
    bundle = w.key_bundle(envelope)
    material = unpack(1, artifact(ArtifactFormat.SIGSTORE_BUNDLE, bundle, w.BUNDLE_V03))
    assert material.problems == () and material.kind is MaterialKind.DSSE
    made = w.bundle_artifact(bundle, DIGEST, w.OCI_MANIFEST, 1234)
    doc = json.loads(made.manifest)
    assert doc["artifactType"] == w.BUNDLE_V03
    assert doc["subject"] == {"digest": DIGEST, "mediaType": w.OCI_MANIFEST, "size": 1234}
    assert doc["config"]["digest"] == w.sha256(b"{}") and made.blobs[w.sha256(b"{}")] == b"{}"
    assert made.blobs[doc["layers"][0]["digest"]] == bundle
    index = json.loads(w.referrers_index([made]).manifest)
    assert index["manifests"] == [{"mediaType": w.OCI_MANIFEST, "digest": made.digest,
                                   "size": len(made.manifest), "artifactType": w.BUNDLE_V03,
                                   "annotations": dict(made.annotations)}]


def test_add_to_layout_keeps_the_image_readable(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    built = write_oci_layout(layout, ImageSpec(layers=[{"/a": b"1"}]), tag="v1")["v1"]
    digest = built.manifest_digest if isinstance(built, BuiltImage) else built.digest
    key = w.generate_key("p256")
    payload = w.simple_signing_payload(digest=digest, reference="app")
    sig = w.cosign_manifest([w.signature_layer(payload, w.sign(key, payload))])
    w.add_to_layout(layout, sig, ref_name=w.cosign_tag(digest))
    entries = json.loads((layout / "index.json").read_bytes())["manifests"]
    assert entries[-1] == {"mediaType": w.OCI_MANIFEST, "digest": sig.digest,
                           "size": len(sig.manifest),
                           "annotations": {w.REF_NAME: w.cosign_tag(digest)}}
    for blob_digest, data in {**sig.blobs, sig.digest: sig.manifest}.items():
        assert (layout / "blobs" / "sha256" / blob_digest[7:]).read_bytes() == data
    assert open_image(f"oci:{layout}:v1").manifest_digest == digest
