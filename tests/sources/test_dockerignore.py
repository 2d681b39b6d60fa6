""".dockerignore semantics, ported from the test tables of moby/patternmatcher
(patternmatcher_test.go: TestMatches, TestMatch, TestCompile and the pattern-cleaning tests)
and moby/buildkit (frontend/dockerfile/dockerignore/dockerignore_test.go: TestReadAll)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import InputError
from gate.sources.dockerignore import (
    MatchType,
    PatternMatcher,
    compile_pattern,
    go_clean,
    load_dockerignore,
    read_patterns,
)

FAIL, EXACT, INEXACT = "fail", "exact", "inexact"

# TestMatches: (pattern, text, expected). EXACT: MatchesExact and MatchesOrParentMatches both
# match; INEXACT: only a parent directory matches; FAIL: neither.
MATCHES = [
    ("**", "file", EXACT),
    ("**", "file/", EXACT),
    ("**/", "file", EXACT),
    ("**/", "file/", EXACT),
    ("**", "/", EXACT),
    ("**/", "/", EXACT),
    ("**", "dir/file", EXACT),
    ("**/", "dir/file", EXACT),
    ("**", "dir/file/", EXACT),
    ("**/", "dir/file/", EXACT),
    ("**/**", "dir/file", EXACT),
    ("**/**", "dir/file/", EXACT),
    ("dir/**", "dir/file", EXACT),
    ("dir/**", "dir/file/", EXACT),
    ("dir/**", "dir/dir2/file", EXACT),
    ("dir/**", "dir/dir2/file/", EXACT),
    ("**/dir", "dir", EXACT),
    ("**/dir", "dir/file", INEXACT),
    ("**/dir2/*", "dir/dir2/file", EXACT),
    ("**/dir2/*", "dir/dir2/file/", INEXACT),
    ("**/dir2/**", "dir/dir2/dir3/file", EXACT),
    ("**/dir2/**", "dir/dir2/dir3/file/", EXACT),
    ("**file", "file", EXACT),
    ("**file", "dir/file", EXACT),
    ("**/file", "dir/file", EXACT),
    ("**file", "dir/dir/file", EXACT),
    ("**/file", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file.txt", EXACT),
    ("**/file*txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt*", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt2", "dir/dir/file.txt", FAIL),
    ("**/*.txt", "file.txt", EXACT),
    ("**/**/*.txt", "file.txt", EXACT),
    ("a**/*.txt", "a/file.txt", EXACT),
    ("a**/*.txt", "a/dir/file.txt", EXACT),
    ("a**/*.txt", "a/dir/dir/file.txt", EXACT),
    ("a/*.txt", "a/dir/file.txt", FAIL),
    ("a/*.txt", "a/file.txt", EXACT),
    ("a/*.txt**", "a/file.txt", EXACT),
    ("a[b-d]e", "ae", FAIL),
    ("a[b-d]e", "ace", EXACT),
    ("a[b-d]e", "aae", FAIL),
    ("a[^b-d]e", "aze", EXACT),
    (".*", ".foo", EXACT),
    (".*", "foo", FAIL),
    ("abc.def", "abcdef", FAIL),
    ("abc.def", "abc.def", EXACT),
    ("abc.def", "abcZdef", FAIL),
    ("abc?def", "abcZdef", EXACT),
    ("abc?def", "abcdef", FAIL),
    ("**/foo/bar", "foo/bar", EXACT),
    ("**/foo/bar", "dir/foo/bar", EXACT),
    ("**/foo/bar", "dir/dir2/foo/bar", EXACT),
    ("abc/**", "abc", FAIL),
    ("abc/**", "abc/def", EXACT),
    ("abc/**", "abc/def/ghi", EXACT),
    ("**/.foo", ".foo", EXACT),
    ("**/.foo", "bar.foo", FAIL),
    ("a(b)c/def", "a(b)c/def", EXACT),
    ("a(b)c/def", "a(b)c/xyz", FAIL),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", EXACT),
    (
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        EXACT,
    ),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    # Non-Windows additions of the upstream table.
    ("a\\\\", "a\\", EXACT),
    ("a\\*b", "a*b", EXACT),
]

MULTI_PATTERN = [
    (["**", "!util/docker/web"], "util/docker/web/foo", FAIL),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", EXACT),
    (
        ["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        FAIL,
    ),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", FAIL),
]

# TestMatch (Go's filepath.Match table as patternmatcher runs it): (pattern, path, match, error).
MATCH = [
    ("abc", "abc", True, False),
    ("*", "abc", True, False),
    ("*c", "abc", True, False),
    ("a*", "a", True, False),
    ("a*", "abc", True, False),
    ("a*", "ab/c", True, False),
    ("a*/b", "abc/b", True, False),
    ("a*/b", "a/c/b", False, False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True, False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True, False),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False, False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False, False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True, False),
    ("a*b?c*x", "abxbbxdbxebxczzy", False, False),
    ("ab[c]", "abc", True, False),
    ("ab[b-d]", "abc", True, False),
    ("ab[e-g]", "abc", False, False),
    ("ab[^c]", "abc", False, False),
    ("ab[^b-d]", "abc", False, False),
    ("ab[^e-g]", "abc", True, False),
    ("a\\*b", "a*b", True, False),
    ("a\\*b", "ab", False, False),
    ("a?b", "a\u263ab", True, False),
    ("a[^a]b", "a\u263ab", True, False),
    ("a???b", "a\u263ab", False, False),
    ("a[^a][^a][^a]b", "a\u263ab", False, False),
    ("[a-\u03b6]*", "\u03b1", True, False),
    ("*[a-\u03b6]", "A", False, False),
    ("a?b", "a/b", False, False),
    ("a*b", "a/b", False, False),
    ("[\\]a]", "]", True, False),
    ("[\\-]", "-", True, False),
    ("[x\\-]", "x", True, False),
    ("[x\\-]", "-", True, False),
    ("[x\\-]", "z", False, False),
    ("[\\-x]", "x", True, False),
    ("[\\-x]", "-", True, False),
    ("[\\-x]", "a", False, False),
    ("[]a]", "]", False, True),
    ("[-]", "-", False, True),
    ("[x-]", "x", False, True),
    ("[x-]", "-", False, True),
    ("[x-]", "z", False, True),
    ("[-x]", "x", False, True),
    ("[-x]", "-", False, True),
    ("[-x]", "a", False, True),
    ("\\", "a", False, True),
    ("[a-b-c]", "a", False, True),
    ("[", "a", False, True),
    ("[^", "a", False, True),
    ("[^bc", "a", False, True),
    ("a[", "a", False, True),
    ("a[", "ab", False, True),
    ("*x", "xxx", True, False),
]

# TestCompile (slash): (pattern, match type, anchored regexp for REGEXP patterns).
COMPILE = [
    ("*", MatchType.REGEXP, "^[^/]*$"),
    ("file*", MatchType.REGEXP, "^file[^/]*$"),
    ("*file", MatchType.REGEXP, "^[^/]*file$"),
    ("a*/b", MatchType.REGEXP, "^a[^/]*/b$"),
    ("**", MatchType.SUFFIX, ""),
    ("**/**", MatchType.REGEXP, "^(.*/)?.*$"),
    ("dir/**", MatchType.PREFIX, ""),
    ("**/dir", MatchType.SUFFIX, ""),
    ("**/dir2/*", MatchType.REGEXP, "^(.*/)?dir2/[^/]*$"),
    ("**/dir2/**", MatchType.REGEXP, "^(.*/)?dir2/.*$"),
    ("**file", MatchType.SUFFIX, ""),
    ("**/file*txt", MatchType.REGEXP, "^(.*/)?file[^/]*txt$"),
    ("**/**/*.txt", MatchType.REGEXP, "^(.*/)?(.*/)?[^/]*\\.txt$"),
    ("a[b-d]e", MatchType.REGEXP, "^a[b-d]e$"),
    (".*", MatchType.REGEXP, "^\\.[^/]*$"),
    ("abc.def", MatchType.EXACT, ""),
    ("abc?def", MatchType.REGEXP, "^abc[^/]def$"),
    ("**/foo/bar", MatchType.SUFFIX, ""),
    ("a(b)c/def", MatchType.EXACT, ""),
    ("a.|)$(}+{bc", MatchType.EXACT, ""),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", MatchType.EXACT, ""),
]


def _matches(patterns: list[str], path: str) -> bool:
    """patternmatcher's package-level Matches: clean the path; "." is never excluded."""
    matcher = PatternMatcher.from_lines(patterns)
    cleaned = go_clean(path)
    return cleaned != "." and matcher.matches_or_parent_matches(cleaned)


