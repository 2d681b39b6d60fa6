"""Base image references and the smaller variants published for well-known images.

A reference is normalised as Docker does (distribution/reference): ``python`` is
``docker.io/library/python``. ``tag`` is None when none was written (Docker then pulls
``latest``), which :func:`gate.sources.image.reference.parse_registry_reference` does not tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gate.errors import ImageError
from gate.sources.image.reference import parse_registry_reference

_MINIMAL_MARKERS = re.compile(
    r"(?:^|[-_.])(?:slim|alpine|distroless|minimal|micro|busybox|musl|chiseled|jre|static|"
    r"nonroot|wolfi|scratch)(?:$|[-_.\d])"
)


@dataclass(frozen=True)
class BaseImage:
    name: str
    """``registry/repository``, normalised."""
    repository: str
    registry: str
    tag: str | None
    digest: str | None


def parse_base(reference: str) -> BaseImage | None:
    """None for something that is not an image reference (an unresolved ``$VAR``)."""
    text = reference.strip().strip("\"'")
    if not text or "$" in text or text.lower() == "scratch":
        return None
    name_part, _, _digest = text.partition("@")
    last = name_part.rpartition("/")[2]
    try:
        ref = parse_registry_reference(text.lower() if text.lower() != text and ":" not in last
                                       else text)
    except ImageError:
        return None
    return BaseImage(
        name=ref.name,
        repository=ref.repository,
        registry=ref.registry,
        tag=ref.tag if ":" in last else None,
        digest=ref.digest,
    )


# repository -> advice when the tag has no minimal marker. Docker Official Images publish the
# -slim / -alpine variants named here (their tag lists on Docker Hub); Red Hat publishes
# ubi-minimal/ubi-micro beside ubi; distroless images are at gcr.io/distroless.
_FULL_IMAGES: dict[str, str] = {
    "docker.io/library/debian": "use the -slim variant (debian:<release>-slim)",
    "docker.io/library/python": "use python:<version>-slim or -alpine",
    "docker.io/library/node": "use node:<version>-slim or -alpine (or gcr.io/distroless/nodejs)",
    "docker.io/library/ruby": "use ruby:<version>-slim or -alpine",
    "docker.io/library/perl": "use perl:<version>-slim",
    "docker.io/library/golang": "a Go toolchain image: build in it, run on "
    "gcr.io/distroless/static or scratch",
    "docker.io/library/rust": "a Rust toolchain image: build in it, run on "
    "gcr.io/distroless/cc or debian:<release>-slim",
    "docker.io/library/gcc": "a compiler image: build in it, run on a slim image",
    "docker.io/library/buildpack-deps": "a build image: run on a slim image",
    "docker.io/library/openjdk": "use a JRE or distroless java image for running",
    "docker.io/library/eclipse-temurin": "use the -jre variant (eclipse-temurin:<v>-jre)",
    "docker.io/library/amazoncorretto": "use the -alpine variant or a JRE image",
    "docker.io/library/maven": "a build image: run on a JRE image",
    "docker.io/library/gradle": "a build image: run on a JRE image",
    "docker.io/library/centos": "use a minimal base (ubi9/ubi-minimal)",
    "docker.io/library/rockylinux": "use the -minimal variant (rockylinux:<v>-minimal)",
    "docker.io/library/almalinux": "use almalinux/9-minimal or -micro",
    "docker.io/library/fedora": "use fedora-minimal",
    "docker.io/library/amazonlinux": "use amazonlinux:2023-minimal",
    "registry.access.redhat.com/ubi8/ubi": "use ubi8/ubi-minimal or ubi8/ubi-micro",
    "registry.access.redhat.com/ubi9/ubi": "use ubi9/ubi-minimal or ubi9/ubi-micro",
    "registry.access.redhat.com/ubi10/ubi": "use ubi10/ubi-minimal or ubi10/ubi-micro",
    "registry.access.redhat.com/ubi8": "use ubi8/ubi-minimal or ubi8/ubi-micro",
    "registry.access.redhat.com/ubi9": "use ubi9/ubi-minimal or ubi9/ubi-micro",
    "docker.io/redhat/ubi9": "use redhat/ubi9-minimal or redhat/ubi9-micro",
    "docker.io/redhat/ubi8": "use redhat/ubi8-minimal or redhat/ubi8-micro",
}
_JDK = re.compile(r"(?:^|[-_.])jdk(?:$|[-_.])")


def minimal_variant(base: BaseImage) -> str | None:
    """Advice naming the smaller variant, or None if the image is minimal or unknown."""
    advice = _FULL_IMAGES.get(base.name)
    if advice is None:
        return None
    tag = (base.tag or "latest").lower()
    if _MINIMAL_MARKERS.search(tag):
        return None
    if base.name.endswith(("eclipse-temurin", "amazoncorretto")) and not _JDK.search(tag) and \
            "jre" in tag:
        return None
    return advice
