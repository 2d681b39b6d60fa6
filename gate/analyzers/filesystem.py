"""The layered filesystem of an image: which layer added, changed or deleted every path.

Applies the layers in order as the OCI image spec describes (image-spec ``layer.md``,
"Whiteouts"): a ``.wh.NAME`` entry deletes NAME and everything below it from the LOWER layers;
an opaque marker ``.wh..wh..opq`` hides every lower-layer child of its directory; a whiteout
never hides an entry of its own layer. A non-directory entry replacing a directory hides the
directory's lower children. Nothing is unpacked: only the entry metadata of the layer walk is used.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from gate.analyzers.interface import LayerScan
from gate.models import LayerRef
from gate.sources.image.model import EntryMeta, EntryType


class PathAction(str, enum.Enum):
    ADDED = "added"
    MODIFIED = "modified"
    """Written again by a later layer: the earlier content is still in the earlier layer."""
    DELETED = "deleted"


@dataclass(frozen=True)
class PathEvent:
    layer_index: int
    action: PathAction
    meta: EntryMeta | None
    """The entry as written (None for a deletion)."""


def _parent(path: str) -> str:
    head = path.rsplit("/", 1)[0]
    return head or "/"


def _with_parents(paths: Collection[str]) -> frozenset[str]:
    wanted = {"/"}
    for path in paths:
        while path not in wanted:
            wanted.add(path)
            path = _parent(path)
    return frozenset(wanted)


class FilesystemView:
    """History of every path across the layers, and the merged final filesystem."""

    def __init__(self, layers: Sequence[LayerRef]) -> None:
        self.layers: tuple[LayerRef, ...] = tuple(layers)
        self._events: dict[str, list[PathEvent]] = defaultdict(list)
        self._live: dict[str, tuple[EntryMeta, int]] = {}
        self._children: dict[str, set[str]] = defaultdict(set)

    @classmethod
    def from_layers(
        cls, scans: Sequence[LayerScan], *, paths: Collection[str] | None = None
    ) -> FilesystemView:
        """The view of every path, or only of ``paths`` (and their parent directories, whose
        whiteouts, opaque markers and replacements delete them): a few findings need the
        history of a few paths, not of the 50,000 entries of a large image."""
        ordered = sorted(scans, key=lambda s: s.layer.index)
        view = cls([s.layer for s in ordered])
        wanted = None if paths is None else _with_parents(paths)
        for scan in ordered:
            entries = scan.entries
            if wanted is not None:
                entries = tuple(meta for meta in entries if meta.path in wanted)
            view._apply(scan.layer.index, entries)
        return view

    def _apply(self, index: int, entries: Sequence[EntryMeta]) -> None:
        # Deletions apply to lower layers only, so collect them before this layer's writes.
        lower_live = set(self._live)
        for meta in entries:
            if meta.whiteout:
                self._delete_tree(meta.path, index, lower_live, include_root=True)
            elif meta.opaque:
                self._delete_tree(meta.path, index, lower_live, include_root=False)
        for meta in entries:
            if meta.whiteout or meta.opaque:
                continue
            previous = self._live.get(meta.path)
            if (
                previous is not None
                and previous[0].type == EntryType.DIR
                and meta.type != EntryType.DIR
            ):
                self._delete_tree(meta.path, index, lower_live, include_root=False)
            if previous is None:
                action = PathAction.ADDED
            elif previous[1] == index:
                # The same path twice in one layer tar: the later entry wins, no new event.
                self._live[meta.path] = (meta, index)
                events = self._events[meta.path]
                events[-1] = PathEvent(index, events[-1].action, meta)
                continue
            else:
                action = PathAction.MODIFIED
            self._live[meta.path] = (meta, index)
            self._events[meta.path].append(PathEvent(index, action, meta))
            self._link_parents(meta.path)

    def _link_parents(self, path: str) -> None:
        child = path
        while child != "/":
            parent = _parent(child)
            siblings = self._children[parent]
            if child in siblings:
                break
            siblings.add(child)
            child = parent

    def _delete_tree(
        self, root: str, index: int, lower_live: set[str], *, include_root: bool
    ) -> None:
        stack = [root] if include_root else list(self._children.get(root, ()))
        while stack:
            path = stack.pop()
            stack.extend(self._children.get(path, ()))
            if path in lower_live and path in self._live and self._live[path][1] != index:
                del self._live[path]
                self._events[path].append(PathEvent(index, PathAction.DELETED, None))
                self._children[_parent(path)].discard(path)

    # -- queries -------------------------------------------------------------------------

    def history(self, path: str) -> tuple[PathEvent, ...]:
        return tuple(self._events.get(path, ()))

    def removed_in(self, path: str, layer_index: int) -> LayerRef | None:
        """The first layer after ``layer_index`` that deleted or overwrote ``path``."""
        for event in self._events.get(path, ()):
            if event.layer_index > layer_index:
                return self.layers[self._position(event.layer_index)]
        return None

    def final(self, path: str) -> tuple[EntryMeta, LayerRef] | None:
        live = self._live.get(path)
        if live is None:
            return None
        return live[0], self.layers[self._position(live[1])]

    def exists(self, path: str) -> bool:
        return path in self._live

    def final_entries(self) -> Iterator[tuple[EntryMeta, LayerRef]]:
        for path in sorted(self._live):
            meta, index = self._live[path]
            yield meta, self.layers[self._position(index)]

    def layer(self, index: int) -> LayerRef:
        return self.layers[self._position(index)]

    def _position(self, layer_index: int) -> int:
        # Layer indexes are manifest positions; the view may hold a subset in the same order.
        if layer_index < len(self.layers) and self.layers[layer_index].index == layer_index:
            return layer_index
        for position, ref in enumerate(self.layers):
            if ref.index == layer_index:
                return position
        raise KeyError(layer_index)
