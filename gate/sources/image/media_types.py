"""Media types gate understands (OCI image spec ``media-types.md``, Docker image manifest v2.2)."""

from __future__ import annotations

from gate.sources.image.model import LayerCompression

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
CONFIG_TYPES = frozenset({OCI_CONFIG, DOCKER_CONFIG})

DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
"""Not in the Docker v2.2 spec, but what ``docker save`` / skopeo use for uncompressed layers."""
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"

LAYER_TYPES: dict[str, LayerCompression] = {
    OCI_LAYER_TAR: LayerCompression.NONE,
    "application/vnd.oci.image.layer.v1.tar+gzip": LayerCompression.GZIP,
    "application/vnd.oci.image.layer.v1.tar+zstd": LayerCompression.ZSTD,
    # Non-distributable ("foreign") layers: deprecated in image-spec 1.1 but still found in
    # Windows-based images; they may be absent from the store (fetched from their urls).
    "application/vnd.oci.image.layer.nondistributable.v1.tar": LayerCompression.NONE,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": LayerCompression.GZIP,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": LayerCompression.ZSTD,
    DOCKER_LAYER_TAR: LayerCompression.NONE,
    DOCKER_LAYER_GZIP: LayerCompression.GZIP,
    "application/vnd.docker.image.rootfs.diff.tar.zstd": LayerCompression.ZSTD,
    DOCKER_FOREIGN_GZIP: LayerCompression.GZIP,
}

ATTESTATION_REFERENCE_TYPE = "attestation-manifest"
"""BuildKit's ``vnd.docker.reference.type`` annotation for provenance/SBOM manifests."""
