"""The single walk over an image's layers.

Every layer is streamed once (never unpacked to disk); each regular file is read once and handed
to the file analyzers that want it. Layers are content-addressed, so the result of one layer is
cached under a key made of the layer digest, each analyzer's name, version and options, and the
walk's own version: a re-scan of an unchanged layer costs one small JSON read. Uncached layers
are scanned in parallel worker processes, largest first.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.analyzers.hard_links import check_hard_links
from gate.analyzers.interface import LayerFileAnalyzer, LayerScan, Record
from gate.errors import GateError, ImageError
from gate.sources.image.blob_stream import open_layer
from gate.sources.image.layer_tar import LayerLimits, iter_entries
from gate.sources.image.model import EntryMeta, EntryType, Image, LayerBlob

WALK_VERSION = "2"
"""Bump when the walk itself changes what it records (entry metadata, file reading)."""

CACHE_FORMAT = 3
"""Layout of one cached layer file. Part of the cache key, so a file written in another layout
is never looked up (it is rebuilt under the new key), and stored in the file, so one that is
found anyway is not misread. 3: entry metadata stored as columns (see :func:`_entries_to_json`);
before: one list per entry."""

DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024

ProgressCallback = Callable[[LayerBlob, bool], None]
"""Called once per layer when it is done: (layer, from_cache)."""


@dataclass(frozen=True)
class WalkOptions:
    cache_dir: Path | None = None
    """Where per-layer results are kept; None disables the cache."""
    jobs: int = 0
    """Worker processes; 0 means one per CPU."""
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    """A larger file is handed to analyzers truncated to this many bytes (they note it)."""
    limits: LayerLimits = field(default_factory=LayerLimits)


def cache_key(
    layer: LayerBlob, analyzers: Sequence[LayerFileAnalyzer], options: WalkOptions
) -> str:
    parts = [f"walk:{WALK_VERSION}", f"cache-format:{CACHE_FORMAT}", f"layer:{layer.ref.digest}",
             f"max:{options.max_file_bytes}"]  # fmt: skip
    parts += [
        f"{a.name}:{a.version}:{a.options_key()}" for a in sorted(analyzers, key=lambda a: a.name)
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def walk_layers(
    image: Image,
    analyzers: Sequence[LayerFileAnalyzer],
    options: WalkOptions = WalkOptions(),
    progress: ProgressCallback | None = None,
) -> tuple[LayerScan, ...]:
    """Scan every layer of ``image`` with ``analyzers``; results in layer order."""
    results: dict[int, LayerScan] = {}
    pending: list[LayerBlob] = []
    for layer in image.layers:
        cached = _load_cached(layer, analyzers, options)
        if cached is not None:
            results[layer.ref.index] = cached
            if progress:
                progress(layer, True)
        else:
            pending.append(layer)

    # Largest first keeps both cores busy to the end instead of waiting on one big last layer.
    pending.sort(key=lambda blob: blob.size, reverse=True)
    jobs = options.jobs or os.cpu_count() or 1
    if len(pending) <= 1 or jobs == 1:
        for layer in pending:
            results[layer.ref.index] = _finish(
                layer, scan_layer(image, layer, analyzers, options), analyzers, options, progress
            )
    else:
        cancel = multiprocessing.RawValue("b", 0)
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(pending)), initializer=_init_worker, initargs=(cancel,)
        )
        submitted: dict[Future[LayerScan], LayerBlob] = {}
        try:
            for layer in pending:
                submitted[pool.submit(scan_layer, image, layer, analyzers, options)] = layer
            # As they complete: a bad layer fails the run at once, not after the big ones.
            for future in as_completed(submitted):
                layer = submitted[future]
                results[layer.ref.index] = _finish(
                    layer, future.result(), analyzers, options, progress
                )
        except BaseException:
            _stop(pool, list(submitted), cancel)
            raise
        pool.shutdown()
    scans = tuple(results[index] for index in sorted(results))
    # Links across layers can only be checked once every layer is known (cached ones too).
    check_hard_links(scans, image.reference)
    return scans


_STOP_GRACE = 5.0
"""Seconds the workers get to notice a cancellation before they are terminated."""

_cancel: Any = None
"""In a worker process: the shared flag the main process sets to stop the walk."""


class _Cancelled(Exception):
    """A worker's layer scan stopped because the walk was cancelled (never shown)."""


def _init_worker(cancel: Any) -> None:
    global _cancel
    _cancel = cancel
    # Ctrl-C reaches the whole process group; the main process alone handles it (one line on
    # stderr, exit 2), the workers must not each print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor, futures: list[Future[LayerScan]], cancel: Any) -> None:
    """Stop the walk after an error or Ctrl-C: the other layers' results are not wanted.

    The workers are asked to stop (a shared flag they check between entries), so none is
    killed while it writes a result to the pool's pipe: that would leave a partial message
    the pool's manager thread waits on forever. Only a worker still busy after the grace
    period (stuck inside one entry, so not writing) is terminated."""
    cancel.value = 1
    for future in futures:
        future.cancel()
    _, stuck = wait([f for f in futures if not f.done()], timeout=_STOP_GRACE)
    if stuck:
        # ProcessPoolExecutor has no public way to stop running workers before Python 3.14
        # (terminate_workers); its process table is the documented-by-use alternative.
        for worker in list((getattr(pool, "_processes", None) or {}).values()):
            worker.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _finish(
    layer: LayerBlob,
    scan: LayerScan,
    analyzers: Sequence[LayerFileAnalyzer],
    options: WalkOptions,
    progress: ProgressCallback | None,
) -> LayerScan:
    _store_cached(layer, scan, analyzers, options)
    if progress:
        progress(layer, False)
    return scan


