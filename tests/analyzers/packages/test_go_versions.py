"""Go toolchain and module versions as OSV's Go database writes them."""

from __future__ import annotations

import pytest

from gate.analyzers.packages.go_buildinfo import (
    go_version,
    packages_from_modinfo,
    toolchain_version,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("go1.21.5", "1.21.5"),
    ("go1.20", "1.20.0"),
    ("go1.22rc1", "1.22.0-rc.1"),
    ("go1.18beta2", "1.18.0-beta.2"),
    ("go1.21.3 X:boringcrypto", "1.21.3"),
    ("go1.23.4+auto", "1.23.4"),
    ("devel go1.24-0123abcd Mon Jan 1 00:00:00 2024", None),
    ("", None),
])
def test_toolchain_versions(raw: str, expected: str | None) -> None:
    assert toolchain_version(raw) == expected


def test_module_versions_and_replacements() -> None:
    assert go_version("v1.2.3") == "1.2.3"
    assert go_version("v0.0.0-20210908233432-aa78b53d3365") == "0.0.0-20210908233432-aa78b53d3365"
    assert go_version("v2.0.0+incompatible") == "2.0.0+incompatible"
    modinfo = "\n".join([
        "path\texample.com/app/cmd",
        "mod\texample.com/app\tv1.4.0\th1:abc=",
        "dep\tgolang.org/x/net\tv0.17.0\th1:def=",
        "dep\texample.com/old\tv1.0.0\th1:ghi=",
        "=>\texample.com/new\tv1.0.1\th1:jkl=",
        "dep\texample.com/local\tv0.1.0",
        "=>\t../local\t",
        "build\t-compiler=gc",
    ])
    found = [(p.name, p.version) for p in packages_from_modinfo("go1.21.5", modinfo)]
    assert found == [("stdlib", "1.21.5"), ("example.com/app", "1.4.0"),
                     ("golang.org/x/net", "0.17.0"), ("example.com/new", "1.0.1")]
