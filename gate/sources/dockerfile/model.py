"""The parsed Dockerfile: instructions with their line ranges, grouped into build stages.

Frozen data handed from the source stage to the configuration analyzer and to layer
attribution. Line numbers are 1-based and cover continuation lines and heredoc bodies, so a
finding can point at exactly the lines a developer edits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gate.errors import InputError


class DockerfileError(InputError):
    """A Dockerfile cannot be read or parsed; the message names the file and the line."""


@dataclass(frozen=True)
class Flag:
    """A builder flag of an instruction: ``--mount=type=secret,id=npm`` -> (mount, ...)."""

    name: str
    value: str | None
    """None for a bare flag (``--link``)."""


@dataclass(frozen=True)
class Heredoc:
    """A here-document of ``RUN``/``COPY``/``ADD`` (Dockerfile reference, "Here-Documents")."""

    name: str
    """The delimiter word (``EOF``), quotes removed."""
    content: str
    """The body as written, each line ending in a newline (BuildKit's parser keeps the tabs
    that ``<<-`` strips at build time: see :attr:`body`)."""
    start_line: int
    """First body line."""
    end_line: int
    """The line of the closing delimiter."""
    expand: bool = True
    """False when the delimiter was quoted: no variable expansion in the body."""
    chomp: bool = False
    """``<<-``: leading tabs are stripped."""

    @property
    def body(self) -> str:
        """What the builder uses: the content, leading tabs stripped for ``<<-``."""
        if not self.chomp:
            return self.content
        return "".join(line.lstrip("\t") for line in self.content.splitlines(keepends=True))


@dataclass(frozen=True)
class Instruction:
    """One instruction (one logical line, continuations joined, plus its heredocs)."""

    keyword: str
    """Upper case: ``RUN``, ``FROM``, ``COPY``..."""
    args: str
    """The text after the keyword and its flags, continuation lines joined."""
    start_line: int
    end_line: int
    flags: tuple[Flag, ...] = ()
    exec_form: tuple[str, ...] | None = None
    """The JSON array of the exec form (``CMD ["a", "b"]``, ``HEALTHCHECK CMD [...]``), None
    for the shell form."""
    heredocs: tuple[Heredoc, ...] = ()
    trigger: Instruction | None = None
    """The instruction an ``ONBUILD`` registers."""
    line_starts: tuple[tuple[int, int], ...] = ()
    """(offset in ``args``, physical line) where each joined physical line begins."""

    def flag(self, name: str) -> str | None:
        """Value of the last ``--name=value`` flag; "" for a bare ``--name``; None if absent."""
        found = None
        for flag in self.flags:
            if flag.name == name:
                found = flag.value if flag.value is not None else ""
        return found

    def flag_values(self, name: str) -> tuple[str, ...]:
        return tuple(f.value or "" for f in self.flags if f.name == name)

    def line_at(self, offset: int) -> int:
        """The physical line holding character ``offset`` of :attr:`args`."""
        line = self.start_line
        for start, physical in self.line_starts:
            if start > offset:
                break
            line = physical
        return line

    @property
    def text(self) -> str:
        """Keyword, flags and arguments on one line (for messages and fingerprints)."""
        parts = [self.keyword]
        parts += [
            f"--{f.name}" + (f"={f.value}" if f.value is not None else "") for f in self.flags
        ]
        if self.args:
            parts.append(self.args)
        return " ".join(parts)


@dataclass(frozen=True)
class Stage:
    """A build stage: a ``FROM`` and the instructions up to the next ``FROM``."""

    index: int
    name: str | None
    """``AS name``, lower case as BuildKit compares it."""
    base: str
    """The image as written (``python:${PY}-slim``)."""
    base_resolved: str | None
    """``base`` with the global ``ARG`` defaults substituted; None if a variable has no value."""
    platform: str | None
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]
    base_stage: int | None = None
    """Index of the earlier stage this one is built ``FROM``, if any."""

    @property
    def label(self) -> str:
        """The name used in reports and ``stages`` scopes: its name, else its index."""
        return self.name if self.name is not None else str(self.index)

    @property
    def external_base(self) -> bool:
        """Built from a real image (not an earlier stage, not ``scratch``)."""
        return self.base_stage is None and (self.base_resolved or self.base).lower() != "scratch"


@dataclass(frozen=True)
class Dockerfile:
    path: str
    """As given (for messages)."""
    escape: str = "\\"
    directives: Mapping[str, str] = field(default_factory=dict)
    """Parser directives (``syntax``, ``escape``, ``check``), lower-case keys."""
    instructions: tuple[Instruction, ...] = ()
    global_args: tuple[Instruction, ...] = ()
    """``ARG``s before the first ``FROM`` (usable in ``FROM`` lines)."""
    stages: tuple[Stage, ...] = ()
    meta_args: Mapping[str, str | None] = field(default_factory=dict)
    """Default values of the global ``ARG``s (None: declared without a default)."""

    def stage_named(self, name: str) -> Stage | None:
        wanted = name.lower()
        for stage in self.stages:
            if stage.name == wanted:
                return stage
        if name.isdigit() and int(name) < len(self.stages):
            return self.stages[int(name)]
        return None

    def target(self, name: str | None) -> Stage:
        """The stage an image is built from: ``--target``, else the last one."""
        if not self.stages:
            raise DockerfileError(f"{self.path}: no FROM instruction (no build stage)")
        if name is None:
            return self.stages[-1]
        stage = self.stage_named(name)
        if stage is None:
            names = ", ".join(s.label for s in self.stages)
            raise DockerfileError(f"{self.path}: --target {name}: no such stage (stages: {names})")
        return stage

    def final_chain(self, target: str | None = None) -> tuple[Stage, ...]:
        """The target stage and the stages it is built FROM, root first: their instructions
        are what the image holds."""
        stage = self.target(target)
        chain = [stage]
        seen = {stage.index}
        while chain[-1].base_stage is not None:
            parent = self.stages[chain[-1].base_stage]
            if parent.index in seen:
                break
            seen.add(parent.index)
            chain.append(parent)
        return tuple(reversed(chain))
