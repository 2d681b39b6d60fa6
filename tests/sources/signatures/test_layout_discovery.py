"""Signature discovery inside local OCI layouts and oci-archives: cosign tag names (short and
``cosign save``'s full names with ``kind``), OCI 1.1 referrers kept by ``subject``, the
referrers tag index; nothing for another digest; docker-archives say they hold none."""

from __future__ import annotations

import secrets
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from gate.errors import DigestMismatchError
from gate.sources.image import open_image
from gate.sources.signatures.factory import (
    NoSignatureSource,
    parse_signature_repository,
    signature_source_for,
)
from gate.sources.signatures.layout_source import LayoutSignatureSource
from gate.testing import signature_writer as sw
from gate.testing.image_writer import (
    BuiltImage,
    ImageSpec,
    write_docker_archive,
    write_oci_layout,
)
from gate.verifiers.artifacts import ArtifactFormat, DiscoveryScheme

BUNDLE = b'{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{}}'


def _layout(tmp_path: Path) -> tuple[Path, BuiltImage, BuiltImage]:
    layout = tmp_path / "layout"
    images = write_oci_layout(layout, {
        "v1": ImageSpec(layers=[{"/app/x": secrets.token_bytes(8)}]),
        "other": ImageSpec(layers=[{"/app/y": secrets.token_bytes(8)}]),
    })
    image, other = images["v1"], images["other"]
    assert isinstance(image, BuiltImage) and isinstance(other, BuiltImage)
    return layout, image, other


def _signed_layout(tmp_path: Path) -> tuple[Path, BuiltImage, dict[str, sw.Artifact]]:
    layout, image, other = _layout(tmp_path)
    digest = image.manifest_digest
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = sw.simple_signing_payload(digest=digest, reference="registry.example/team/app")
    other_payload = sw.simple_signing_payload(digest=other.manifest_digest, reference="x")
    statement = sw.in_toto_statement(digest, "https://spdx.dev/Document", {}, name="app")
    made = {
        "sig": sw.cosign_manifest([sw.signature_layer(payload, sw.sign(key, payload))]),
        "att": sw.cosign_manifest([sw.attestation_layer(
            sw.dsse_envelope(key, statement), predicate_type="https://spdx.dev/Document")]),
        "plain-referrer": sw.bundle_artifact(BUNDLE, digest, sw.OCI_MANIFEST,
                                             len(image.manifest)),
        "indexed-referrer": sw.bundle_artifact(BUNDLE + b" ", digest, sw.OCI_MANIFEST,
                                               len(image.manifest)),
        "foreign": sw.bundle_artifact(BUNDLE + b"  ", other.manifest_digest, sw.OCI_MANIFEST,
                                      len(other.manifest)),
        "other-sig": sw.cosign_manifest([
            sw.signature_layer(other_payload, sw.sign(key, other_payload))]),
    }
    sw.add_to_layout(layout, made["sig"], ref_name=sw.cosign_tag(digest, "sig"))
    # cosign save: the full name and the kind annotation.
    sw.add_to_layout(layout, made["att"],
                     ref_name=f"registry.example/team/app:{sw.cosign_tag(digest, 'att')}",
                     annotations={"kind": "dev.cosignproject.cosign/atts"})
    sw.add_to_layout(layout, made["plain-referrer"])
    sw.add_to_layout(layout, made["foreign"])
    sw.add_to_layout(layout, made["other-sig"],
                     ref_name=sw.cosign_tag(other.manifest_digest, "sig"))
    for digest_, data in made["indexed-referrer"].blobs.items():
        blob = layout / "blobs" / "sha256" / digest_[7:]
        blob.write_bytes(data)
    (layout / "blobs" / "sha256" / made["indexed-referrer"].digest[7:]).write_bytes(
        made["indexed-referrer"].manifest)
    sw.add_to_layout(layout, sw.referrers_index([made["indexed-referrer"], made["foreign"]]),
                     ref_name=sw.cosign_tag(digest, ""))
    return layout, image, made


