"""Just enough of the POSIX shell grammar (IEEE Std 1003.1, "Shell Command Language") to see
which simple commands a ``RUN`` line runs and how they are piped.

A script is split into pipelines (separated by ``;``, ``&``, ``&&``, ``||``, newlines and
grouping tokens) of simple commands (separated by ``|``). Words are unquoted; redirections are
kept apart; ``$(...)``, backquotes and ``<(...)`` are parsed as nested scripts, so
``sh -c "$(curl ...)"`` and ``bash <(curl ...)`` are seen. Reserved words (``if``, ``then``,
``do`` ...) and variable assignments in front of a command are skipped. This is an analysis
aid, not an interpreter: nothing is expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_RESERVED = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
     "in", "!", "{", "}", "function", "time", "select"}
)  # fmt: skip
_OPERATORS = ("&&", "||", ";;", "|&", ";", "&", "|", "(", ")")
_PLAIN = re.compile(r"[^\s;&|()<>\\'\"$`]+")
_BLANKS = re.compile(r"[ \t\r]+")


@dataclass
class SimpleCommand:
    argv: list[str] = field(default_factory=list)
    """Words, unquoted, assignments and reserved words in front removed."""
    offset: int = 0
    """Offset of the first word in the script text."""
    redirects: list[str] = field(default_factory=list)
    """Redirection targets as written (``>/dev/null`` -> ``/dev/null``)."""
    nested: list[Script] = field(default_factory=list)
    """Command substitutions inside the words."""
    raw: list[str] = field(default_factory=list)
    """The words as written (quotes kept), same order as ``argv`` before removals."""

    @property
    def name(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""


@dataclass
class Pipeline:
    commands: list[SimpleCommand] = field(default_factory=list)


@dataclass
class Script:
    text: str
    pipelines: list[Pipeline] = field(default_factory=list)

    def commands(self) -> Iterator[SimpleCommand]:
        """Every simple command, nested substitutions included, in order."""
        for pipeline in self.pipelines:
            for command in pipeline.commands:
                yield command
                for nested in command.nested:
                    yield from nested.commands()

    def all_pipelines(self) -> Iterator[Pipeline]:
        for pipeline in self.pipelines:
            yield pipeline
            for command in pipeline.commands:
                for nested in command.nested:
                    yield from nested.all_pipelines()


def parse_script(text: str, base: int = 0) -> Script:
    """Parse ``text``; offsets are ``base`` + position in ``text``."""
    script = Script(text=text)
    pipeline = Pipeline()
    command = SimpleCommand(offset=base)
    pending_redirect = False
    for kind, value, start, raw in _tokens(text):
        if kind == "op":
            if pending_redirect:
                pending_redirect = False
            _finish(command, pipeline)
            if value in ("|", "|&"):
                command = SimpleCommand(offset=base + start)
                continue
            if pipeline.commands:
                script.pipelines.append(pipeline)
            pipeline = Pipeline()
            command = SimpleCommand(offset=base + start)
            continue
        if kind == "redirect":
            if value:
                command.redirects.append(value)
            else:
                pending_redirect = True
            continue
        if kind == "subst":
            command.nested.append(parse_script(value, base + start))
            continue
        word, nested = value, raw
        if pending_redirect:
            command.redirects.append(word)
            pending_redirect = False
            continue
        if not command.argv and (word in _RESERVED or _is_assignment(word)):
            continue
        if not command.argv:
            command.offset = base + start
        command.argv.append(word)
        command.raw.append(nested)
    _finish(command, pipeline)
    if pipeline.commands:
        script.pipelines.append(pipeline)
    return script


def _finish(command: SimpleCommand, pipeline: Pipeline) -> None:
    if command.argv or command.nested:
        pipeline.commands.append(command)


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and bool(name) and (name[0].isalpha() or name[0] == "_") and all(
        c.isalnum() or c == "_" for c in name
    )


def _tokens(text: str) -> Iterator[tuple[str, str, int, str]]:
    """(kind, value, start, raw): kind is word, op, redirect or subst."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r":
            i = _BLANKS.match(text, i).end()  # type: ignore[union-attr]
            continue
        if ch == "\\" and i + 1 < n and text[i + 1] == "\n":
            i += 2
            continue
        if ch == "\n":
            yield "op", ";", i, ch
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if ch in "<>" or (ch.isdigit() and _redirect_after_digits(text, i)):
            j = i
            while j < n and text[j].isdigit():
                j += 1
            if text.startswith("<(", j):
                end = _matching(text, j + 2, "(", ")")
                yield "subst", text[j + 2 : end], j + 2, ""
                i = end + 1
                continue
            while j < n and text[j] in "<>&|-":
                j += 1
            if text.startswith("<<", i) or text[i:j].endswith("<<"):
                # A here-document inside the script (body follows on later lines): keep the
                # delimiter word as the redirect target.
                pass
            rest = j
            while rest < n and text[rest] in " \t":
                rest += 1
            target, end, _nested = _word(text, rest) if rest < n and text[rest] not in "\n;&|" \
                else ("", rest, [])
            yield "redirect", target, i, text[i:end]
            i = end
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            yield "op", op, i, op
            i += len(op)
            continue
        word, end, nested = _word(text, i)
        for start, body in nested:
            yield "subst", body, start, ""
        yield "word", word, i, text[i:end]
        i = end


def _redirect_after_digits(text: str, i: int) -> bool:
    j = i
    while j < len(text) and text[j].isdigit():
        j += 1
    return j < len(text) and text[j] in "<>" and (i == 0 or text[i - 1] in " \t;|&(")


def _matching(text: str, start: int, open_: str, close: str) -> int:
    depth, i, n = 1, start, len(text)
    quote = ""
    while i < n:
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                i += 1
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 1
        elif ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def _word(text: str, i: int) -> tuple[str, int, list[tuple[int, str]]]:
    """One word from ``i``: (unquoted value, end, command substitutions (start, body))."""
    out: list[str] = []
    nested: list[tuple[int, str]] = []
    n = len(text)
    while i < n:
        plain = _PLAIN.match(text, i)
        if plain:
            out.append(plain.group(0))
            i = plain.end()
            continue
        ch = text[i]
        if ch in " \t\r\n;&|()<>":
            if ch in "()" and out and out[-1].endswith("$"):
                pass
            else:
                break
        if ch == "\\":
            if i + 1 < n and text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        if ch == "'":
            end = text.find("'", i + 1)
            end = n if end < 0 else end
            out.append(text[i + 1 : end])
            i = end + 1
            continue
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    if text[j + 1] in '"\\$`':
                        out.append(text[j + 1])
                    else:
                        out.append(text[j : j + 2])
                    j += 2
                    continue
                if text.startswith("$(", j):
                    end = _matching(text, j + 2, "(", ")")
                    nested.append((j + 2, text[j + 2 : end]))
                    out.append(text[j : end + 1])
                    j = end + 1
                    continue
                if text[j] == "`":
                    end = text.find("`", j + 1)
                    end = n if end < 0 else end
                    nested.append((j + 1, text[j + 1 : end]))
                    j = end + 1
                    continue
                out.append(text[j])
                j += 1
            i = j + 1
            continue
        if text.startswith("$(", i):
            end = _matching(text, i + 2, "(", ")")
            nested.append((i + 2, text[i + 2 : end]))
            out.append(text[i : end + 1])
            i = end + 1
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            end = n if end < 0 else end
            nested.append((i + 1, text[i + 1 : end]))
            i = end + 1
            continue
        if text.startswith("${", i):
            end = _matching(text, i + 2, "{", "}")
            out.append(text[i : end + 1])
            i = end + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out), i, nested
