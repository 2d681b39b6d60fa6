"""Dockerfile parser following BuildKit's (``frontend/dockerfile/parser/parser.go``) and the
Dockerfile reference.

* Parser directives (``# syntax=``, ``# escape=``, ``# check=``) only at the very top: the first
  line that is not a directive (a comment, a blank line, an instruction, an unknown directive)
  ends them. ``escape`` is ``\\`` or a backtick (Windows).
* A line ending in the escape character continues on the next one; comment lines and blank
  lines inside a continuation are skipped (they do not end the instruction).
* ``RUN``, ``COPY``, ``ADD`` (also behind ``ONBUILD``) take here-documents: every word
  ``<<[-]WORD`` of the line opens one, read up to a line equal to ``WORD``.
* Exec form is a JSON array of strings; anything else is the shell form.
* Stages start at ``FROM``; global ``ARG`` defaults (before the first ``FROM``) are substituted
  in ``FROM``; ``--from``/``FROM <stage>`` refer to earlier stages by name or index.

Every instruction keeps its first and last physical line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from gate.sources.dockerfile.model import (
    Dockerfile,
    DockerfileError,
    Flag,
    Heredoc,
    Instruction,
    Stage,
)
from gate.sources.dockerfile.words import (
    builder_flags,
    expand,
    parse_words,
    shell_words,
    unquote,
)

MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024
"""A Dockerfile larger than this is refused (BuildKit's default limit is far smaller)."""

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_BOM = "\ufeff"
KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
_JSON_FORM = frozenset({"ADD", "CMD", "COPY", "ENTRYPOINT", "RUN", "SHELL", "VOLUME"})


def parse_dockerfile(path: Path, display: str | None = None) -> Dockerfile:
    """Read and parse ``path``; :class:`DockerfileError` naming the file for any problem."""
    shown = display or str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_DOCKERFILE_BYTES + 1)
    except OSError as exc:
        raise DockerfileError(f"cannot read Dockerfile {shown}: {exc.strerror or exc}") from None
    if len(raw) > MAX_DOCKERFILE_BYTES:
        raise DockerfileError(f"Dockerfile {shown} is larger than {MAX_DOCKERFILE_BYTES} bytes")
    if b"\x00" in raw:
        raise DockerfileError(f"Dockerfile {shown} is a binary file (NUL byte)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DockerfileError(f"Dockerfile {shown} is not UTF-8 text (byte {exc.start})") from None
    return parse_text(text, shown)


def parse_text(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile source text. ``path`` only names the file in messages."""
    lines = text.removeprefix(_BOM).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    directives, escape = _directives(lines, path)
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    instructions: list[Instruction] = []
    i, n = 0, len(lines)
    while i < n:
        first = lines[i].lstrip()
        start = i + 1
        i += 1
        if not first or first.startswith("#"):
            continue
        pieces: list[tuple[str, int]] = []
        piece, ended = _trim_continuation(first, continuation)
        pieces.append((piece, start))
        end = start
        while not ended and i < n:
            raw = lines[i]
            i += 1
            end = i
            stripped = raw.lstrip()
            if stripped.startswith("#") or not stripped:
                continue
            piece, ended = _trim_continuation(raw, continuation)
            pieces.append((piece, i))
        instruction, i, end = _instruction(pieces, end, lines, i, path, escape)
        instructions.append(instruction)
    return _build(path, escape, directives, instructions)


def _directives(lines: Sequence[str], path: str) -> tuple[dict[str, str], str]:
    found: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        m = _DIRECTIVE.match(line.lstrip())
        if not m or m.group(1).lower() not in _KNOWN_DIRECTIVES:
            break
        name = m.group(1).lower()
        if name in found:
            raise DockerfileError(
                f"{path}:{number}: only one {name} parser directive can be used"
            )
        found[name] = m.group(2)
    escape = found.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError(
            f"{path}:1: invalid escape parser directive {escape!r} (must be \\ or `)"
        )
    return found, escape


def _trim_continuation(line: str, continuation: re.Pattern[str]) -> tuple[str, bool]:
    m = continuation.search(line)
    if m:
        return line[: m.start()], False
    return line, True


def _instruction(
    pieces: list[tuple[str, int]],
    end: int,
    lines: Sequence[str],
    i: int,
    path: str,
    escape: str,
) -> tuple[Instruction, int, int]:
    """Build one instruction from its joined physical pieces; read its heredocs."""
    start = pieces[0][1]
    logical = ""
    offsets: list[tuple[int, int]] = []
    for piece, number in pieces:
        offsets.append((len(logical), number))
        logical += piece
    node = _node(logical, offsets, start, end, path, escape)
    carrier = node.trigger if node.keyword == "ONBUILD" and node.trigger else node
    heredocs: list[Heredoc] = []
    if carrier.keyword in _HEREDOC_KEYWORDS and "<<" in logical:
        for name, chomp, quoted in _heredoc_words(logical):
            body: list[str] = []
            first_body = i + 1
            terminated = False
            while i < len(lines):
                raw = lines[i]
                i += 1
                candidate = raw.lstrip("\t") if chomp else raw
                if candidate == name:
                    terminated = True
                    break
                body.append(raw + "\n")
            if not terminated:
                raise DockerfileError(
                    f"{path}:{start}: unterminated heredoc <<{name} (no line {name!r} follows)"
                )
            end = i
            heredocs.append(
                Heredoc(
                    name=name,
                    content="".join(body),
                    start_line=first_body,
                    end_line=i,
                    expand=not quoted,
                    chomp=chomp,
                )
            )
    if heredocs:
        if node is carrier:
            node = _with(node, heredocs=tuple(heredocs), end_line=end)
        else:
            assert node.trigger is not None
            trigger = _with(node.trigger, heredocs=tuple(heredocs), end_line=end)
            node = _with(node, trigger=trigger, end_line=end)
    return node, i, end


def _with(node: Instruction, **changes: object) -> Instruction:
    from dataclasses import replace

    return replace(node, **changes)  # type: ignore[arg-type]


def _heredoc_words(line: str) -> list[tuple[str, bool, bool]]:
    """(delimiter, chomp, quoted) for every ``<<WORD`` word of the line (``heredocsFromLine``)."""
    found = []
    for word in shell_words(line):
        m = _HEREDOC.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        quoted = any(q in rest for q in "'\"")
        name = rest.replace("'", "").replace('"', "")
        if not name or any(c.isspace() for c in name):
            continue
        found.append((name, m.group(2) == "-", quoted))
    return found


def _node(
    logical: str,
    offsets: list[tuple[int, int]],
    start: int,
    end: int,
    path: str,
    escape: str,
) -> Instruction:
    stripped = logical.lstrip()
    lead = len(logical) - len(stripped)
    stripped = stripped.rstrip()
    parts = re.split(r"\s+", stripped, maxsplit=1)
    keyword = parts[0].upper()
    if keyword not in KEYWORDS:
        raise DockerfileError(f"{path}:{start}: unknown instruction: {parts[0]}")
    rest = parts[1] if len(parts) > 1 else ""
    rest_at = lead + (stripped.index(rest, len(parts[0])) if rest else len(stripped))
    flag_words, flags_end = builder_flags(rest)
    args = rest[flags_end:]
    args_at = rest_at + flags_end
    flags = tuple(_flag(w) for w in flag_words)
    line_starts = tuple((max(0, o - args_at), line) for o, line in offsets)
    trigger = None
    exec_form = None
    if keyword == "ONBUILD":
        if not args.strip():
            raise DockerfileError(f"{path}:{start}: ONBUILD needs an instruction")
        sub_keyword = args.split(None, 1)[0].upper()
        if sub_keyword in ("ONBUILD", "FROM", "MAINTAINER"):
            raise DockerfileError(f"{path}:{start}: {sub_keyword} is not allowed in ONBUILD")
        shifted = [(max(0, o - args_at), line) for o, line in offsets]
        trigger = _node(args, shifted, start, end, path, escape)
    elif keyword in _JSON_FORM:
        exec_form = _json_array(args)
    elif keyword == "HEALTHCHECK":
        head, _, tail = args.strip().partition(" ")
        if head.upper() == "CMD":
            exec_form = _json_array(tail)
    if keyword in ("ENV", "LABEL") and args.strip():
        _check_name_values(keyword, args, path, start, escape)
    return Instruction(
        keyword=keyword,
        args=args.strip(),
        start_line=start,
        end_line=end,
        flags=flags,
        exec_form=exec_form,
        trigger=trigger,
        line_starts=_shift_for_strip(line_starts, args),
    )


def _shift_for_strip(
    line_starts: tuple[tuple[int, int], ...], args: str
) -> tuple[tuple[int, int], ...]:
    lead = len(args) - len(args.lstrip())
    return tuple((max(0, o - lead), line) for o, line in line_starts)


def _flag(word: str) -> Flag:
    body = word[2:] if word.startswith("--") else word
    name, eq, value = body.partition("=")
    return Flag(name=name.lower(), value=value if eq else None)


def _json_array(args: str) -> tuple[str, ...] | None:
    text = args.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(value)


def _check_name_values(keyword: str, args: str, path: str, line: int, escape: str) -> None:
    words = parse_words(args, escape)
    if words and "=" not in words[0]:
        if len(re.split(r"\s+", args.strip(), maxsplit=1)) < 2:
            raise DockerfileError(f"{path}:{line}: {keyword} must have two arguments")
        return
    for word in words:
        if "=" not in word:
            raise DockerfileError(
                f"{path}:{line}: {keyword} syntax error: can't find = in {word!r} "
                "(must be of the form name=value)"
            )


def name_values(instruction: Instruction, escape: str = "\\") -> list[tuple[str, str, str]]:
    """``ENV``/``LABEL``/``ARG`` pairs as (name, raw value as written, value unquoted).

    ``ENV NAME value`` (the legacy form) is one pair; ``ARG NAME`` has value ``""``."""
    args = instruction.args
    words = parse_words(args, escape)
    if not words:
        return []
    if instruction.keyword in ("ENV", "LABEL") and "=" not in words[0]:
        name, _, value = args.strip().partition(" ")
        value = value.strip()
        return [(name, value, unquote(value, escape))]
    pairs = []
    for word in words:
        name, _eq, value = word.partition("=")
        pairs.append((unquote(name, escape), value, unquote(value, escape)))
    return pairs


def _build(
    path: str, escape: str, directives: Mapping[str, str], instructions: list[Instruction]
) -> Dockerfile:
    global_args: list[Instruction] = []
    meta: dict[str, str | None] = {}
    stages: list[Stage] = []
    current: list[Instruction] = []
    pending: tuple[int, str | None, str, str | None, str | None, Instruction, int | None] | None
    pending = None
    names: dict[str, int] = {}

    def close() -> None:
        if pending is None:
            return
        index, name, base, resolved, platform, from_instruction, base_stage = pending
        stages.append(
            Stage(
                index=index,
                name=name,
                base=base,
                base_resolved=resolved,
                platform=platform,
                from_instruction=from_instruction,
                instructions=tuple(current),
                base_stage=base_stage,
            )
        )

    for instruction in instructions:
        if instruction.keyword == "FROM":
            close()
            current = []
            words = instruction.args.split()
            if not words:
                raise DockerfileError(f"{path}:{instruction.start_line}: FROM needs an image")
            name = None
            if len(words) >= 3 and words[1].lower() == "as":
                name = words[2].lower()
            elif len(words) != 1:
                raise DockerfileError(
                    f"{path}:{instruction.start_line}: FROM must be 'FROM [--platform=...] "
                    "image [AS name]'"
                )
            base = words[0]
            resolved = expand(base, meta, escape)
            platform = instruction.flag("platform")
            base_stage = names.get(resolved.lower()) if resolved else None
            pending = (len(stages), name, base, resolved, platform, instruction, base_stage)
            if name is not None:
                names[name] = len(stages)
        elif not stages and pending is None:
            if instruction.keyword != "ARG":
                raise DockerfileError(
                    f"{path}:{instruction.start_line}: {instruction.keyword} before the first "
                    "FROM (only ARG may come before FROM)"
                )
            global_args.append(instruction)
            for word in parse_words(instruction.args, escape):
                name, eq, value = word.partition("=")
                meta[unquote(name, escape)] = expand(value, meta, escape) if eq else None
        else:
            current.append(instruction)
    close()
    return Dockerfile(
        path=path,
        escape=escape,
        directives=dict(directives),
        instructions=tuple(instructions),
        global_args=tuple(global_args),
        stages=tuple(stages),
        meta_args=meta,
    )
