"""Signature discovery in a real registry: cosign ``.sig``/``.att`` tags, sigstore bundles
found through the referrers tag fallback (docker-registry 2.8 has no referrers API) or the
referrers API (played by the proxy, distribution spec 1.1 shapes), index signatures, and
``--signature-source`` for a local image. Discovery must find exactly what was pushed."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from gate.errors import DigestMismatchError
from gate.sources.image import open_image
from gate.sources.registry import client as registry_client
from gate.sources.registry.client import RegistryClient
from gate.sources.registry.options import RegistryOptions
from gate.sources.signatures.factory import signature_source_for, subject_digests
from gate.sources.signatures.registry_source import RegistrySignatureSource
from gate.testing import signature_writer as sw
from gate.testing.image_writer import BuiltImage, ImageSpec, build, build_index, write_oci_layout
from gate.verifiers.artifacts import ArtifactFormat, DiscoveryScheme
from tests.registry_fixtures import FaultProxy, RegistryServer, push_artifact, push_image

pytestmark = pytest.mark.slow

SLSA = "https://slsa.dev/provenance/v1"
FAST = RegistryOptions(backoff=0.01, retries=2, timeout=5)


@pytest.fixture(autouse=True)
def _fresh_transports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_client, "_transports", {})


@pytest.fixture(scope="module")
def real_bundle(shared_data: Path) -> bytes:
    """cosign's own test bundle (v0.3 DSSE attestation), see sigstore/SOURCES.md."""
    return (shared_data / "sigstore/cosign/pkg/cosign/testdata/oci-attestation.sigstore.json"
            ).read_bytes()


@dataclass
class Signed:
    repo: str
    image: BuiltImage
    payload: bytes
    sig: sw.Artifact
    att: sw.Artifact
    bundle: sw.Artifact
    envelope: bytes


def _sign_and_push(registry: RegistryServer, tmp_path: Path, bundle_bytes: bytes,
                   *, fallback_index: bool = True) -> Signed:
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP384R1())
    built = build(ImageSpec(layers=[{"/app/id": secrets.token_hex(8).encode()}]))
    repo = f"team/signed-{secrets.token_hex(3)}"
    digest = push_image(registry, f"{repo}:v1", built, tmp_path)
    name = f"{registry.host}/{repo}"
    payload = sw.simple_signing_payload(digest=digest, reference=name)
    sig = sw.cosign_manifest([
        sw.signature_layer(payload, sw.sign(key, payload)),
        sw.signature_layer(payload, sw.sign(other, payload),
                           annotations={sw.CERTIFICATE_ANNOTATION: "-----BEGIN CERT"}),
    ])
    push_artifact(registry, repo, sig, sw.cosign_tag(digest, "sig"))
    envelope = sw.dsse_envelope(key, sw.in_toto_statement(digest, SLSA, {"builder": {
        "id": "https://github.com/actions/runner"}}, name=name))
    att = sw.cosign_manifest([sw.attestation_layer(envelope, predicate_type=SLSA)])
    push_artifact(registry, repo, att, sw.cosign_tag(digest, "att"))
    bundle = sw.bundle_artifact(bundle_bytes, digest, sw.OCI_MANIFEST, len(built.manifest))
    push_artifact(registry, repo, bundle)
    if fallback_index:
        push_artifact(registry, repo, sw.referrers_index([bundle]), sw.cosign_tag(digest, ""))
    return Signed(repo, built, payload, sig, att, bundle, envelope.json())


def test_every_scheme_finds_exactly_what_was_pushed(
    plain_registry: RegistryServer, tmp_path: Path, real_bundle: bytes
) -> None:
    signed = _sign_and_push(plain_registry, tmp_path, real_bundle)
    digest = signed.image.manifest_digest
    image = open_image(f"{plain_registry.host}/{signed.repo}:v1")
    source = signature_source_for(image)
    assert isinstance(source, RegistrySignatureSource)
    assert source.describe() == f"registry {plain_registry.host}/{signed.repo}"
    result = source.discover(digest)

    assert result.subject_digest == digest
    assert result.schemes_tried == (DiscoveryScheme.COSIGN_TAG, DiscoveryScheme.REFERRERS_API,
                                    DiscoveryScheme.REFERRERS_TAG)
    assert any("no referrers API" in note for note in result.notes)
    found = [(a.format, a.found_via, a.manifest_digest) for a in result.artifacts]
    assert found == [
        (ArtifactFormat.COSIGN_SIMPLE_SIGNING, DiscoveryScheme.COSIGN_TAG, signed.sig.digest),
        (ArtifactFormat.COSIGN_SIMPLE_SIGNING, DiscoveryScheme.COSIGN_TAG, signed.sig.digest),
        (ArtifactFormat.COSIGN_ATTESTATION, DiscoveryScheme.COSIGN_TAG, signed.att.digest),
        (ArtifactFormat.SIGSTORE_BUNDLE, DiscoveryScheme.REFERRERS_TAG, signed.bundle.digest),
    ]
    first, second, attestation, bundle = result.artifacts
    assert first.payload == second.payload == signed.payload
    assert first.payload_digest == sw.sha256(signed.payload)
    assert first.location == f"{plain_registry.host}/{signed.repo}:{sw.cosign_tag(digest, 'sig')}"
    sig_layers = json.loads(signed.sig.manifest)["layers"]
    assert [dict(first.annotations), dict(second.annotations)] == [
        layer["annotations"] for layer in sig_layers]
    assert attestation.payload == signed.envelope
    assert attestation.annotations["predicateType"] == SLSA
    assert bundle.payload == real_bundle
    assert bundle.artifact_type == sw.BUNDLE_V03
    assert bundle.media_type == sw.BUNDLE_V03