@pytest.mark.parametrize(("pattern", "text", "expected"), MATCHES)
def test_matches_table(pattern: str, text: str, expected: str) -> None:
    matcher = PatternMatcher.from_lines([pattern])
    assert matcher.matches_exact(text) is (expected == EXACT)
    assert matcher.matches_or_parent_matches(text) is (expected != FAIL)


@pytest.mark.parametrize(("patterns", "text", "expected"), MULTI_PATTERN)
def test_multi_pattern_table(patterns: list[str], text: str, expected: str) -> None:
    assert PatternMatcher.from_lines(patterns).matches_or_parent_matches(text) is (
        expected != FAIL
    )


@pytest.mark.parametrize(("pattern", "path", "match", "error"), MATCH)
def test_filepath_match_table(pattern: str, path: str, match: bool, error: bool) -> None:
    if error:
        with pytest.raises(ValueError):
            _matches([pattern], path)
    else:
        assert _matches([pattern], path) is match


@pytest.mark.parametrize(("pattern", "match_type", "regexp"), COMPILE)
def test_compile_table(pattern: str, match_type: MatchType, regexp: str) -> None:
    compiled = compile_pattern(go_clean(pattern))
    assert compiled.match_type is match_type
    if match_type is MatchType.REGEXP:
        assert compiled.regexp_source == regexp


