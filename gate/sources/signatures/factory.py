"""Which :class:`~gate.verifiers.artifacts.SignatureSource` serves an image.

* ``--signature-source REGISTRY/REPO`` given: that registry repository (a local image's
  signatures pushed to a registry, or cosign's ``COSIGN_REPOSITORY`` setup);
* a registry image: its own repository;
* an OCI layout or oci-archive (or a Docker 25+ ``docker save``, which is one): the
  artifacts stored inside it;
* anything else (a legacy ``docker save`` archive): nothing can be found, and the result
  says why - verification then reports "no signature found" rather than passing.
"""

from __future__ import annotations

from gate.errors import UsageError
from gate.sources.image.dir_store import DirStore
from gate.sources.image.model import Image
from gate.sources.image.oci_layout import is_oci_layout
from gate.sources.image.reference import RegistryReference, parse_registry_reference
from gate.sources.image.tar_store import TarStore
from gate.sources.registry.options import RegistryOptions
from gate.verifiers.artifacts import DiscoveryResult, SignatureSource


def parse_signature_repository(value: str) -> RegistryReference:
    """``REGISTRY/REPO`` (no tag, no digest, registry named explicitly); UsageError else."""
    text = value.strip().removeprefix("docker://")
    first = text.split("/", 1)[0]
    explicit = "/" in text and ("." in first or ":" in first or first == "localhost"
                                or first.startswith("["))
    if not explicit:
        raise UsageError(f"--signature-source {value!r}: expected REGISTRY/REPO with the "
                         "registry host named (e.g. ghcr.io/team/app)")
    try:
        ref = parse_registry_reference(text)
    except Exception as exc:
        raise UsageError(f"--signature-source {value!r}: {exc}") from None
    if ref.digest is not None or text.rpartition("/")[2].find(":") >= 0:
        raise UsageError(f"--signature-source {value!r}: name a repository, without a tag "
                         "or digest (signatures are found by the image's digest)")
    return RegistryReference(registry=ref.registry, repository=ref.repository)


class NoSignatureSource:
    """A source that cannot hold signatures; every lookup says why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def describe(self) -> str:
        return self.name

    def discover(self, subject_digest: str) -> DiscoveryResult:
        return DiscoveryResult(subject_digest=subject_digest, artifacts=(), schemes_tried=(),
                               notes=(self.reason,))


def signature_source_for(image: Image, options: RegistryOptions | None = None) -> SignatureSource:
    """The source the signature check asks for ``image``'s signatures."""
    from gate.sources.registry.blobs import RegistryBlobStore
    from gate.sources.registry.client import RegistryClient
    from gate.sources.signatures.layout_source import LayoutSignatureSource
    from gate.sources.signatures.registry_source import RegistrySignatureSource

    options = options or RegistryOptions()
    if options.signature_repository:
        ref = parse_signature_repository(options.signature_repository)
        return RegistrySignatureSource(RegistryClient(ref.registry, ref.repository, options))
    store = image.store
    if isinstance(store, RegistryBlobStore):
        return RegistrySignatureSource(
            RegistryClient(store.transport.registry, store.repository, options))
    if isinstance(store, DirStore | TarStore) and is_oci_layout(store):
        return LayoutSignatureSource(store, store.describe())
    return NoSignatureSource(
        image.reference,
        f"{image.reference} is a docker save archive, which holds no signatures; push the "
        "signatures to a registry and name it with --signature-source REGISTRY/REPO",
    )


def subject_digests(image: Image) -> tuple[str, ...]:
    """The digests signatures of ``image`` may be made for: the platform manifest, and the
    index it was picked from (``cosign sign TAG`` signs what the tag names: the index)."""
    digests = [image.manifest_digest]
    if image.index_digest and image.index_digest not in digests:
        digests.append(image.index_digest)
    return tuple(digests)