def test_unsigned_image_has_nothing(plain_registry: RegistryServer, tmp_path: Path) -> None:
    repo = f"team/unsigned-{secrets.token_hex(3)}"
    digest = push_image(plain_registry, f"{repo}:v1",
                        ImageSpec(layers=[{"/x": secrets.token_bytes(8)}]), tmp_path)
    result = RegistrySignatureSource(RegistryClient(plain_registry.host, repo, FAST)).discover(
        digest)
    assert result.artifacts == ()
    assert DiscoveryScheme.REFERRERS_TAG in result.schemes_tried


def test_real_cosign_keyless_signature_round_trips(
    plain_registry: RegistryServer, tmp_path: Path, shared_data: Path
) -> None:
    """The payload and annotations of a real keyless cosign signature (certificate, chain,
    Rekor bundle), stored as cosign stores them, come back byte for byte."""
    raw = (shared_data / "sigstore/containers-image-cosign/signature/fixtures/"
           "dir-img-cosign-fulcio-rekor-valid/signature-1").read_bytes()
    doc: dict[str, Any] = json.loads(raw[raw.index(b"{"):])
    payload = base64.b64decode(doc["payload"])
    layer = sw.Layer(doc["mimeType"], payload, doc["annotations"])
    repo = f"team/keyless-{secrets.token_hex(3)}"
    digest = push_image(plain_registry, f"{repo}:v1",
                        ImageSpec(layers=[{"/k": secrets.token_bytes(8)}]), tmp_path)
    push_artifact(plain_registry, repo, sw.cosign_manifest([layer]), sw.cosign_tag(digest, "sig"))
    result = RegistrySignatureSource(RegistryClient(plain_registry.host, repo, FAST)).discover(
        digest)
    assert len(result.artifacts) == 1
    artifact = result.artifacts[0]
    assert artifact.payload == payload
    assert dict(artifact.annotations) == doc["annotations"]


def test_referrers_api_when_the_registry_has_one(
    plain_registry: RegistryServer, fault_proxy: FaultProxy, tmp_path: Path, real_bundle: bytes
) -> None:
    signed = _sign_and_push(plain_registry, tmp_path, real_bundle, fallback_index=False)
    digest = signed.image.manifest_digest
    sbom = sw.Artifact(b"", sw.OCI_MANIFEST, {}, artifact_type="application/spdx+json")
    fault_proxy.referrers = {digest: [signed.bundle.descriptor(), {
        **sbom.descriptor(), "digest": "sha256:" + "5" * 64}]}
    client = RegistryClient(fault_proxy.host, signed.repo, FAST)
    result = RegistrySignatureSource(client).discover(digest)
    bundles = [a for a in result.artifacts if a.format is ArtifactFormat.SIGSTORE_BUNDLE]
    assert [(a.found_via, a.payload) for a in bundles] == [
        (DiscoveryScheme.REFERRERS_API, real_bundle)]
    assert DiscoveryScheme.REFERRERS_TAG not in result.schemes_tried
    assert not fault_proxy.requests_to(rf"/manifests/{sw.cosign_tag(digest, '')}$")
    assert any("1 referrer(s) of other artifact types" in note for note in result.notes)

    # The artifactType filter: applied by the registry (OCI-Filters-Applied), or by gate.
    for registry_filters in (True, False):
        fault_proxy.apply_artifact_type_filter = registry_filters
        answer = client.referrers(digest, artifact_type=sw.BUNDLE_V03)
        assert answer is not None
        assert [d["digest"] for d in answer.descriptors] == [signed.bundle.digest]
        assert answer.filtered_by_registry is registry_filters
    assert fault_proxy.requests_to(r"/referrers/.*\?artifactType=application")


