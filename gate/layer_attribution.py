"""Which Dockerfile instruction made each image layer.

The image config's ``history`` has one entry per build step; entries without ``empty_layer``
correspond, in order, to the layers (OCI image-spec ``config.md``, "history"). Each entry's
``created_by`` is parsed in the formats builders write:

* BuildKit: ``RUN /bin/sh -c apt-get update # buildkit``, ``RUN |2 A=1 B=2 /bin/sh -c ...``,
  ``COPY src dest # buildkit``, ``ENV A=b``, ``WORKDIR /app``, ``EXPOSE map[80/tcp:{}]``;
* the classic builder and buildah: ``/bin/sh -c apt-get update`` (a RUN), ``|1 A=b /bin/sh -c
  ...``, ``/bin/sh -c #(nop) COPY file:<hash> in /app``, ``/bin/sh -c #(nop)  CMD ["sh"]``.

The steps are aligned with the instructions of the stages the image was built from (target
stage and the stages it is ``FROM``), in order, by dynamic programming: same instruction
keyword required, exact text scores highest, the same destination (COPY/ADD) or similar
command (RUN) next, keyword alone last; ties go to the latest history entry, because the
image's own steps come after the base image's. Layers before the first aligned step are the
base image's and are attributed to the ``FROM`` line (the base image is what put them there).

Without a Dockerfile, the base/own boundary is (in this order): the layers an explicitly given
base image shares (``rootfs.diff_ids`` prefix), else the last ``CMD``/``ENTRYPOINT`` history entry
that precedes a layer (base images end with one: ``CMD ["bash"]``), else none: every layer is
counted as the image's own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gate.models import CheckResult, Location, LocationKind
from gate.sources.dockerfile import Dockerfile, Instruction
from gate.sources.image.model import HistoryEntry, Image, ImageConfig

_BUILD_ARGS = re.compile(r"^\|(\d+)\s+")
_SHELL_PREFIX = re.compile(
    r"^(?:/bin/sh|/bin/bash|/usr/bin/env\s+sh|sh|bash|cmd\s+/S\s+/C|powershell(?:\.exe)?\s+"
    r"-Command|pwsh\s+-Command)\s+(?:-[a-z]*c\s+)?", re.IGNORECASE
)
_NOP = re.compile(r"#\(nop\)\s*")
_KEYWORDS = frozenset(
    {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL",
     "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)  # fmt: skip
_CLASSIC_COPY = re.compile(r"^(?:file|dir|multi):[0-9a-f]+\s+in\s+(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Step:
    """One history entry, parsed."""

    index: int
    """Position in ``history``."""
    keyword: str | None
    text: str
    layer: int | None
    """Index of its layer, None for an empty-layer entry."""


_CONTENT = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class LayerAttribution:
    by_layer: dict[int, tuple[Instruction, ...]] = field(default_factory=dict)
    """Layer index -> the instruction(s) that made it: one, or several when the builder
    squashed steps into one layer (``buildah bud`` without ``--layers``: every step but the
    last is an empty-layer entry)."""
    base_layers: int | None = None
    """How many leading layers belong to the base image; None when unknown."""
    from_instruction: Instruction | None = None
    """The ``FROM`` of the root stage: where base image layers are attributed."""
    rule: str = ""
    """How the base/own boundary was decided (shown in reports)."""
    aligned: int = 0
    steps: int = 0


def parse_step(index: int, entry: HistoryEntry, layer: int | None) -> Step:
    text = entry.created_by.strip()
    if text.endswith("# buildkit"):
        text = text[: -len("# buildkit")].strip()
    keyword: str | None = None
    head, _, rest = text.partition(" ")
    if head in _KEYWORDS:
        keyword, text = head, rest.strip()
    text = _strip_build_args(text)
    nop = _NOP.search(text)
    if nop:
        body = text[nop.end() :].strip()
        head, _, rest = body.partition(" ")
        return Step(index, head.upper() if head.upper() in _KEYWORDS else None, rest.strip(),
                    layer)
    if keyword in (None, "RUN"):
        shell = _SHELL_PREFIX.match(text)
        if shell:
            return Step(index, "RUN", text[shell.end() :].strip(), layer)
    return Step(index, keyword, text, layer)


def _strip_build_args(text: str) -> str:
    m = _BUILD_ARGS.match(text)
    if not m:
        return text
    rest = text[m.end() :]
    for _ in range(int(m.group(1))):
        _token, _sep, rest = rest.partition(" ")
    return rest.strip()


def steps(config: ImageConfig, layer_count: int) -> list[Step] | None:
    """History entries with their layers; None when history and layers disagree in number."""
    entries = config.history
    with_layers = [e for e in entries if not e.empty_layer]
    if not entries or len(with_layers) != layer_count:
        return None
    out: list[Step] = []
    layer = 0
    for index, entry in enumerate(entries):
        if entry.empty_layer:
            out.append(parse_step(index, entry, None))
        else:
            out.append(parse_step(index, entry, layer))
            layer += 1
    return out


def _words(text: str) -> list[str]:
    return text.split()


def _score(step: Step, instruction: Instruction) -> int:
    if step.keyword != instruction.keyword:
        return 0
    mine = " ".join(_instruction_text(instruction).split())
    theirs = " ".join(step.text.split())
    if mine == theirs or (mine and theirs.endswith(mine)):
        return 3
    if instruction.keyword in ("COPY", "ADD"):
        dest = _dest(instruction)
        classic = _CLASSIC_COPY.match(theirs)
        theirs_dest = classic.group(1) if classic else (theirs.split()[-1] if theirs else "")
        if dest and theirs_dest.rstrip("/") == dest.rstrip("/"):
            return 2
        return 1
    if instruction.keyword == "RUN" and mine and theirs:
        a, b = set(_words(mine)), set(_words(theirs))
        if len(a & b) / max(1, len(a | b)) >= 0.6:
            return 2
    return 1


def _instruction_text(instruction: Instruction) -> str:
    if instruction.keyword == "RUN" and instruction.exec_form is not None:
        return " ".join(instruction.exec_form)
    if instruction.keyword in ("COPY", "ADD"):
        words = list(instruction.exec_form) if instruction.exec_form else instruction.args.split()
        return " ".join(words)
    return instruction.args


def _dest(instruction: Instruction) -> str:
    words = list(instruction.exec_form) if instruction.exec_form else instruction.args.split()
    return words[-1] if words else ""


def align(history: Sequence[Step], instructions: Sequence[Instruction]) -> dict[int, int]:
    """history position -> instruction position, order preserved, score maximised, ties to
    the latest history entries."""
    m, n = len(history), len(instructions)
    # best[i][j]: best score aligning history[i:] with instructions[j:].
    best = [[0] * (n + 1) for _ in range(m + 1)]
    for i in range(m - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(n - 1, -1, -1):
            s = _score(history[i], instructions[j])
            take = s + below[j + 1] if s else -1
            row[j] = max(take, below[j], row[j + 1])
    pairs: dict[int, int] = {}
    i = j = 0
    while i < m and j < n:
        s = _score(history[i], instructions[j])
        if best[i][j] == best[i + 1][j]:
            i += 1  # skipping this history entry loses nothing: prefer a later one
        elif s and best[i][j] == s + best[i + 1][j + 1]:
            pairs[i] = j
            i += 1
            j += 1
        else:
            j += 1
    return pairs


def attribute_layers(
    config: ImageConfig,
    layer_count: int,
    dockerfile: Dockerfile | None,
    target: str | None = None,
    base_diff_ids: Sequence[str] | None = None,
) -> LayerAttribution:
    parsed = steps(config, layer_count)
    explicit = _shared_prefix(config.diff_ids, base_diff_ids) if base_diff_ids else None
    if dockerfile is None or not dockerfile.stages:
        if explicit is not None:
            return LayerAttribution(base_layers=explicit, rule="layers shared with --base-image")
        return _history_boundary(parsed, layer_count)
    chain = dockerfile.final_chain(target)
    instructions = [i for stage in chain for i in stage.instructions]
    from_instruction = chain[0].from_instruction
    if parsed is None:
        return LayerAttribution(
            base_layers=explicit,
            from_instruction=from_instruction,
            rule="image history does not match its layers: layers not attributed",
        )
    pairs = align(parsed, instructions)
    strong = {i: j for i, j in pairs.items() if _score(parsed[i], instructions[j]) >= 2}
    if not strong:
        return LayerAttribution(
            base_layers=explicit,
            from_instruction=from_instruction,
            rule="no image history entry matches the Dockerfile: layers not attributed",
            steps=len(parsed),
        )
    by_layer: dict[int, tuple[Instruction, ...]] = {}
    previous = -1
    for i in sorted(pairs):
        j = pairs[i]
        layer = parsed[i].layer
        if layer is None:
            continue
        # The layer holds what every content step since the previous layer wrote.
        made = [x for x in instructions[previous + 1 : j + 1] if x.keyword in _CONTENT]
        by_layer[layer] = tuple(made) or (instructions[j],)
        previous = j
    first = min(pairs)
    base = sum(1 for step in parsed[:first] if step.layer is not None)
    rule = "layers before the first history entry of the Dockerfile's final stage"
    if explicit is not None:
        base, rule = explicit, "layers shared with --base-image"
    return LayerAttribution(
        by_layer=by_layer,
        base_layers=base,
        from_instruction=from_instruction,
        rule=rule,
        aligned=len(pairs),
        steps=len(parsed),
    )


def _shared_prefix(mine: Sequence[str], base: Sequence[str] | None) -> int | None:
    if not base:
        return None
    count = 0
    for a, b in zip(mine, base, strict=False):
        if a != b:
            break
        count += 1
    return count


def _history_boundary(parsed: Sequence[Step] | None, layer_count: int) -> LayerAttribution:
    if parsed is None:
        return LayerAttribution(
            base_layers=0, rule="no usable image history: every layer counted as the image's own"
        )
    boundary = None
    for position, step in enumerate(parsed):
        if step.keyword in ("CMD", "ENTRYPOINT") and any(
            s.layer is not None for s in parsed[position + 1 :]
        ):
            boundary = position
    if boundary is None:
        return LayerAttribution(
            base_layers=0,
            rule="no base image boundary in the history: every layer counted as the image's own",
            steps=len(parsed),
        )
    base = sum(1 for step in parsed[:boundary] if step.layer is not None)
    return LayerAttribution(
        base_layers=base,
        rule="layers up to the last CMD/ENTRYPOINT of the base image in the history",
        steps=len(parsed),
    )


def attribute_findings(
    results: Sequence[CheckResult],
    image: Image,
    dockerfile_path: Path,
    repo_path: str,
    target: str | None,
    base_diff_ids: Sequence[str] | None = None,
) -> list[CheckResult]:
    """``results`` with ``Location.attributed_to`` set on every finding that has a layer:
    the instruction that made the layer, or the ``FROM`` line for a base image layer."""
    from gate.sources.dockerfile.cache import load_dockerfile

    dockerfile = load_dockerfile(dockerfile_path, repo_path)
    attribution = attribute_layers(
        image.config, len(image.layers), dockerfile, target, base_diff_ids
    )

    def located(made: Sequence[Instruction]) -> Location:
        return Location(
            kind=LocationKind.DOCKERFILE,
            path=repo_path,
            start_line=made[0].start_line,
            end_line=made[-1].end_line,
        )

    def attributed(location: Location) -> Location:
        if location.layer is None or location.attributed_to is not None:
            return location
        made = attribution.by_layer.get(location.layer.index)
        if made is None and attribution.base_layers is not None and \
                location.layer.index < attribution.base_layers and attribution.from_instruction:
            made = (attribution.from_instruction,)
        if not made:
            return location
        return replace(location, attributed_to=located(made))

    out = []
    for result in results:
        findings = tuple(
            replace(f, location=attributed(f.location)) if f.location.layer else f
            for f in result.findings
        )
        out.append(replace(result, findings=findings))
    return out
