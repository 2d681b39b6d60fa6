"""Layer attribution: history formats of BuildKit, the classic builder and buildah, aligned
with the Dockerfile; base image layers go to the FROM line."""

from __future__ import annotations

from gate.layer_attribution import attribute_layers, parse_step
from gate.sources.dockerfile import parse_text
from gate.sources.image.model import HistoryEntry, ImageConfig

DOCKERFILE = parse_text(
    "ARG V=3.20\nFROM alpine:${V} AS base\nRUN apk add --no-cache curl\n"
    "FROM base\nWORKDIR /app\nCOPY --chown=app . /app\nENV MODE=prod\n"
    "RUN --mount=type=cache,target=/root/.cache \\\n    pip install -r requirements.txt\n"
    "USER 1000\nCMD [\"python\", \"app.py\"]\n"
)


def config(entries: list[tuple[str, bool]]) -> ImageConfig:
    history = tuple(HistoryEntry(created_by=c, empty_layer=e) for c, e in entries)
    return ImageConfig(history=history, diff_ids=tuple(
        f"sha256:{i:064x}" for i, (_c, e) in enumerate(entries) if not e))


BASE = [
    ("/bin/sh -c #(nop) ADD file:9a4f77 in / ", False),
    ('/bin/sh -c #(nop)  CMD ["/bin/sh"]', True),
]


def lines(attribution: object, layers: int) -> list[tuple[int, int] | None]:
    from gate.layer_attribution import LayerAttribution

    assert isinstance(attribution, LayerAttribution)
    out: list[tuple[int, int] | None] = []
    for layer in range(layers):
        made = attribution.by_layer.get(layer)
        out.append((made[0].start_line, made[-1].end_line) if made else None)
    return out


def test_parse_history_formats() -> None:
    step = parse_step(0, HistoryEntry("RUN |2 A=1 B=two /bin/sh -c pip install x # buildkit"), 0)
    assert (step.keyword, step.text) == ("RUN", "pip install x")
    step = parse_step(0, HistoryEntry("|1 TOKEN=abc /bin/sh -c make"), 0)
    assert (step.keyword, step.text) == ("RUN", "make")
    step = parse_step(0, HistoryEntry("/bin/sh -c #(nop) COPY dir:0ab1 in /app "), 0)
    assert (step.keyword, step.text) == ("COPY", "dir:0ab1 in /app")
    step = parse_step(0, HistoryEntry("COPY . /app # buildkit"), 0)
    assert (step.keyword, step.text) == ("COPY", ". /app")
    step = parse_step(0, HistoryEntry('/bin/sh -c #(nop)  CMD ["bash"]', empty_layer=True), None)
    assert step.keyword == "CMD"


def test_buildkit_history() -> None:
    cfg = config([
        *BASE,
        ("RUN /bin/sh -c apk add --no-cache curl # buildkit", False),
        ("WORKDIR /app", False),
        ("COPY . /app # buildkit", False),
        ("ENV MODE=prod", True),
        ("RUN /bin/sh -c pip install -r requirements.txt # buildkit", False),
        ("USER 1000", True),
        ('CMD ["python", "app.py"]', True),
    ])
    attribution = attribute_layers(cfg, 5, DOCKERFILE)
    assert attribution.base_layers == 1
    assert lines(attribution, 5) == [None, (3, 3), (5, 5), (6, 6), (8, 9)]
    assert attribution.from_instruction is not None
    assert attribution.from_instruction.start_line == 2


def test_classic_builder_history_and_squashed_buildah_layers() -> None:
    classic = config([
        *BASE,
        ("/bin/sh -c apk add --no-cache curl", False),
        ("/bin/sh -c #(nop) WORKDIR /app", True),
        ("/bin/sh -c #(nop) COPY dir:77aa in /app ", False),
        ("/bin/sh -c #(nop) ENV MODE=prod", True),
        ("|0 /bin/sh -c pip install -r requirements.txt", False),
        ("/bin/sh -c #(nop) USER 1000", True),
    ])
    assert lines(attribute_layers(classic, 4, DOCKERFILE), 4) == [None, (3, 3), (6, 6), (8, 9)]
    squashed = config([
        *BASE,
        ("/bin/sh -c apk add --no-cache curl", True),
        ("/bin/sh -c #(nop) COPY dir:77aa in /app ", True),
        ("/bin/sh -c pip install -r requirements.txt", True),
        ("/bin/sh -c #(nop) USER 1000", False),
    ])
    attribution = attribute_layers(squashed, 2, DOCKERFILE)
    assert lines(attribution, 2) == [None, (3, 9)]  # one layer made by lines 3 to 9


def test_a_dockerfile_that_does_not_match_attributes_nothing() -> None:
    other = parse_text("FROM debian:12\nRUN make install\n")
    cfg = config([*BASE, ("RUN /bin/sh -c apk add --no-cache curl # buildkit", False)])
    attribution = attribute_layers(cfg, 2, other)
    assert attribution.by_layer == {} and "not attributed" in attribution.rule


def test_without_dockerfile_the_base_ends_at_its_cmd() -> None:
    cfg = config([*BASE, ("COPY app /app # buildkit", False)])
    assert attribute_layers(cfg, 2, None).base_layers == 1
    assert attribute_layers(config([("COPY a /a", False)]), 1, None).base_layers == 0
    base = ("sha256:" + "1" * 64,)
    explicit = attribute_layers(
        ImageConfig(diff_ids=(base[0], "sha256:" + "2" * 64)), 2, None, base_diff_ids=base)
    assert explicit.base_layers == 1 and "--base-image" in explicit.rule