def _check(result_source: LayoutSignatureSource, image: BuiltImage,
           made: dict[str, sw.Artifact]) -> None:
    result = result_source.discover(image.manifest_digest)
    assert result.schemes_tried == (DiscoveryScheme.OCI_LAYOUT,)
    found = sorted((a.format.value, a.manifest_digest or "") for a in result.artifacts)
    expected = sorted([
        (ArtifactFormat.COSIGN_SIMPLE_SIGNING.value, made["sig"].digest),
        (ArtifactFormat.COSIGN_ATTESTATION.value, made["att"].digest),
        (ArtifactFormat.SIGSTORE_BUNDLE.value, made["plain-referrer"].digest),
        (ArtifactFormat.SIGSTORE_BUNDLE.value, made["indexed-referrer"].digest),
    ])
    assert found == expected
    assert all(a.found_via is DiscoveryScheme.OCI_LAYOUT for a in result.artifacts)
    payloads = {a.manifest_digest: a.payload for a in result.artifacts}
    assert payloads[made["indexed-referrer"].digest] == BUNDLE + b" "


def test_layout_directory(tmp_path: Path) -> None:
    layout, image, made = _signed_layout(tmp_path)
    opened = open_image(f"oci:{layout}:v1")
    source = signature_source_for(opened)
    assert isinstance(source, LayoutSignatureSource)
    _check(source, image, made)


def test_oci_archive(tmp_path: Path) -> None:
    layout, image, made = _signed_layout(tmp_path)
    archive = tmp_path / "signed.tar"
    with tarfile.open(archive, "w") as tar:
        for path in sorted(layout.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(layout)), recursive=False)
    opened = open_image(f"oci-archive:{archive}:v1")
    source = signature_source_for(opened)
    assert isinstance(source, LayoutSignatureSource)
    _check(source, image, made)


def test_legacy_cosign_save_kind_only(tmp_path: Path) -> None:
    layout, image, _ = _layout(tmp_path)
    key = ed25519.Ed25519PrivateKey.generate()
    payload = sw.simple_signing_payload(digest=image.manifest_digest, reference="app")
    sig = sw.cosign_manifest([sw.signature_layer(payload, sw.sign(key, payload))])
    sw.add_to_layout(layout, sig, annotations={"kind": "dev.cosignproject.cosign/sigs"})
    result = LayoutSignatureSource(open_image(f"oci:{layout}:v1").store).discover(  # type: ignore[arg-type]
        image.manifest_digest)
    assert [a.manifest_digest for a in result.artifacts] == [sig.digest]


def test_unsigned_layout_and_tampered_blob(tmp_path: Path) -> None:
    layout, image, _ = _layout(tmp_path)
    source = signature_source_for(open_image(f"oci:{layout}:v1"))
    assert source.discover(image.manifest_digest).artifacts == ()

    key = ed25519.Ed25519PrivateKey.generate()
    payload = sw.simple_signing_payload(digest=image.manifest_digest, reference="app")
    sig = sw.cosign_manifest([sw.signature_layer(payload, sw.sign(key, payload))])
    sw.add_to_layout(layout, sig,
                     ref_name=sw.cosign_tag(image.manifest_digest, "sig"))
    (layout / "blobs" / "sha256" / sw.sha256(payload)[7:]).write_bytes(payload + b" ")
    with pytest.raises(DigestMismatchError, match="signature blob"):
        source.discover(image.manifest_digest)


def test_docker_archive_holds_no_signatures(tmp_path: Path) -> None:
    archive = tmp_path / "app.tar"
    write_docker_archive(archive, [(ImageSpec(layers=[{"/a": b"a"}]), ["app:v1"])])
    image = open_image(f"docker-archive:{archive}")
    source = signature_source_for(image)
    assert isinstance(source, NoSignatureSource)
    result = source.discover(image.manifest_digest)
    assert result.artifacts == () and "--signature-source" in result.notes[0]


def test_signature_repository_names() -> None:
    assert str(parse_signature_repository("ghcr.io/team/app")) == "ghcr.io/team/app"
    assert str(parse_signature_repository("127.0.0.1:5000/sigs")) == "127.0.0.1:5000/sigs"
    assert str(parse_signature_repository("docker.io/library/x")) == "docker.io/library/x"
