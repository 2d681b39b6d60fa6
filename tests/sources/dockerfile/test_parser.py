"""The Dockerfile parser: the whole corpus, BuildKit's own parser as the reference, and the
syntax the Dockerfile reference documents."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from gate.sources.dockerfile import DockerfileError, parse_dockerfile, parse_text
from gate.sources.dockerfile.model import Instruction


def corpus(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "dockerfiles").glob("*.Dockerfile"))
    assert len(files) >= 50
    return files


def test_every_corpus_dockerfile_parses(shared_data: Path) -> None:
    windows = 0
    for path in corpus(shared_data):
        parsed = parse_dockerfile(path)
        assert parsed.stages, path.name
        assert all(i.start_line <= i.end_line for i in parsed.instructions)
        windows += parsed.escape == "`"
    assert windows >= 1  # moby's Windows Dockerfile: escape=`


def _shape(instruction: Instruction) -> tuple[object, ...]:
    flags = tuple(f"--{f.name}" + (f"={f.value}" if f.value is not None else "")
                  for f in instruction.flags)
    heredocs = () if instruction.keyword == "ONBUILD" else tuple(
        h.content for h in instruction.heredocs)
    return (instruction.keyword, instruction.start_line, instruction.end_line, flags,
            instruction.exec_form is not None, heredocs)


def _reference_shape(command: object) -> tuple[object, ...]:
    c = command
    heredocs = () if c.cmd.upper() == "ONBUILD" else tuple(h.content for h in c.heredocs)  # type: ignore[attr-defined]
    return (c.cmd.upper(), c.start_line, c.end_line, tuple(c.flags), c.json, heredocs)  # type: ignore[attr-defined]


SYNTAX_CASES = [
    "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN powershell `\n"
    "    Write-Host hi; `\n    # a comment inside the continuation\n\n    Write-Host bye\n"
    "COPY C:\\src C:\\dst\n",
    "#syntax=docker/dockerfile:1\nFROM alpine\nRUN <<EOF1 cat > /a && cat <<-EOF2 > /b\n"
    "hello\nEOF1\n\tworld\n\tEOF2\nCOPY --chmod=755 <<\"EOF\" /x\n$HOME\nEOF\n",
    "FROM alpine\r\nRUN echo a \\\r\n  && echo b\r\n",
    "\ufeffFROM alpine\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\nRUN echo hi \\\n",
    "ARG A=1\nFROM x:${A}\nRUN echo \\\n\n\n  done\nHEALTHCHECK NONE\n"
    "HEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"http://x\"]\n",
    "FROM a\nRUN cat <<EOF | sh\nls\nEOF\nRUN echo <<< x\nRUN echo << EOF\n",
    "  # indented comment\n\tFROM a\n  RUN x\n",
    "FROM a\nRUN --mount=type=secret,id=tok,required \"--quoted\" x\nENV A=1 B=\"2 3\" C='x'\n"
    "ENV D 4 5\nLABEL \"a b\"=c\nONBUILD RUN <<X\necho x\nX\n",
]


@pytest.mark.skipif(platform.machine() != "x86_64", reason="BuildKit parser wheels: x86-64 only")
def test_same_instructions_and_lines_as_buildkit(shared_data: Path) -> None:
    dockerfile = pytest.importorskip("dockerfile")
    for path in corpus(shared_data):
        ours = [_shape(i) for i in parse_dockerfile(path).instructions]
        theirs = [_reference_shape(c) for c in dockerfile.parse_file(str(path))]
        assert ours == theirs, path.name
    for text in SYNTAX_CASES:
        ours = [_shape(i) for i in parse_text(text).instructions]
        theirs = [_reference_shape(c) for c in dockerfile.parse_string(text)]
        assert ours == theirs, text


def test_windows_escape_joins_continuations_and_keeps_backslashes() -> None:
    parsed = parse_text(SYNTAX_CASES[0])
    assert parsed.escape == "`" and parsed.directives == {"escape": "`"}
    run = parsed.instructions[1]
    assert (run.keyword, run.start_line, run.end_line) == ("RUN", 3, 7)
    assert "Write-Host hi;" in run.args and "Write-Host bye" in run.args
    assert run.line_at(run.args.index("bye")) == 7
    assert parsed.instructions[2].args == "C:\\src C:\\dst"


def test_heredocs_keep_bodies_and_lines() -> None:
    parsed = parse_text(SYNTAX_CASES[1])
    run = parsed.instructions[1]
    assert [h.name for h in run.heredocs] == ["EOF1", "EOF2"]
    assert run.heredocs[0].content == "hello\n" and run.heredocs[0].start_line == 4
    assert run.heredocs[1].chomp and run.heredocs[1].body == "world\n"
    assert (run.start_line, run.end_line) == (3, 7)
    copy = parsed.instructions[2]
    assert copy.flag("chmod") == "755" and not copy.heredocs[0].expand
    assert parsed.directives["syntax"] == "docker/dockerfile:1"


def test_stages_args_in_from_and_references() -> None:
    parsed = parse_text(
        "ARG REGISTRY=docker.io\nARG PY=3.12\nARG UNSET\n"
        "FROM --platform=$BUILDPLATFORM ${REGISTRY}/library/python:${PY}-slim AS Build\n"
        "RUN pip wheel .\nFROM build AS test\nRUN pytest\n"
        "FROM ${UNSET:-alpine}:3.20\nCOPY --from=build /w /w\nFROM $UNSET\n"
    )
    build, test, final, unresolved = parsed.stages
    assert build.name == "build" and build.base_resolved == "docker.io/library/python:3.12-slim"
    assert build.platform == "$BUILDPLATFORM"
    assert test.base_stage == 0 and not test.external_base
    assert final.base_resolved == "alpine:3.20" and final.instructions[0].flag("from") == "build"
    assert unresolved.base_resolved is None
    assert [s.index for s in parsed.final_chain("test")] == [0, 1]
    assert parsed.meta_args == {"REGISTRY": "docker.io", "PY": "3.12", "UNSET": None}


def test_exec_and_shell_forms_and_onbuild() -> None:
    parsed = parse_text(
        'FROM a\nCMD ["python", "app.py"]\nENTRYPOINT /run.sh\nRUN ["bad json"\n'
        "ONBUILD COPY . /src\n"
    )
    cmd, entry, run, onbuild = parsed.stages[0].instructions
    assert cmd.exec_form == ("python", "app.py")
    assert entry.exec_form is None and run.exec_form is None
    assert onbuild.trigger is not None and onbuild.trigger.keyword == "COPY"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM a\nFOO bar\n", "Dockerfile:2: unknown instruction: FOO"),
        ("FROM a\nRUN <<EOF\necho\n", "Dockerfile:2: unterminated heredoc <<EOF"),
        ("RUN x\nFROM a\n", "Dockerfile:1: RUN before the first FROM"),
        ("# escape=x\nFROM a\n", "invalid escape parser directive"),
        ("# escape=\\\n# escape=`\nFROM a\n", "only one escape parser directive"),
        ("FROM a\nENV A\n", "ENV must have two arguments"),
        ("FROM a\nENV A=1 B\n", "can't find = in 'B'"),
        ("FROM\n", "FROM needs an image"),
        ("FROM a b c d\n", "FROM must be"),
    ],
)
def test_malformed_dockerfiles_are_errors_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as raised:
        parse_text(text)
    assert message in str(raised.value)


def test_unreadable_binary_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match="cannot read Dockerfile"):
        parse_dockerfile(tmp_path / "missing")
    (tmp_path / "bin").write_bytes(b"FROM a\x00\n")
    with pytest.raises(DockerfileError, match="binary"):
        parse_dockerfile(tmp_path / "bin")
    (tmp_path / "latin").write_bytes(b"FROM a\nLABEL x=\xe9\n")
    with pytest.raises(DockerfileError, match="not UTF-8"):
        parse_dockerfile(tmp_path / "latin")
    with pytest.raises(DockerfileError, match="--target nope: no such stage"):
        parse_text("FROM a AS one\n").target("nope")
