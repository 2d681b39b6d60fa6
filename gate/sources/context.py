"""The Docker build context: the files a ``COPY . .`` would bake into the image.

The context directory is walked without following symlinks (a symlink is sent as a link, its
target is not read, so nothing outside the root is ever opened). ``.dockerignore`` is applied
as Docker/BuildKit apply it (:mod:`gate.sources.dockerignore`); BuildKit's per-Dockerfile
``<Dockerfile>.dockerignore`` next to the Dockerfile takes precedence over the context's. The
Dockerfile and the ignore file are listed even when excluded: the builder still receives them,
and a secret in either is a leak. ``.git`` is not special: Docker sends it unless ignored.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gate.analyzers.interface import BuildContext, ContextFile
from gate.errors import InputError
from gate.sources.dockerignore import PatternMatcher, load_dockerignore


def find_dockerignore(root: Path, dockerfile: Path | None) -> Path | None:
    """BuildKit: ``<Dockerfile>.dockerignore`` beside the Dockerfile, else ``.dockerignore``."""
    if dockerfile is not None:
        specific = dockerfile.with_name(dockerfile.name + ".dockerignore")
        if specific.is_file():
            return specific
    default = root / ".dockerignore"
    return default if default.is_file() else None


def find_repo_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.git`` (a dir or a worktree file)."""
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _repo_prefix(root: Path, repo_root: Path | None) -> str:
    if repo_root is None:
        return ""
    try:
        rel = root.relative_to(repo_root.resolve())
    except ValueError as exc:
        raise InputError(
            f"build context {root} is not inside the repository root {repo_root}"
        ) from exc
    prefix = rel.as_posix()
    return "" if prefix in ("", ".") else prefix + "/"


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None


class _Walker:
    def __init__(self, root: Path, matcher: PatternMatcher | None, always: set[str]) -> None:
        self.root = root
        self.matcher = matcher
        self.always = always
        self.files: list[ContextFile] = []
        self.ignored = 0

    def excluded(self, rel: str) -> bool:
        return self.matcher is not None and self.matcher.matches_or_parent_matches(rel)

    def walk(self, directory: Path, rel_dir: str) -> None:
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise InputError(
                f"cannot read build context directory {directory}: {exc.strerror or exc}"
            ) from exc
        for entry in entries:
            rel = f"{rel_dir}{entry.name}"
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                raise InputError(f"cannot stat {entry.path}: {exc.strerror or exc}") from exc
            if stat.S_ISDIR(st.st_mode):
                # Without exceptions nothing below an excluded directory can come back
                # (patternmatcher: a directory match covers its children): count and skip.
                if self.excluded(rel) and self.matcher is not None and not self.matcher.exclusions:
                    self.ignored += _count_files(Path(entry.path))
                    continue
                self.walk(Path(entry.path), rel + "/")
            elif stat.S_ISREG(st.st_mode):
                if rel not in self.always and self.excluded(rel):
                    self.ignored += 1
                    continue
                self.files.append(ContextFile(path=rel, size=st.st_size, mode=st.st_mode))
            # Symlinks, sockets, fifos, devices: no content a scan may read.


def _count_files(directory: Path) -> int:
    count = 0
    for _dirpath, _dirnames, filenames in os.walk(directory):
        count += len(filenames)
    return count


def load_context(
    root: Path, *, dockerfile: Path | None = None, repo_root: Path | None = None
) -> BuildContext:
    """List the context files a build would receive, ``.dockerignore`` applied.

    ``repo_root``: the repository root, so locations are repository-relative (SARIF); by
    default the nearest parent holding ``.git``, else the context root itself.
    """
    try:
        resolved = root.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise InputError(f"build context {root} does not exist or cannot be resolved") from exc
    if not resolved.is_dir():
        raise InputError(f"build context {root} is not a directory")
    if not os.access(resolved, os.R_OK | os.X_OK):
        raise InputError(f"build context {root} is not readable")

    ignore_file = find_dockerignore(resolved, dockerfile)
    matcher = load_dockerignore(ignore_file) if ignore_file is not None else None
    always = {
        rel
        for rel in (
            _relative(ignore_file, resolved) if ignore_file else None,
            _relative(dockerfile, resolved) if dockerfile else None,
            None if dockerfile else "Dockerfile",
        )
        if rel
    }
    walker = _Walker(resolved, matcher, always)
    walker.walk(resolved, "")
    repo = repo_root if repo_root is not None else find_repo_root(resolved)
    return BuildContext(
        root=resolved,
        files=tuple(walker.files),
        ignored=walker.ignored,
        dockerignore=ignore_file,
        repo_prefix=_repo_prefix(resolved, repo),
    )
