"""``--image`` values: local layouts and archives (skopeo transport syntax) or registry names.

* ``oci:DIR[:TAG|@DIGEST]`` - an OCI image layout directory (image-spec ``image-layout.md``)
* ``oci-archive:FILE[:TAG]`` - a tar of such a directory
* ``docker-archive:FILE[:REPO:TAG|:@N]`` - a ``docker save`` archive
* anything else - a registry reference, normalised as Docker does (``alpine`` is
  ``docker.io/library/alpine:latest``)

TAG is an ``org.opencontainers.image.ref.name``, which may itself hold ':' and '/'
(``buildah push IMG oci:DIR:localhost/app:v1`` writes ``localhost/app:v1``). DIR and FILE may
contain ':' too: the path is the longest prefix, ending at a ':', that exists (a layout
directory for ``oci:``, a file for the archives); only when none exists does the grammar
decide (the last ':' for ``oci:``, the first for ``docker-archive:``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from gate.errors import ImageError
from gate.sources.image.digest import is_digest

# distribution/reference grammar (reference.go): path components and tags.
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
# image-spec annotations.md, org.opencontainers.image.ref.name:
#   ref ::= component ("/" component)* ; component ::= alphanum (separator alphanum)*
#   alphanum ::= [A-Za-z0-9]+ ; separator ::= [-._:@+] | "--"
_REF_COMPONENT = r"[A-Za-z0-9]+(?:(?:--|[-._:@+])[A-Za-z0-9]+)*"
_REF_NAME = re.compile(rf"{_REF_COMPONENT}(?:/{_REF_COMPONENT})*")
_DOMAIN = re.compile(
    r"(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?"
)
DEFAULT_REGISTRY = "docker.io"


@dataclass(frozen=True)
class OciLayoutReference:
    """``oci:DIR[:TAG|@DIGEST]``."""

    path: str
    """The layout directory."""
    tag: str | None = None
    """``org.opencontainers.image.ref.name`` of the wanted index.json entry."""
    digest: str | None = None
    """Digest of the wanted manifest or index."""
    text: str = ""
    """The reference as the user gave it."""


@dataclass(frozen=True)
class OciArchiveReference:
    """``oci-archive:FILE[:TAG]``."""

    path: str
    """The tar file."""
    tag: str | None = None
    text: str = ""


@dataclass(frozen=True)
class DockerArchiveReference:
    """``docker-archive:FILE[:REPO:TAG|:@N]``."""

    path: str
    """The tar file."""
    repo_tag: RegistryReference | None = None
    """Picks the image whose ``RepoTags`` has this name (multi-image archives)."""
    index: int | None = None
    """Picks the N-th image of ``manifest.json`` (0-based, ``:@N``)."""
    text: str = ""


@dataclass(frozen=True)
class RegistryReference:
    """A registry image name, normalised (``docker.io/library/alpine:latest``)."""

    registry: str
    """Host[:port]; ``docker.io`` for Docker Hub."""
    repository: str
    """Path in the registry, ``library/alpine``."""
    tag: str | None = None
    """None only when a digest is given."""
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


ImageReference = (
    OciLayoutReference | OciArchiveReference | DockerArchiveReference | RegistryReference
)


def parse_reference(value: str) -> ImageReference:
    """Parse an ``--image`` value; ImageError naming it if malformed."""
    if value.startswith("oci:"):
        return _parse_oci(value)
    if value.startswith("oci-archive:"):
        return _parse_oci_archive(value)
    if value.startswith("docker-archive:"):
        return _parse_docker_archive(value)
    text = value.removeprefix("docker://")
    return parse_registry_reference(text)


def _split_tag(body: str) -> tuple[str, str | None]:
    """Split ``PATH:TAG`` on the last ':' only if what follows has no '/' (else it is a path)."""
    head, sep, tail = body.rpartition(":")
    if not sep or "/" in tail or not head:
        return body, None
    return head, tail


def _split_existing(
    body: str, exists: Callable[[str], bool]
) -> tuple[str, str | None] | None:
    """``PATH[:REST]`` where PATH is the longest prefix of ``body`` ending at a ':' (or all of
    it) for which ``exists`` holds; None if there is none. This is how a path may contain
    ':' at all: the transports' own grammar (containers/image) ends the path at the first
    ':', which a path such as ``/builds/ci:job-42/image.tar`` breaks."""
    if exists(body):
        return body, None
    for cut in (i for i in range(len(body) - 1, 0, -1) if body[i] == ":"):
        if exists(body[:cut]):
            return body[:cut], body[cut + 1 :]
    return None


def _is_layout(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "oci-layout"))


def _check_ref_name(value: str, tag: str) -> None:
    if not _REF_NAME.fullmatch(tag):
        raise ImageError(f"invalid image reference {value!r}: bad tag {tag!r} (an OCI "
                         "org.opencontainers.image.ref.name: letters, digits, "
                         "separators -._:@+ and '/' between components)")


def _parse_oci(value: str) -> OciLayoutReference:
    body = value[len("oci:"):]
    head, at, tail = body.rpartition("@")
    if at and is_digest(tail):
        if not head:
            raise ImageError(f"invalid image reference {value!r}: no layout directory")
        return OciLayoutReference(path=head, digest=tail, text=value)
    split = _split_existing(body, _is_layout) or _split_existing(body, os.path.isdir)
    path, tag = split if split is not None else _split_tag(body)
    if not path:
        raise ImageError(f"invalid image reference {value!r}: no layout directory")
    if tag is not None:
        _check_ref_name(value, tag)
    return OciLayoutReference(path=path, tag=tag, text=value)


def _parse_oci_archive(value: str) -> OciArchiveReference:
    body = value[len("oci-archive:"):]
    split = _split_existing(body, os.path.isfile)
    path, tag = split if split is not None else _split_tag(body)
    if not path:
        raise ImageError(f"invalid image reference {value!r}: no archive file")
    if tag is not None:
        _check_ref_name(value, tag)
    return OciArchiveReference(path=path, tag=tag, text=value)


def _parse_docker_archive(value: str) -> DockerArchiveReference:
    body = value[len("docker-archive:"):]
    split = _split_existing(body, os.path.isfile)
    if split is None:
        # No such file: end the path at the first ':' as containers/image does, so the
        # error names the file the user most likely meant.
        path, sep, rest = body.partition(":")
        split = (path, rest if sep else None)
    path, selector = split
    if not path:
        raise ImageError(f"invalid image reference {value!r}: no archive file")
    if selector is None:
        return DockerArchiveReference(path=path, text=value)
    if selector.startswith("@"):
        if not selector[1:].isdigit():
            raise ImageError(f"invalid image reference {value!r}: bad image index {selector!r}")
        return DockerArchiveReference(path=path, index=int(selector[1:]), text=value)
    ref = parse_registry_reference(selector)
    if ref.digest is not None:
        raise ImageError(f"invalid image reference {value!r}: an archive image is picked by tag, "
                         "not digest")
    return DockerArchiveReference(path=path, repo_tag=ref, text=value)


def parse_registry_reference(value: str) -> RegistryReference:
    """Docker's normalisation (distribution/reference ``ParseNormalizedNamed``)."""
    if not value or value != value.strip():
        raise ImageError(f"invalid image reference {value!r}")
    name, at, digest = value.partition("@")
    if at and not is_digest(digest):
        raise ImageError(f"invalid image reference {value!r}: bad digest {digest!r}")
    tag = None
    last = name.rpartition("/")[2]
    if ":" in last:
        name, _, tag = name.rpartition(":")
        if not _TAG.fullmatch(tag):
            raise ImageError(f"invalid image reference {value!r}: bad tag {tag!r}")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        if not _DOMAIN.fullmatch(first):
            raise ImageError(f"invalid image reference {value!r}: bad registry {first!r}")
        registry, path = first, rest
    else:
        registry, path = DEFAULT_REGISTRY, name
    if registry == "index.docker.io":
        registry = DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    if path != path.lower():
        raise ImageError(f"invalid image reference {value!r}: repository names must be lowercase")
    for component in path.split("/"):
        if not _COMPONENT.fullmatch(component):
            raise ImageError(f"invalid image reference {value!r}: bad name component "
                             f"{component!r}")
    if tag is None and not at:
        tag = "latest"
    return RegistryReference(registry=registry, repository=path, tag=tag,
                             digest=digest if at else None)
