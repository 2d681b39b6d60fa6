"""Image sources: OCI layouts, oci-archive and docker-archive tars, and registries
(:mod:`gate.sources.registry`).

:func:`open_image` is the single entry point: it parses an ``--image`` value and returns an
:class:`~gate.sources.image.model.Image` whose layers stream, verified, through
:func:`~gate.sources.image.blob_stream.open_layer` and
:func:`~gate.sources.image.layer_tar.iter_entries`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from gate.errors import ImageError
from gate.sources.image.dir_store import DirStore
from gate.sources.image.docker_archive import open_docker_archive
from gate.sources.image.model import Image
from gate.sources.image.oci_layout import open_layout_image
from gate.sources.image.platforms import parse_platform
from gate.sources.image.reference import (
    DockerArchiveReference,
    OciArchiveReference,
    OciLayoutReference,
    RegistryReference,
    parse_reference,
)
from gate.sources.image.tar_store import TarStore

if TYPE_CHECKING:
    from gate.sources.registry.options import RegistryOptions

__all__ = ["open_image"]


def open_image(
    ref: str, platform: str | None = None, registry: RegistryOptions | None = None
) -> Image:
    """Open the image named by an ``--image`` value; ImageError (or a subclass) if it cannot.
    ``registry`` holds the options of registry access (TLS, insecure hosts, retries)."""
    if platform is not None:
        # A malformed --platform is a usage error even for an image that has no index.
        parse_platform(platform)
    parsed = parse_reference(ref)
    if isinstance(parsed, OciLayoutReference):
        if not os.path.isdir(parsed.path):
            raise ImageError(f"OCI layout directory {parsed.path} does not exist")
        return open_layout_image(DirStore(parsed.path), ref, tag=parsed.tag,
                                 digest=parsed.digest, platform=platform)
    if isinstance(parsed, OciArchiveReference):
        return open_layout_image(TarStore.index(parsed.path), ref, tag=parsed.tag,
                                 platform=platform)
    if isinstance(parsed, DockerArchiveReference):
        return open_docker_archive(parsed.path, ref, repo_tag=parsed.repo_tag,
                                   index=parsed.index, platform=platform)
    return open_registry(parsed, ref, platform, registry)


def open_registry(
    parsed: RegistryReference,
    ref: str,
    platform: str | None,
    options: RegistryOptions | None = None,
) -> Image:
    """The one place registry images enter (requests is imported only from here on)."""
    from gate.sources.registry import open_registry_image

    return open_registry_image(parsed, ref, platform, options)
