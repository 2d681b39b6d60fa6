"""The shell scripts a ``RUN`` instruction runs, each with a map back to Dockerfile lines.

Shell form: the instruction's text; exec form: ``["sh", "-c", script]`` or the argv itself;
here-documents: the body, when the command is a shell (``RUN <<EOF``, ``RUN bash <<EOF``).
Windows stages (``SHELL ["powershell", ...]`` or ``cmd``) are marked so POSIX-only rules
can skip them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gate.analyzers.config.shell import Pipeline, Script, SimpleCommand, parse_script
from gate.sources.dockerfile import Instruction

_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"})


@dataclass(frozen=True)
class RunScript:
    instruction: Instruction
    script: Script
    text: str
    line_of: Callable[[int], int]
    """Dockerfile line of an offset in :attr:`text`."""
    shell: str
    """``posix``, ``powershell`` or ``cmd``."""


def shell_kind(shell: Sequence[str] | None) -> str:
    if not shell:
        return "posix"
    name = shell[0].replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")
    if name in ("powershell", "pwsh"):
        return "powershell"
    if name == "cmd":
        return "cmd"
    return "posix"


def run_scripts(instruction: Instruction, shell: Sequence[str] | None = None) -> list[RunScript]:
    kind = shell_kind(shell)
    scripts: list[RunScript] = []
    if instruction.exec_form is not None:
        argv = list(instruction.exec_form)
        line = instruction.start_line
        name = argv[0].rsplit("/", 1)[-1] if argv else ""
        if name in _SHELLS and "-c" in argv[1:-1]:
            text = argv[argv.index("-c", 1) + 1]
            scripts.append(
                RunScript(instruction, parse_script(text), text, lambda _o: line, "posix")
            )
        else:
            text = " ".join(argv)
            script = Script(text=text, pipelines=[Pipeline([SimpleCommand(argv=argv)])])
            scripts.append(
                RunScript(instruction, script, text, lambda _o: line, shell_kind(argv))
            )
    else:
        text = instruction.args
        scripts.append(
            RunScript(instruction, parse_script(text), text, instruction.line_at, kind)
        )
    if instruction.heredocs:
        command = _command_without_heredocs(instruction.args)
        head = command.split()[0].rsplit("/", 1)[-1] if command.split() else ""
        if not command or head in _SHELLS:
            for heredoc in instruction.heredocs:
                body = heredoc.body
                start = heredoc.start_line

                def line_of(offset: int, body: str = body, start: int = start) -> int:
                    return start + body.count("\n", 0, offset)

                scripts.append(
                    RunScript(instruction, parse_script(body), body, line_of, "posix")
                )
    return scripts


def _command_without_heredocs(args: str) -> str:
    return " ".join(w for w in args.split() if "<<" not in w).strip()
