"""Reading a whole image the way the layer walk does, for assertions."""

from __future__ import annotations

from gate.sources.image.blob_stream import open_layer
from gate.sources.image.layer_tar import LayerLimits, iter_entries
from gate.sources.image.model import EntryMeta, Image


def read_all(
    image: Image, limits: LayerLimits | None = None
) -> list[list[tuple[EntryMeta, bytes]]]:
    """Every layer's entries with file contents, in order."""
    layers = []
    for layer in image.layers:
        entries = []
        with open_layer(image, layer) as stream:
            for entry in iter_entries(stream, what=f"layer {layer.ref.index}",
                                      limits=limits or LayerLimits()):
                entries.append((entry.meta, entry.read()))
        layers.append(entries)
    return layers


def paths(image: Image) -> list[list[str]]:
    return [[meta.path for meta, _ in layer] for layer in read_all(image)]
