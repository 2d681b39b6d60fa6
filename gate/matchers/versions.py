"""Version ordering per ecosystem, with the libraries made for each scheme.

OSV ``ECOSYSTEM`` ranges compare versions "as the ecosystem does" (OSV schema,
``affected[].ranges[].type``), and ``SEMVER`` ranges by SemVer 2.0.0 section 11. Getting this
wrong is either a missed CVE or a false alarm, so no scheme is hand-written here:

* dpkg (Debian, Ubuntu): epochs, ``~`` sorting before everything -- ``univers.DebianVersion``
  (deb-version(7) algorithm).
* apk (Alpine, Wolfi, Chainguard): ``_alpha`` < ``_beta`` < ``_pre`` < ``_rc`` < release <
  ``_p``, ``-rN`` -- ``univers.AlpineLinuxVersion`` (apk-tools' ``apk_version_compare``).
* RPM (Red Hat family, SUSE, Photon, Azure Linux, Mageia, openEuler): ``epoch:version-release``,
  ``~`` and ``^`` -- ``univers.RpmVersion`` (rpm's ``rpmvercmp``).
* PEP 440 (PyPI): pre/post/dev releases and local versions -- ``packaging.version``.
* SemVer 2.0.0 (npm, crates.io, Hex, Pub, SwiftURL, Bitnami; every ``SEMVER`` range) --
  ``semver`` (python-semver); build metadata is ignored as section 10 says.
* Go: SemVer with a ``v`` prefix, ``+incompatible`` (build metadata, ignored) and
  pseudo-versions (``v0.0.0-20220906165146-f3363e06e74c``, pre-releases of the next version);
  the standard library's ``go1.21.3`` is ``1.21.3``.
* Maven (ComparableVersion), RubyGems (Gem::Version), NuGet (NuGet.Versioning) -- the
  ``univers`` classes of those names.
* Packagist: Composer compares with PHP's ``version_compare`` (documented at
  https://www.php.net/manual/en/function.version-compare.php), ported here because
  ``univers.ComposerVersion`` orders ``dev`` after ``alpha``, ``-p1`` before the release and
  ``RC1`` before ``alpha1`` (tests/matchers/test_versions.py shows the orderings).

A version a scheme cannot parse raises :class:`UnorderableVersion`; the matcher then falls back to
exact ``versions`` list membership and says so in a note (never a silent "not affected").
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable
from typing import Any


class UnorderableVersion(ValueError):
    """``text`` is not a valid version of ``scheme``."""

    def __init__(self, scheme: VersionScheme, text: str) -> None:
        super().__init__(f"{text!r} is not a valid {scheme.value} version")
        self.scheme = scheme
        self.text = text


class VersionScheme(str, enum.Enum):
    DPKG = "dpkg"
    APK = "apk"
    RPM = "rpm"
    PEP440 = "pep440"
    SEMVER = "semver"
    GO = "go"
    MAVEN = "maven"
    RUBYGEMS = "rubygems"
    NUGET = "nuget"
    COMPOSER = "composer"


# OSV ecosystem (the part before the first ``:``) -> how its versions sort.
_SCHEMES: dict[str, VersionScheme] = {
    "Debian": VersionScheme.DPKG,
    "Ubuntu": VersionScheme.DPKG,
    "Echo": VersionScheme.DPKG,
    "Alpine": VersionScheme.APK,
    "Alpaquita": VersionScheme.APK,
    "BellSoft Hardened Containers": VersionScheme.APK,
    "Chainguard": VersionScheme.APK,
    "MinimOS": VersionScheme.APK,
    "Wolfi": VersionScheme.APK,
    "AlmaLinux": VersionScheme.RPM,
    "Azure Linux": VersionScheme.RPM,
    "Mageia": VersionScheme.RPM,
    "openEuler": VersionScheme.RPM,
    "openSUSE": VersionScheme.RPM,
    "Photon OS": VersionScheme.RPM,
    "Red Hat": VersionScheme.RPM,
    "Rocky Linux": VersionScheme.RPM,
    "SUSE": VersionScheme.RPM,
    "TuxCare": VersionScheme.RPM,
    "PyPI": VersionScheme.PEP440,
    "npm": VersionScheme.SEMVER,
    "crates.io": VersionScheme.SEMVER,
    "Hex": VersionScheme.SEMVER,
    "Pub": VersionScheme.SEMVER,
    "SwiftURL": VersionScheme.SEMVER,
    "Bitnami": VersionScheme.SEMVER,
    "Go": VersionScheme.GO,
    "Kubernetes": VersionScheme.GO,
    "Maven": VersionScheme.MAVEN,
    "RubyGems": VersionScheme.RUBYGEMS,
    "NuGet": VersionScheme.NUGET,
    "Packagist": VersionScheme.COMPOSER,
}


def scheme_for(ecosystem_base: str) -> VersionScheme | None:
    """The ordering of an OSV ecosystem (without its ``:release`` suffix); None if unknown."""
    return _SCHEMES.get(ecosystem_base)


class Version:
    """A parsed version: totally ordered within one scheme (``<``, ``==`` as the scheme says)."""

    __slots__ = ("_key", "_less", "scheme", "text")

    def __init__(
        self, scheme: VersionScheme, text: str, key: Any, less: Callable[[Any, Any], bool]
    ) -> None:
        self.scheme = scheme
        self.text = text
        self._key = key
        self._less = less

    def __lt__(self, other: Version) -> bool:
        return self._less(self._key, other._key)

    def __gt__(self, other: Version) -> bool:
        return self._less(other._key, self._key)

    def __le__(self, other: Version) -> bool:
        return not self._less(other._key, self._key)

    def __ge__(self, other: Version) -> bool:
        return not self._less(self._key, other._key)

    def __eq__(self, other: object) -> bool:
        # Equality is "neither sorts first": 1.0 == 1.0.0 in PEP 440, 0:1.0 == 1.0 in dpkg,
        # v1.2.3+incompatible == v1.2.3 in Go (build metadata does not order).
        if not isinstance(other, Version):
            return NotImplemented
        return not self._less(self._key, other._key) and not self._less(other._key, self._key)

    def __hash__(self) -> int:
        # Equal versions may have different spellings: hash the scheme only (rarely hashed).
        return hash(self.scheme)

    def __repr__(self) -> str:
        return f"Version({self.scheme.value}, {self.text!r})"


def _lt(a: Any, b: Any) -> bool:
    return bool(a < b)


def _semver_lt(a: Any, b: Any) -> bool:
    # python-semver's compare() ignores build metadata (SemVer 2.0.0 section 10).
    return bool(a.compare(b) < 0)


_SEMVER_LOOSE = re.compile(
    r"^(?P<core>\d+(?:\.\d+){0,2})(?P<rest>(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$"
)


def _semver(text: str, scheme: VersionScheme) -> Any:
    import semver

    clean = text.strip()
    if clean.startswith(("v", "V", "=")):
        clean = clean[1:]
    if scheme is VersionScheme.GO and clean.startswith("go"):
        clean = clean[2:]  # the Go standard library: go1.21.3
    m = _SEMVER_LOOSE.match(clean)
    if m is None:
        raise UnorderableVersion(scheme, text)
    parts = m.group("core").split(".")
    # "1.21" (Go toolchains, some npm/SEMVER range ends) is 1.21.0.
    core = ".".join([*parts, *["0"] * (3 - len(parts))])
    try:
        return semver.Version.parse(core + m.group("rest"))
    except ValueError:
        raise UnorderableVersion(scheme, text) from None


def _pep440(text: str) -> Any:
    from packaging.version import InvalidVersion
    from packaging.version import Version as Pep440Version

    try:
        return Pep440Version(text)
    except InvalidVersion:
        raise UnorderableVersion(VersionScheme.PEP440, text) from None


_RUBY_PLATFORM = re.compile(r"-(?:x86|x64|arm|aarch|universal|java|mingw|mswin|darwin|linux)\S*$")


def _univers(scheme: VersionScheme, text: str) -> Any:
    from univers import versions as uv

    classes: dict[VersionScheme, Any] = {
        VersionScheme.DPKG: uv.DebianVersion,
        VersionScheme.APK: uv.AlpineLinuxVersion,
        VersionScheme.RPM: uv.RpmVersion,
        VersionScheme.MAVEN: uv.MavenVersion,
        VersionScheme.RUBYGEMS: uv.RubygemsVersion,
        VersionScheme.NUGET: uv.NugetVersion,
    }
    cls = classes[scheme]
    candidates = [text.strip()]
    if scheme is VersionScheme.RUBYGEMS:
        # A platform gem (nokogiri 1.16.2-x86_64-linux) has the version of its platform-less
        # twin; Gem::Version itself never includes the platform.
        candidates.append(_RUBY_PLATFORM.sub("", candidates[0]))
    for candidate in candidates:
        try:
            return cls(candidate)
        except Exception:  # univers raises InvalidVersion, ValueError or TypeError
            continue
    raise UnorderableVersion(scheme, text)


# PHP version_compare: special forms, lowest first; "#" stands for any number and an
# unknown word sorts below "dev".
_PHP_SPECIAL = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "rc": 3, "#": 4, "pl": 5, "p": 5}
_PHP_SPLIT = re.compile(r"\d+|[a-z]+", re.IGNORECASE)


def _php_parts(text: str) -> tuple[str, ...]:
    clean = text.strip()
    if clean[:1] in ("v", "V"):
        clean = clean[1:]
    parts = tuple(p.lower() for p in _PHP_SPLIT.findall(clean))
    if not parts or not parts[0].isdigit():
        raise UnorderableVersion(VersionScheme.COMPOSER, text)
    return parts


def _php_rank(part: str) -> int:
    return _PHP_SPECIAL["#"] if part.isdigit() else _PHP_SPECIAL.get(part, -1)


def _php_lt(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    for x, y in zip(a, b, strict=False):  # unequal lengths: the tail decides below
        if x.isdigit() and y.isdigit():
            if int(x) != int(y):
                return int(x) < int(y)
        elif _php_rank(x) != _php_rank(y):
            return _php_rank(x) < _php_rank(y)
    if len(a) == len(b):
        return False
    # The longer one decides by its next part: "1.0" < "1.0.1" (a number), "1.0rc1" < "1.0".
    if len(a) > len(b):
        return not _php_rank(a[len(b)]) >= _PHP_SPECIAL["#"]
    return _php_rank(b[len(a)]) >= _PHP_SPECIAL["#"]


@functools.lru_cache(maxsize=65536)
def parse(scheme: VersionScheme, text: str) -> Version:
    """``text`` as a :class:`Version` of ``scheme``. Raises :class:`UnorderableVersion`."""
    if not text or not text.strip():
        raise UnorderableVersion(scheme, text)
    if scheme in (VersionScheme.SEMVER, VersionScheme.GO):
        return Version(scheme, text, _semver(text, scheme), _semver_lt)
    if scheme is VersionScheme.PEP440:
        return Version(scheme, text, _pep440(text), _lt)
    if scheme is VersionScheme.COMPOSER:
        return Version(scheme, text, _php_parts(text), _php_lt)
    return Version(scheme, text, _univers(scheme, text), _lt)


def compare(scheme: VersionScheme, a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` sorts before, equal to or after ``b``."""
    va, vb = parse(scheme, a), parse(scheme, b)
    if va < vb:
        return -1
    if vb < va:
        return 1
    return 0


__all__ = ["UnorderableVersion", "Version", "VersionScheme", "compare", "parse", "scheme_for"]
