"""What a policy exception or rule override matches: globs, paths, ids, packages.

Globs follow gitignore-style path semantics: ``*`` and ``?`` stay within one path segment,
``**`` crosses directories (``tests/**`` matches everything under ``tests/``; ``**/x`` also
matches ``x`` at the top), ``[...]`` is a character class. An image path (``/app/.env``) is
tried as written and without its leading ``/``, so ``app/**`` and ``/app/**`` both work.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from gate.models import Finding, Location


@functools.lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if pattern.startswith("/", i):
                    i += 1
                    out.append("(?:.*/)?")  # zero or more whole directories
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find(
                "]", i + 2 if pattern.startswith("[!", i) or pattern.startswith("[^", i) else i + 1
            )
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def glob_match(pattern: str, path: str) -> bool:
    return compile_glob(pattern).match(path) is not None


def candidate_paths(location: Location) -> tuple[str, ...]:
    """The paths a glob is tried against: as written, without a leading ``/``, and the
    Dockerfile a layer is attributed to."""
    paths = [location.path]
    if location.path.startswith("/"):
        paths.append(location.path.lstrip("/"))
    if location.attributed_to is not None:
        paths.append(location.attributed_to.path)
    return tuple(dict.fromkeys(paths))


def any_path_matches(patterns: Iterable[str], location: Location) -> bool:
    paths = candidate_paths(location)
    return any(glob_match(p, path) for p in patterns for path in paths)


def finding_ids(finding: Finding) -> tuple[str, ...]:
    """Every id an exception's ``rule`` may name: rule id, vulnerability id, aliases.

    Case-folded: advisories spell ids inconsistently (``CVE-2024-1``, ``cve-2024-1``)."""
    ids = [str(finding.rule_id)]
    if finding.vulnerability_id:
        ids.append(finding.vulnerability_id)
    ids.extend(finding.aliases)
    ids.extend(finding_upstream(finding))
    return tuple(dict.fromkeys(i.casefold() for i in ids))


def finding_upstream(finding: Finding) -> tuple[str, ...]:
    """The upstream id of a distro record about exactly one upstream vulnerability
    (``DEBIAN-CVE-2024-1`` -> ``CVE-2024-1``), so excepting the CVE excepts it. A record that
    bundles several upstream ids (a DSA) is not excepted by naming one of them."""
    upstream = finding.properties.get("upstream")
    if not isinstance(upstream, tuple) or len(upstream) != 1:
        return ()
    return (str(upstream[0]).casefold(),)


def vex_reason(finding: Finding) -> str | None:
    """The suppression reason when a VEX statement declares the finding ``not_affected``
    (properties set by :mod:`gate.matchers.vex`), else None."""
    if finding.properties.get("vex_status") != "not_affected":
        return None
    why = finding.properties.get("vex_justification") or "no justification code"
    impact = finding.properties.get("vex_impact_statement")
    document = finding.properties.get("vex_document")
    text = f"VEX not_affected ({why})"
    if impact:
        text += f": {impact}"
    return text + (f" [{document}]" if document else "")


_VERSION_OP = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")


def parse_version_range(text: str) -> tuple[tuple[str, str], ...]:
    """``">=2.10, <2.11.3"`` -> ((">=", "2.10"), ("<", "2.11.3")). Raises ValueError."""
    parts = [p for p in text.split(",")]
    out = []
    for part in parts:
        m = _VERSION_OP.match(part)
        if m is None:
            raise ValueError(f"{part.strip()!r} is not OPERATOR VERSION (<, <=, >, >=, ==, !=)")
        out.append((m.group(1), m.group(2)))
    return tuple(out)


def version_in_range(finding: Finding, text: str) -> bool:
    """Does the finding's package version satisfy every comparison of ``text``, ordered as its
    ecosystem orders versions? A version that cannot be ordered does not match (the exception
    then does not apply: the safe side)."""
    if finding.package is None:
        return False
    from gate.matchers.ecosystems import parse_ecosystem
    from gate.matchers.versions import UnorderableVersion, compare

    scheme = parse_ecosystem(finding.package.ecosystem).scheme
    if scheme is None:
        return False
    checks = {
        "<": lambda c: c < 0,
        "<=": lambda c: c <= 0,
        ">": lambda c: c > 0,
        ">=": lambda c: c >= 0,
        "==": lambda c: c == 0,
        "!=": lambda c: c != 0,
    }
    try:
        return all(
            checks[op](compare(scheme, finding.package.version, bound))
            for op, bound in parse_version_range(text)
        )
    except (UnorderableVersion, ValueError):
        return False


def package_names(finding: Finding) -> tuple[str, ...]:
    if finding.package is None:
        return ()
    names = [finding.package.name]
    if finding.package.source_name:
        names.append(finding.package.source_name)
    return tuple(names)
