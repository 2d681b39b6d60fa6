"""What a report is about, as one stable name: the SARIF category and the comment marker.

GitHub code scanning tells analyses apart by the SARIF ``automationDetails.id`` category, and
the PR/MR comment of one image is found again by a hidden marker: both must stay the same
between runs on the same image (so tags and digests of a registry reference are left out) and
differ between images (so two images scanned in one workflow keep their own alerts and comment).
"""

from __future__ import annotations

import re

from gate.models import Report

_TRANSPORTS = ("oci:", "oci-archive:", "docker-archive:", "dir:")
_MARKER_UNSAFE = re.compile(r"[^A-Za-z0-9._:/@+=-]")


def target_id(report: Report) -> str:
    """``ghcr.io/acme/api`` for ``ghcr.io/acme/api:1.4.2``; ``context:<dir>`` without an image.

    A transport reference (``oci:DIR:TAG``, ``docker-archive:FILE``) is kept whole: its path
    names the image, and its tag is part of that name, not a version.
    """
    if report.image is not None:
        return stable_reference(report.image.reference)
    if report.context_path is not None:
        return f"context:{report.context_path}"
    return "unknown"


def stable_reference(reference: str) -> str:
    ref = reference.split("@", 1)[0]
    if ref.startswith(_TRANSPORTS):
        return ref
    name, sep, tag = ref.rpartition(":")
    if sep and "/" not in tag:
        return name
    return ref


def comment_marker(report: Report) -> str:
    """``<!-- gate:report image=<id> -->``: the hidden first line of the PR/MR comment.

    Characters that could end the HTML comment or break the one-line form are replaced, so a
    hostile image name cannot inject markup into the comment.
    """
    return f"<!-- gate:report image={_MARKER_UNSAFE.sub('_', target_id(report))} -->"


__all__ = ["comment_marker", "stable_reference", "target_id"]
