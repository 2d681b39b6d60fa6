"""The two analyzer protocols.

* A :class:`LayerFileAnalyzer` looks at single files while the layers stream. The layer walk
  opens every file once and hands it to the analyzers that want it (``wants``). Its output
  per layer is a list of JSON-ready records, cached by layer digest + analyzer name + version +
  the hash of the options that change results. Records must never hold a raw secret.
* An :class:`Analyzer` owns one check: it turns the layer records, the image config, the build
  context and the Dockerfile into a :class:`~gate.models.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gate.models import Check, CheckResult, LayerRef, ScanNote
from gate.sources.image.model import EntryMeta, Image

if TYPE_CHECKING:
    from gate.analyzers.filesystem import FilesystemView

Record = Mapping[str, Any]
"""One JSON-ready fact a file analyzer found (a secret match, a package database, ...)."""


class LayerFileAnalyzer(Protocol):
    name: str
    """Unique, stable; the key of its records in :class:`LayerScan`."""
    version: str
    """Bump when output for the same input changes: it invalidates the layer cache."""

    def options_key(self) -> str:
        """A string that changes whenever an option changes results (enters the cache key)."""
        ...

    def wants(self, meta: EntryMeta) -> bool:
        """Cheap, by path/size/mode only: does this analyzer need the file's content?"""
        ...

    def scan_file(self, meta: EntryMeta, data: bytes) -> list[Record]:
        """Records for one file. ``data`` is the whole content, or its first
        ``max_file_bytes`` bytes if the file is larger (``meta.size`` tells)."""
        ...

    def notes(self, records: Sequence[Record]) -> list[ScanNote]:
        """Notes to surface for one layer (e.g. skipped files), derived from its records."""
        ...


@dataclass(frozen=True)
class LayerScan:
    """Everything the layer walk learned about one layer."""

    layer: LayerRef
    entries: tuple[EntryMeta, ...]
    records: Mapping[str, tuple[Record, ...]]
    from_cache: bool = False


@dataclass(frozen=True)
class ContextFile:
    """A file of the build context that a ``COPY . .`` would send (``.dockerignore`` applied)."""

    path: str
    """POSIX path relative to the context root."""
    size: int
    mode: int


@dataclass(frozen=True)
class BuildContext:
    root: Path
    files: tuple[ContextFile, ...]
    ignored: int = 0
    """How many files ``.dockerignore`` excluded."""
    dockerignore: Path | None = None
    repo_prefix: str = ""
    """Path of the context root relative to the repository root (for SARIF locations)."""


@dataclass(frozen=True)
class ScanTarget:
    """What the analyzers are run against. Any part may be absent."""

    image: Image | None = None
    layers: tuple[LayerScan, ...] = ()
    context: BuildContext | None = None
    dockerfile: Path | None = None
    dockerfile_repo_path: str | None = None
    target_stage: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    """Check-specific options resolved from the policy (never the CLI flags object)."""

    shared: _SharedState = field(default_factory=lambda: _SharedState(), compare=False, repr=False)
    """Derived state built once and shared by the per-check copies (``dataclasses.replace``)."""

    @property
    def filesystem(self) -> FilesystemView:
        """The merged view of every path of ``layers``, built once for all the analyzers."""
        cached = self.shared.filesystem
        if cached is None or cached[0] is not self.layers:
            from gate.analyzers.filesystem import FilesystemView

            cached = self.shared.filesystem = (self.layers, FilesystemView.from_layers(self.layers))
        return cached[1]


class _SharedState:
    """Mutable on purpose: a cache, not data (the dataclass around it stays frozen)."""

    def __init__(self) -> None:
        self.filesystem: tuple[tuple[LayerScan, ...], FilesystemView] | None = None


class Analyzer(Protocol):
    check: Check

    def run(self, target: ScanTarget) -> CheckResult: ...
