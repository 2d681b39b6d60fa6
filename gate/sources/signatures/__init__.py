"""Signature discovery: where the signatures, attestations and sigstore bundles of an image
are, fetched and digest-verified for the verifiers (:mod:`gate.verifiers.artifacts`).

``factory.signature_source_for(image, options)`` picks the source; ``registry_source`` (cosign
tags, referrers API and its tag fallback) and ``layout_source`` (the same artifacts inside an
OCI layout) implement it; ``parse`` turns a signature manifest into artifacts;
``media_types`` names the formats.
"""
