"""Version ordering per ecosystem: tricky real orderings, dpkg checked against dpkg itself, and
order laws (antisymmetry, transitivity) on generated versions."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.matchers.versions import UnorderableVersion, VersionScheme, compare, parse, scheme_for

S = VersionScheme

# Each list is strictly increasing in its ecosystem (from the schemes' documentation and real
# package histories).
ASCENDING = {
    S.DPKG: [
        "1.0~~",
        "1.0~~a",
        "1.0~",
        "1.0~rc1",
        "1.0",
        "1.0-1",
        "1.0-1+b1",
        "1.0+dfsg-1",
        "1.0.1",
        "1.1~beta",
        "1.1",
        "1:0.9",  # an epoch beats any version without one
        "2:0.1",
    ],
    S.APK: [
        "1.2.3_alpha1-r0",
        "1.2.3_beta-r0",
        "1.2.3_pre2-r0",
        "1.2.3_rc1-r0",
        "1.2.3_rc2-r0",
        "1.2.3-r0",
        "1.2.3-r1",
        "1.2.3-r10",
        "1.2.3_p1-r0",
        "1.2.3a-r0",  # a letter sorts after any suffix of the same number (apk-tools)
        "1.2.4-r0",
        "1.10.0-r0",
    ],
    S.RPM: [
        "1.0~rc1-1",
        "1.0~rc1^git1-1",
        "1.0-1",
        "1.0-1.el8",
        "1.0-1.el8_1",
        "1.0-2",
        "1.0^git1-1",
        "1.0.1-1",
        "1:0.1-1",
    ],
    S.PEP440: [
        "1.0.dev1",
        "1.0a1",
        "1.0a2.dev1",
        "1.0a2",
        "1.0b1",
        "1.0rc1",
        "1.0",
        "1.0+local.1",
        "1.0.post1.dev1",
        "1.0.post1",
        "1.1",
        "1!0.1",
    ],
    S.SEMVER: [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "2.0.0",
    ],
    S.GO: [
        "v0.0.0-20190101000000-abcdefabcdef",
        "v0.0.0-20220906165146-f3363e06e74c",
        "v0.1.0",
        "v1.19.0-0",
        "v1.19.0",
        "v1.19.1",
        "v2.0.0+incompatible",
        "v29.2.0+incompatible",
    ],
    S.MAVEN: [
        "1.0-alpha-1",
        "1.0-beta",
        "1.0-milestone-1",
        "1.0-rc1",
        "1.0-SNAPSHOT",
        "1.0",
        "1.0-sp1",
        "1.0.1",
        "1.1",
    ],
    S.RUBYGEMS: ["1.0.0.a", "1.0.0.pre", "1.0.0.rc1", "1.0.0", "1.0.1", "1.1", "10.0"],
    S.NUGET: ["1.0.0-alpha", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.0.1.1", "2.0.0"],
    S.COMPOSER: [
        "1.0.0-dev",
        "1.0.0-alpha1",
        "1.0.0-beta2",
        "1.0.0-RC1",
        "1.0.0-rc2",
        "1.0.0",
        "1.0.0-p1",  # a patch level sorts after the release (PHP version_compare: "pl" > "#")
        "1.0.1",
        "v1.1.0",
        "1.10.0",
    ],
}


@pytest.mark.parametrize("scheme", list(ASCENDING), ids=lambda s: s.value)
def test_every_pair_of_a_real_ascending_list_compares_as_listed(scheme: VersionScheme) -> None:
    versions = ASCENDING[scheme]
    for i, a in enumerate(versions):
        for j, b in enumerate(versions):
            expected = (i > j) - (i < j)
            assert compare(scheme, a, b) == expected, (a, b)


@pytest.mark.parametrize(
    ("scheme", "a", "b"),
    [
        (S.DPKG, "0:1.0", "1.0"),  # epoch 0 is no epoch
        (S.PEP440, "1.0", "1.0.0"),  # trailing zeros (PEP 440 release segment)
        (S.PEP440, "1.0RC1", "1.0rc1"),  # normalization
        (S.GO, "v1.2.3+incompatible", "v1.2.3"),  # build metadata does not order
        (S.GO, "go1.21", "v1.21.0"),  # Go toolchain versions
        (S.SEMVER, "1.0.0+build.1", "1.0.0+build.2"),
        (S.NUGET, "1.0.0-RC1", "1.0.0-rc1"),  # NuGet pre-release labels are case-insensitive
        (S.COMPOSER, "v1.0.0", "1.0.0"),
        (S.RPM, "0:1.0-1", "1.0-1"),
    ],
)
def test_equal_spellings(scheme: VersionScheme, a: str, b: str) -> None:
    assert compare(scheme, a, b) == 0
    assert parse(scheme, a) == parse(scheme, b)


def test_unparseable_versions_raise_a_typed_error() -> None:
    with pytest.raises(UnorderableVersion):
        parse(S.PEP440, "not a version")
    with pytest.raises(UnorderableVersion):
        parse(S.SEMVER, "1.x")
    with pytest.raises(UnorderableVersion):
        parse(S.DPKG, "")


def test_platform_gems_order_as_their_version() -> None:
    assert compare(S.RUBYGEMS, "1.16.2-x86_64-linux", "1.16.2") == 0
    assert compare(S.RUBYGEMS, "1.16.2-x86_64-linux", "1.16.3") == -1


def test_ecosystem_schemes() -> None:
    assert scheme_for("Debian") is S.DPKG and scheme_for("Ubuntu") is S.DPKG
    assert scheme_for("Alpine") is S.APK and scheme_for("Wolfi") is S.APK
    assert scheme_for("AlmaLinux") is S.RPM and scheme_for("Red Hat") is S.RPM
    assert scheme_for("crates.io") is S.SEMVER and scheme_for("npm") is S.SEMVER
    assert scheme_for("Packagist") is S.COMPOSER
    assert scheme_for("Hackage") is None


# -- dpkg checked against dpkg --compare-versions (the reference implementation) ------------

_DPKG_PART = st.text(alphabet="0123456789abz.+~", min_size=1, max_size=6).filter(
    lambda s: s[0].isdigit()
)
_DPKG_VERSION = st.builds(
    lambda epoch, upstream, revision: (
        (f"{epoch}:" if epoch else "") + upstream + (f"-{revision}" if revision else "")
    ),
    st.sampled_from(["", "1", "2"]),
    _DPKG_PART,
    st.one_of(st.just(""), st.text(alphabet="0123456789+~.ab", min_size=1, max_size=4)),
)


def _dpkg_says(a: str, b: str) -> int:
    for op, result in (("lt", -1), ("eq", 0)):
        done = subprocess.run(["dpkg", "--compare-versions", a, op, b], capture_output=True)
        if done.returncode == 0:
            return result
    return 1


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is the oracle (Debian hosts)")
@settings(max_examples=60, deadline=None)
@given(_DPKG_VERSION, _DPKG_VERSION)
def test_dpkg_order_agrees_with_dpkg_itself(a: str, b: str) -> None:
    assert compare(S.DPKG, a, b) == _dpkg_says(a, b), (a, b)


# -- RPM checked against rpm's own rpmvercmp (rpm --eval with its Lua rpm.vercmp) ---------

_RPM_PART = st.text(alphabet="0123456789ab.~^", min_size=1, max_size=6).filter(
    lambda s: s[0].isalnum()
)
_RPM_VERSION = st.builds(
    lambda epoch, version, release: (
        (f"{epoch}:" if epoch else "") + version + (f"-{release}" if release else "")
    ),
    st.sampled_from(["", "0", "1", "2"]),
    _RPM_PART,
    st.one_of(st.just(""), _RPM_PART),
)


def _rpm_says(pairs: list[tuple[str, str]]) -> list[int]:
    # rpm's Lua print() appends without a newline: separate the results with commas.
    calls = " ".join(f"print(rpm.vercmp('{a}', '{b}') .. ',')" for a, b in pairs)
    done = subprocess.run(
        ["rpm", "--eval", "%{lua: " + calls + "}"], capture_output=True, text=True, check=True
    )
    return [int(x) for x in done.stdout.strip().strip(",").split(",")]


@pytest.mark.skipif(
    shutil.which("rpm") is None, reason="rpm is the oracle (scripts/test.sh installs it)"
)
@settings(max_examples=4, deadline=None)
@given(st.lists(st.tuples(_RPM_VERSION, _RPM_VERSION), min_size=40, max_size=40))
def test_rpm_order_agrees_with_rpm_itself(pairs: list[tuple[str, str]]) -> None:
    expected = _rpm_says(pairs)
    assert len(expected) == len(pairs)
    for (a, b), want in zip(pairs, expected, strict=True):
        assert compare(S.RPM, a, b) == want, (a, b)


# -- order laws ------------------------------------------------------------------------------

_SEMVER = st.builds(
    lambda m, n, p, pre: f"{m}.{n}.{p}" + (f"-{pre}" if pre else ""),
    st.integers(0, 3),
    st.integers(0, 12),
    st.integers(0, 12),
    st.one_of(st.just(""), st.sampled_from(["alpha", "alpha.1", "beta.2", "rc.1", "0", "x.7"])),
)
_PEP440 = st.builds(
    lambda rel, suffix: rel + suffix,
    st.sampled_from(["1", "1.0", "1.0.1", "2.0", "0.9.9"]),
    st.sampled_from(["", "a1", "b2", "rc1", ".post1", ".dev3", "+local", ".post1.dev1"]),
)
_APK = st.builds(
    lambda rel, suffix, r: f"{rel}{suffix}-r{r}",
    st.sampled_from(["1.2.3", "1.2.3a", "1.2.10", "1.3"]),
    st.sampled_from(["", "_rc1", "_p1", "_alpha", "_pre2", "_beta3"]),
    st.integers(0, 11),
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([(S.SEMVER, _SEMVER), (S.PEP440, _PEP440), (S.APK, _APK)]).flatmap(
        lambda pair: st.tuples(st.just(pair[0]), pair[1], pair[1], pair[1])
    )
)
def test_orderings_are_total_orders(case: tuple[VersionScheme, str, str, str]) -> None:
    scheme, a, b, c = case
    assert compare(scheme, a, b) == -compare(scheme, b, a)
    assert compare(scheme, a, a) == 0
    if compare(scheme, a, b) <= 0 and compare(scheme, b, c) <= 0:
        assert compare(scheme, a, c) <= 0
