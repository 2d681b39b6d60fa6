"""The shape of one secret rule: data, not code.

A rule is a regular expression with a named group ``secret`` plus the facts the detector needs
to run it cheaply and to reject look-alikes: lowercase keywords for the prefilter (the regex only
runs where one occurs), a minimum Shannon entropy, documented example values, placeholder
patterns and, for a few file formats, the paths where the format lives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gate.models import Severity

Validator = Callable[[Mapping[str, str]], bool]
"""Extra check on a candidate, given the regex's named groups (``secret`` and any other, e.g.
``user`` of a URL): a JWT header must decode to JSON with ``alg``, a URL password must not be
the user name..."""


@dataclass(frozen=True)
class SecretRule:
    """One detection rule of the secrets check."""

    id: str
    """Stable identifier ``secret/<name>``; never reused for another meaning."""
    title: str
    """One line naming what was found, e.g. "AWS access key ID"."""
    severity: Severity
    """Live credentials are critical/high; test keys and low-confidence shapes medium/low."""
    regex: str
    """Python regular expression (run on bytes) with a named group ``secret``."""
    keywords: tuple[str, ...]
    """Lowercase literal substrings; the regex runs only near content holding one of them.
    Every possible match must contain one of them on the same line (or, for ``multiline``
    rules, anywhere in the file)."""
    keyword_context: str | None = None
    """Regex matched right after each keyword occurrence (on the file's bytes, before any other
    work): where it does not match, that occurrence cannot be part of a match and starts
    nothing. It must accept whatever the rule's ``regex`` can consume after the keyword
    (``password`` in ``tokens.password()`` is skipped; in ``password = "..."`` it is not)."""
    multiline: bool = False
    """False: the regex runs on each line holding a keyword. True: on the whole content."""
    anchor: str = "none"
    """Where the regex starts: ``none`` (searched in the region), ``word`` (matched at the
    start of the word holding a keyword: cheap for key = value rules), ``line`` (matched at
    the start of a line holding a keyword)."""
    entropy: float = 0.0
    """Minimum Shannon entropy (bits per character) of the value; 0 disables the check."""
    paths: str | None = None
    """Regex on the file path: the rule applies only to matching files (file-format rules)."""
    requires: str | None = None
    """Regex that must also match somewhere in the same content (e.g. ``twilio``)."""
    allow_values: frozenset[str] = frozenset()
    """Documented example values (provider docs) that are never secrets."""
    allow_regexes: tuple[str, ...] = ()
    """Patterns of values that are placeholders for this rule."""
    placeholder_filter: bool = True
    """Apply the shared placeholder filters (``example``, ``xxxx``, ``${VAR}``...)."""
    generic: bool = False
    """A low-confidence shape: dropped where a specific rule matched the same span."""
    validator: Validator | None = None
    """Extra check on the candidate's named groups; False rejects it."""
    normalize: Callable[[str], str] | None = None
    """Canonical form of the value for the fingerprint (e.g. a PEM body without whitespace)."""
    description: str = ""
    remediation: str = ""
    help_uri: str | None = None
