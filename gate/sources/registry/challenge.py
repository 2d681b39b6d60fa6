"""``WWW-Authenticate`` challenges (RFC 7235 section 4.1, auth-params of RFC 7235 2.1).

A registry answers 401 with ``Bearer realm="...",service="...",scope="..."`` (distribution
``docs/spec/auth/token.md``) or ``Basic realm="..."``. Several challenges may share a header;
each one is returned, in order. Unquoted values are read up to the next comma (some servers
send ``realm=https://...`` bare, which RFC 7235 does not allow but clients accept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_SCHEME = re.compile(rf"\s*({_TOKEN})(?:\s+|$|(?=,))")
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^",\s]+))\s*(?:,|$)')


@dataclass(frozen=True)
class Challenge:
    scheme: str
    """Lower case: ``bearer``, ``basic``."""
    params: Mapping[str, str] = field(default_factory=dict)
    """Parameter names lower case (``realm``, ``service``, ``scope``, ``error``)."""

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge of a ``WWW-Authenticate`` value; malformed trailing text is ignored."""
    challenges: list[Challenge] = []
    pos = 0
    while pos < len(header):
        while pos < len(header) and header[pos] in ", \t":
            pos += 1
        scheme_match = _SCHEME.match(header, pos)
        if scheme_match is None:
            break
        scheme = scheme_match.group(1).lower()
        pos = scheme_match.end()
        params: dict[str, str] = {}
        while True:
            param = _PARAM.match(header, pos)
            if param is None:
                break
            quoted, bare = param.group(2), param.group(3)
            value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
            params[param.group(1).lower()] = value
            pos = param.end()
        challenges.append(Challenge(scheme, params))
    return challenges
