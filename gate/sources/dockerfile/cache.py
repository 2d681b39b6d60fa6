"""One parse per Dockerfile per run: the configuration check and layer attribution both need
it. Keyed by path, size and modification time, so an edited file is parsed again."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from gate.sources.dockerfile.model import Dockerfile, DockerfileError
from gate.sources.dockerfile.parser import parse_dockerfile


def load_dockerfile(path: Path, display: str | None = None) -> Dockerfile:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DockerfileError(
            f"cannot read Dockerfile {display or path}: {exc.strerror or exc}"
        ) from None
    return _cached(str(path), display or str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _cached(path: str, display: str, size: int, mtime: int) -> Dockerfile:
    return parse_dockerfile(Path(path), display)
