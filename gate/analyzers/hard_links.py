"""Hard links must name a file that exists when the layer is applied.

A tar hard link carries no data: its content is the file it names. Docker and containerd apply a
layer entry by entry on top of the lower layers, so a link must name a non-directory written
earlier in the same layer or present in the lower layers (image-spec ``layer.md``
"Hardlinks": "possible with all file types except directories"; "extracting a layer with
hardlink references to files outside of the layer may fail"). A link to nothing fails to
apply in every runtime; gate refuses it as well, since what the link would hold cannot be
known. Directories of the same layer are refused while the layer streams
(:mod:`gate.sources.image.layer_tar`); this module needs every layer, so the layer walk calls
it once all layers are scanned (or read from the cache).
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.analyzers.filesystem import FilesystemView, PathAction
from gate.analyzers.interface import LayerScan
from gate.errors import UnsafeImageError
from gate.sources.image.model import EntryType


def check_hard_links(scans: Sequence[LayerScan], reference: str) -> None:
    """UnsafeImageError naming the first hard link whose target does not exist."""
    ordered = sorted(scans, key=lambda scan: scan.layer.index)
    # (layer position, link path, target) for links not satisfied inside their own layer.
    pending: list[tuple[int, str, str]] = []
    for position, scan in enumerate(ordered):
        if not any(meta.type is EntryType.HARDLINK for meta in scan.entries):
            continue
        written: set[str] = set()
        for meta in scan.entries:
            if meta.whiteout or meta.opaque:
                continue
            target = meta.link_target
            if meta.type is EntryType.HARDLINK and target is not None and target not in written:
                pending.append((position, meta.path, target))
            if meta.type is not EntryType.DIR:
                written.add(meta.path)
            else:
                written.discard(meta.path)
    if not pending:
        return
    view = FilesystemView.from_layers(ordered, paths={target for _, _, target in pending})
    for position, path, target in pending:
        if not _present_below(view, target, ordered[position].layer.index):
            layer = ordered[position].layer
            raise UnsafeImageError(
                f"layer {layer.index} {layer.digest} of {reference}: hard link {path} points "
                f"to {target}, which is not a file of this layer or of a lower one"
            )


def _present_below(view: FilesystemView, path: str, layer_index: int) -> bool:
    """Whether ``path`` is a non-directory of the merged layers below ``layer_index``."""
    state = None
    for event in view.history(path):
        if event.layer_index >= layer_index:
            break
        state = event
    if state is None or state.action is PathAction.DELETED or state.meta is None:
        return False
    return state.meta.type is not EntryType.DIR
