"""Registry images: the OCI distribution API (``GET /v2/...``) with requests.

:func:`open_registry_image` resolves a reference (tag -> digest first), picks the platform of
an index, and returns an :class:`~gate.sources.image.model.Image` whose blobs stream from the
registry (:class:`~gate.sources.registry.blobs.RegistryBlobStore`). Modules, one job each:
``endpoint`` (host, plain-HTTP rules), ``credentials`` (where secrets come from),
``challenge`` and ``auth`` (WWW-Authenticate, tokens), ``transport`` (TLS, retries,
redirects), ``manifests`` and ``blobs`` (verified content), ``client`` (one repository,
referrers), ``options`` (what the CLI sets).
"""

from __future__ import annotations

from gate.sources.image.manifest import build_image
from gate.sources.image.model import Image
from gate.sources.image.reference import RegistryReference
from gate.sources.registry.client import RegistryClient
from gate.sources.registry.options import RegistryOptions

__all__ = ["RegistryClient", "RegistryOptions", "open_registry_image"]


def open_registry_image(
    parsed: RegistryReference,
    reference: str,
    platform: str | None,
    options: RegistryOptions | None = None,
) -> Image:
    """The image ``parsed`` names; ``reference`` is the text the user gave (for reports).
    A digest in the reference wins over its tag, as with docker."""
    client = RegistryClient(parsed.registry, parsed.repository, options or RegistryOptions())
    wanted = parsed.digest or parsed.tag or "latest"
    top = client.manifest(wanted)
    return build_image(client.store, top.data, top.media_type, reference, platform,
                       manifest_digest=top.digest, read_manifest=client.read_manifest)