def test_fallback_index_entry_for_another_subject_is_skipped(
    plain_registry: RegistryServer, tmp_path: Path, real_bundle: bytes
) -> None:
    signed = _sign_and_push(plain_registry, tmp_path, real_bundle, fallback_index=False)
    other = build(ImageSpec(layers=[{"/other": secrets.token_bytes(8)}]))
    other_digest = push_image(plain_registry, f"{signed.repo}:other", other, tmp_path)
    # A bundle for the other image listed in this image's referrers tag (stale or forged).
    foreign = sw.bundle_artifact(real_bundle, other_digest, sw.OCI_MANIFEST, len(other.manifest),
                                 annotations={"note": "foreign"})
    push_artifact(plain_registry, signed.repo, foreign)
    digest = signed.image.manifest_digest
    push_artifact(plain_registry, signed.repo, sw.referrers_index([foreign, signed.bundle]),
                  sw.cosign_tag(digest, ""))
    result = RegistrySignatureSource(
        RegistryClient(plain_registry.host, signed.repo, FAST)).discover(digest)
    bundles = [a.manifest_digest for a in result.artifacts
               if a.format is ArtifactFormat.SIGSTORE_BUNDLE]
    assert bundles == [signed.bundle.digest]
    assert any(f"has subject {other_digest}" in note for note in result.notes)


def test_tampered_signature_blob_is_a_digest_mismatch(
    plain_registry: RegistryServer, fault_proxy: FaultProxy, tmp_path: Path, real_bundle: bytes
) -> None:
    signed = _sign_and_push(plain_registry, tmp_path, real_bundle)
    fault_proxy.add(rf"/blobs/{sw.sha256(signed.payload)}$", "corrupt", times=None)
    source = RegistrySignatureSource(RegistryClient(fault_proxy.host, signed.repo, FAST))
    with pytest.raises(DigestMismatchError, match="signature blob"):
        source.discover(signed.image.manifest_digest)


def test_signature_of_the_index_is_found_for_a_platform_image(
    plain_registry: RegistryServer, tmp_path: Path
) -> None:
    index = build_index({"linux/amd64": ImageSpec(layers=[{"/a": secrets.token_bytes(8)}]),
                         "linux/arm64/v8": ImageSpec(layers=[{"/b": secrets.token_bytes(8)}])})
    repo = f"team/multi-{secrets.token_hex(3)}"
    push_image(plain_registry, f"{repo}:v1", index, tmp_path)
    key = ec.generate_private_key(ec.SECP256R1())
    payload = sw.simple_signing_payload(digest=index.digest,
                                        reference=f"{plain_registry.host}/{repo}")
    sig = sw.cosign_manifest([sw.signature_layer(payload, sw.sign(key, payload))])
    push_artifact(plain_registry, repo, sig,
                  sw.cosign_tag(index.digest, "sig"))
    image = open_image(f"{plain_registry.host}/{repo}:v1", "linux/arm64")
    assert subject_digests(image) == (image.manifest_digest, index.digest)
    source = signature_source_for(image, FAST)
    per_digest = {d: len(source.discover(d).artifacts) for d in subject_digests(image)}
    assert per_digest == {image.manifest_digest: 0, index.digest: 1}


def test_signature_source_for_a_local_image(plain_registry: RegistryServer,
                                            tmp_path: Path) -> None:
    layout = tmp_path / "local"
    built = write_oci_layout(layout, ImageSpec(layers=[{"/l": secrets.token_bytes(8)}]),
                             tag="v1")["v1"]
    assert isinstance(built, BuiltImage)
    repo = f"team/sigs-{secrets.token_hex(3)}"
    key = ec.generate_private_key(ec.SECP256R1())
    payload = sw.simple_signing_payload(digest=built.manifest_digest,
                                        reference=f"{plain_registry.host}/{repo}")
    sig = sw.cosign_manifest([sw.signature_layer(payload, sw.sign(key, payload))])
    push_artifact(plain_registry, repo, sig,
                  sw.cosign_tag(built.manifest_digest, "sig"))
    image = open_image(f"oci:{layout}:v1")
    options = RegistryOptions(signature_repository=f"{plain_registry.host}/{repo}")
    source = signature_source_for(image, options)
    assert source.describe() == f"registry {plain_registry.host}/{repo}"
    result = source.discover(image.manifest_digest)
    assert [a.payload for a in result.artifacts] == [payload]