def test_wildcard_and_simple_patterns() -> None:
    assert _matches(["*"], "fileutils.go")
    assert _matches(["*.go"], "fileutils.go")


def test_exclusions_and_last_match_wins() -> None:
    assert _matches(["!fileutils.go", "*.go"], "fileutils.go")
    assert not _matches(["*.go", "!fileutils.go"], "fileutils.go")
    for folder in ("docs", "docs/", "docs/*"):
        assert not _matches([folder, "!docs/README.md"], "docs/README.md")
    assert _matches(["docs"], "docs/README.md")


def test_whole_directory_and_empty_patterns() -> None:
    assert not _matches(["*.go"], ".")
    assert not _matches([], "/any/path/there")
    with pytest.raises(ValueError, match="illegal exclusion"):
        _matches(["!"], "fileutils.go")
    with pytest.raises(ValueError):
        _matches(["["], "/any/path/there")


def test_clean_patterns() -> None:
    assert len(PatternMatcher.from_lines(["docs", "config"]).patterns) == 2
    assert len(PatternMatcher.from_lines(["docs", "config", ""]).patterns) == 2
    for patterns in (
        ["docs", "!docs/README.md"],
        ["docs", "  !docs/README.md"],
        ["docs", "!docs/README.md  "],
    ):
        assert PatternMatcher.from_lines(patterns).exclusions


def test_read_all_like_buildkit() -> None:
    content = (
        "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n"
        "! /inverted/abs/path\n!\n! \n"
    )
    assert read_patterns(content) == [
        "test1",
        "test2",
        "a/file/here",
        "lastfile",
        "!inverted/abs/path",
        "!",
        "!",
    ]


def test_read_all_bom_indented_hash_and_cleaning() -> None:
    content = "\ufeff# comment\n  # not a comment\nfoo/../bar/./baz/\n//x//y\n"
    assert read_patterns(content) == ["# not a comment", "bar/baz", "x/y"]


def test_go_clean() -> None:
    cases = {
        "": ".",
        "/": "/",
        "a/": "a",
        "a//b": "a/b",
        "./a": "a",
        "a/../..": "..",
        "/../a": "/a",
        "a/b/../c": "a/c",
        "**/": "**",
    }
    for raw, cleaned in cases.items():
        assert go_clean(raw) == cleaned, raw


def test_load_dockerignore_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / ".dockerignore"
    bad.write_text("node_modules\n[\n")
    with pytest.raises(InputError, match=r"\.dockerignore"):
        load_dockerignore(bad)
    bang = tmp_path / "other.dockerignore"
    bang.write_text("!\n")
    with pytest.raises(InputError, match="illegal exclusion"):
        load_dockerignore(bang)
    with pytest.raises(InputError, match="missing"):
        load_dockerignore(tmp_path / "missing")