def scan_layer(
    image: Image,
    layer: LayerBlob,
    analyzers: Sequence[LayerFileAnalyzer],
    options: WalkOptions,
) -> LayerScan:
    """Stream one layer: record every entry, feed wanted files to the analyzers."""
    entries: list[EntryMeta] = []
    records: dict[str, list[Record]] = {a.name: [] for a in analyzers}
    what = f"layer {layer.ref.index} {layer.ref.digest}"
    try:
        with open_layer(image, layer, max_bytes=options.limits.max_layer_bytes) as stream:
            for entry in iter_entries(stream, what=what, limits=options.limits):
                if _cancel is not None and not len(entries) % 128 and _cancel.value:
                    raise _Cancelled(what)
                meta = entry.meta
                entries.append(meta)
                if meta.type != EntryType.FILE or meta.whiteout or meta.opaque:
                    continue
                wanted = [a for a in analyzers if a.wants(meta)]
                if not wanted:
                    continue
                data = entry.read(options.max_file_bytes)
                for analyzer in wanted:
                    records[analyzer.name].extend(analyzer.scan_file(meta, data))
    except GateError:
        raise
    except (OSError, EOFError, ValueError) as exc:
        raise ImageError(f"cannot read {what} of {image.reference}: {exc}") from exc
    return LayerScan(
        layer=layer.ref,
        entries=tuple(entries),
        records={name: tuple(recs) for name, recs in records.items()},
    )


# -- cache ------------------------------------------------------------------------------


def _cache_path(
    layer: LayerBlob, analyzers: Sequence[LayerFileAnalyzer], options: WalkOptions
) -> Path | None:
    if options.cache_dir is None:
        return None
    return options.cache_dir / "layers" / f"{cache_key(layer, analyzers, options)}.json"


def _load_cached(
    layer: LayerBlob, analyzers: Sequence[LayerFileAnalyzer], options: WalkOptions
) -> LayerScan | None:
    path = _cache_path(layer, analyzers, options)
    if path is None or not path.is_file():
        return None
    try:
        payload = json.loads(path.read_bytes())
        if payload["format"] != CACHE_FORMAT or payload["layer"] != layer.ref.digest:
            return None
        entries = _entries_from_json(payload["entries"])
        records = {name: tuple(recs) for name, recs in payload["records"].items()}
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        # A damaged cache entry is not an input error: scan the layer again.
        return None
    if set(records) != {a.name for a in analyzers}:
        return None
    return LayerScan(layer=layer.ref, entries=entries, records=records, from_cache=True)


def _store_cached(
    layer: LayerBlob, scan: LayerScan, analyzers: Sequence[LayerFileAnalyzer], options: WalkOptions
) -> None:
    path = _cache_path(layer, analyzers, options)
    if path is None:
        return
    try:
        entries = _entries_to_json(scan.entries)
    except ValueError:
        # A path the column layout cannot hold (NUL): this layer is scanned again next time.
        return
    payload: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "layer": layer.ref.digest,
        "entries": entries,
        "records": {name: list(recs) for name, recs in scan.records.items()},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a concurrent run never reads half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        # The cache is an optimisation; an unwritable cache directory must not fail the gate.
        return


# A warm re-scan rebuilds every entry of every layer from the cache (tens of thousands), so the
# layout is the one that decodes fastest: one JSON value per column instead of one list per
# entry (JSON decoding costs per value). Paths are joined with NUL, the one byte a tar path
# cannot hold; the columns that are nearly always empty (link targets, whiteouts, opaque
# markers) store only the entries that have one. About 30% less decoding than a list per entry.
_PATH_SEPARATOR = "\x00"


def _entries_to_json(entries: Sequence[EntryMeta]) -> dict[str, Any]:
    if any(_PATH_SEPARATOR in meta.path for meta in entries):
        raise ValueError("an entry path holds a NUL byte")
    return {
        "count": len(entries),
        "paths": _PATH_SEPARATOR.join(meta.path for meta in entries),
        "types": [meta.type.value for meta in entries],
        "modes": [meta.mode for meta in entries],
        "sizes": [meta.size for meta in entries],
        "uids": [meta.uid for meta in entries],
        "gids": [meta.gid for meta in entries],
        "links": [[i, meta.link_target] for i, meta in enumerate(entries)
                  if meta.link_target is not None],
        "whiteouts": [i for i, meta in enumerate(entries) if meta.whiteout],
        "opaques": [i for i, meta in enumerate(entries) if meta.opaque],
    }  # fmt: skip


_ENTRY_TYPES = {kind.value: kind for kind in EntryType}


def _entries_from_json(columns: dict[str, Any]) -> tuple[EntryMeta, ...]:
    """The entries :func:`_entries_to_json` stored; ValueError, KeyError, IndexError or
    TypeError when the columns do not fit together (a damaged file)."""
    count = columns["count"]
    paths = columns["paths"].split(_PATH_SEPARATOR) if count else []
    types = [_ENTRY_TYPES[kind] for kind in columns["types"]]
    plain = (paths, types, columns["modes"], columns["sizes"], columns["uids"], columns["gids"])
    if any(len(column) != count for column in plain):
        raise ValueError("cached entry columns differ in length")
    links: list[str | None] = [None] * count
    for index, target in columns["links"]:
        links[index] = target
    whiteouts = [False] * count
    for index in columns["whiteouts"]:
        whiteouts[index] = True
    opaques = [False] * count
    for index in columns["opaques"]:
        opaques[index] = True
    # tuple.__new__ over zipped rows builds the same named tuples without a Python-level
    # EntryMeta.__new__ call per entry (a quarter of the rebuild time).
    return tuple(map(_new_entry, zip(*plain, links, whiteouts, opaques, strict=True)))


_new_entry = functools.partial(tuple.__new__, EntryMeta)
