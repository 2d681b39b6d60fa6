"""Word splitting, quote removal and variable substitution as BuildKit's Dockerfile frontend
does them (``frontend/dockerfile/parser/line_parsers.go`` and ``frontend/dockerfile/shell``).

The parser keeps words as written (quotes and escapes in place); values are unquoted and
expanded only where an instruction's meaning needs it (``FROM`` with global ``ARG``s, ``ENV``
and ``ARG`` values).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def builder_flags(text: str) -> tuple[list[str], int]:
    """Leading ``--flag[=value]`` words (quotes honoured) and the offset where the rest starts.

    A lone ``--`` ends the flags. Port of ``extractBuilderFlags``."""
    words: list[str] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return words, n
        if not text.startswith("--", pos) or pos + 1 >= n:
            return words, pos
        word, quote, in_quote, blank_ok = "", "", False, False
        while pos < n:
            ch = text[pos]
            if in_quote:
                if ch == quote:
                    in_quote = False
                elif ch == "\\" and pos + 1 < n:
                    pos += 1
                    word += text[pos]
                elif ch != "\\":
                    word += ch
                pos += 1
                continue
            if ch.isspace():
                break
            if ch in "'\"":
                quote, in_quote, blank_ok = ch, True, True
            elif ch == "\\":
                if pos + 1 < n:
                    pos += 1
                    word += text[pos]
            else:
                word += ch
            pos += 1
        if word == "--":
            return words, pos
        if blank_ok or word:
            words.append(word)


def parse_words(text: str, escape: str = "\\") -> list[str]:
    """Whitespace-separated words, quotes and escapes kept (``parseWords``: ENV, LABEL, ARG)."""
    words: list[str] = []
    word, quote, in_word, in_quote, blank_ok = "", "", False, False, False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if not in_word and not in_quote:
            if ch.isspace():
                i += 1
                continue
            in_word = True
        if in_quote:
            if ch == quote:
                in_quote = False
            elif ch == escape and quote != "'":
                if i + 1 >= n:
                    i += 1
                    continue
                word += ch
                i += 1
                ch = text[i]
            word += ch
            i += 1
            continue
        if ch.isspace():
            if blank_ok or word:
                words.append(word)
            word, blank_ok, in_word = "", False, False
            i += 1
            continue
        if ch in "'\"":
            quote, in_quote, blank_ok = ch, True, True
        elif ch == escape:
            if i + 1 >= n:
                i += 1
                continue
            word += ch
            i += 1
            ch = text[i]
        word += ch
        i += 1
    if blank_ok or word:
        words.append(word)
    return words


def shell_words(text: str) -> list[str]:
    """POSIX-ish words with quotes kept raw (heredoc detection: ``ProcessWords`` with
    ``RawQuotes``/``RawEscapes``); backslash escapes the next character."""
    words: list[str] = []
    word, quote, started = "", "", False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            word += ch
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < n:
                i += 1
                word += text[i]
            i += 1
            continue
        if ch.isspace():
            if started:
                words.append(word)
            word, started = "", False
        elif ch in "'\"":
            quote, started = ch, True
            word += ch
        elif ch == "\\" and i + 1 < n:
            word += ch + text[i + 1]
            started = True
            i += 1
        else:
            word += ch
            started = True
        i += 1
    if started:
        words.append(word)
    return words


def unquote(word: str, escape: str = "\\") -> str:
    """Remove quotes and escapes from one word (no variable expansion)."""
    return _process(word, escape, None)


def expand(word: str, env: Mapping[str, str | None], escape: str = "\\") -> str | None:
    """Quote removal and ``$VAR``/``${VAR}``/``${VAR:-default}`` (and ``-``, ``:+``, ``+``)
    substitution from ``env``; None when a variable it needs has no value."""
    try:
        return _process(word, escape, env)
    except _Unresolved:
        return None


class _Unresolved(Exception):
    pass


def _process(word: str, escape: str, env: Mapping[str, str | None] | None) -> str:
    out: list[str] = []
    i, n = 0, len(word)
    quote = ""
    while i < n:
        ch = word[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
            i += 1
            continue
        if ch == escape and i + 1 < n and (quote != '"' or word[i + 1] in f'"$`{escape}'):
            out.append(word[i + 1])
            i += 2
            continue
        if ch in "'\"" and not quote:
            quote = ch
            i += 1
            continue
        if ch == '"' and quote == '"':
            quote = ""
            i += 1
            continue
        if ch == "$" and env is not None:
            value, i = _variable(word, i, env, escape)
            out.append(value)
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _variable(word: str, i: int, env: Mapping[str, str | None], escape: str) -> tuple[str, int]:
    """Expand the variable at ``word[i] == "$"``; returns (value, next index)."""
    n = len(word)
    if i + 1 < n and word[i + 1] == "{":
        end = _closing_brace(word, i + 2)
        if end < 0:
            raise _Unresolved
        body = word[i + 2 : end]
        m = _VAR_NAME.match(body)
        if not m:
            raise _Unresolved
        name, rest = m.group(0), body[m.end() :]
        value = env.get(name)
        if not rest:
            return _required(value), end + 1
        for op, fn in _MODIFIERS:
            if rest.startswith(op):
                return fn(value, rest[len(op) :], env, escape), end + 1
        raise _Unresolved  # ${VAR#pattern} and friends: not evaluated statically
    m = _VAR_NAME.match(word, i + 1)
    if not m:
        return "$", i + 1
    return _required(env.get(m.group(0))), m.end()


def _closing_brace(word: str, start: int) -> int:
    depth = 1
    for j in range(start, len(word)):
        if word[j] == "{":
            depth += 1
        elif word[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _required(value: str | None) -> str:
    if value is None:
        raise _Unresolved
    return value


Modifier = Callable[[str | None, str, Mapping[str, str | None], str], str]


def _default_if_empty(value: str | None, alt: str, env: Mapping[str, str | None], esc: str) -> str:
    return value if value else _process(alt, esc, env)


def _default_if_unset(value: str | None, alt: str, env: Mapping[str, str | None], esc: str) -> str:
    return value if value is not None else _process(alt, esc, env)


def _alt_if_set_nonempty(
    value: str | None, alt: str, env: Mapping[str, str | None], esc: str
) -> str:
    return _process(alt, esc, env) if value else ""


def _alt_if_set(value: str | None, alt: str, env: Mapping[str, str | None], esc: str) -> str:
    return _process(alt, esc, env) if value is not None else ""


def _error_if_unset(value: str | None, alt: str, env: Mapping[str, str | None], esc: str) -> str:
    return _required(value or None)


_MODIFIERS: tuple[tuple[str, Modifier], ...] = (
    (":-", _default_if_empty),
    ("-", _default_if_unset),
    (":+", _alt_if_set_nonempty),
    ("+", _alt_if_set),
    (":?", _error_if_unset),
    ("?", _error_if_unset),
)
