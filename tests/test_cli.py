"""The command line as a CI job uses it: options, exit codes 0/1/2, one-line errors, reports,
Ctrl-C, a fast context-only start, and a scan that writes nothing but its cache."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gate.cli import build_parser, main
from gate.testing.image_writer import (
    ImageSpec,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)
from tests.gate_cli import REPO_ROOT, assert_one_error_line, check_image, gate_env, run_gate

# A fake GitHub token with the real format, assembled at run time: the repository holds none.
FAKE_PAT = "ghp_" + "R7m2Kx9Qw4Zt" + "1Lp8Vn3Bc6Yh5Jd0Fs2Ga" + "k4T"

CLEAN = ImageSpec(layers=[{"etc/os-release": b"ID=test\n"}, {"app/main.py": b"print(1)\n"}])
LEAKY = ImageSpec(layers=[{"etc/os-release": b"ID=test\n"},
                          {"app/settings.py": f'TOKEN = "{FAKE_PAT}"\n'.encode()}])


def _check_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["check"]


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.dest != "help"]


def test_every_check_option_is_documented_in_help() -> None:
    proc = run_gate("check", "--help")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    options = _options(_check_parser())
    assert len(options) >= 16
    for action in options:
        assert action.help and len(action.help) > 10, action.option_strings
        for flag in action.option_strings:
            assert flag in proc.stdout, flag
        if "%(" not in action.help:
            assert " ".join(action.help.split())[:30] in text, action.dest


# Values for the options this branch knows; an option added elsewhere gets the first of
# _CANDIDATES its own type accepts (the test then checks it parses, documented or not).
_VALUES = {
    "--image": "oci:/layouts/app:v1", "--dockerfile": "Df", "--target": "runtime",
    "--platform": "linux/arm64/v8", "--policy": "p.toml", "--checks": "secrets,config",
    "--fail-on": "HIGH", "--baseline": "old.json", "--sarif": "out/g.sarif",
    "--json": "out/g.json", "--cache-dir": "cache", "--jobs": "3", "--format": "json",
}
_CANDIDATES = ("1", "x", "secrets", "high", "linux/amd64", "https://registry.invalid")


def _accepts(flag: str, value: str | None) -> bool:
    argv = ["check", flag] if value is None else ["check", flag, value]
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def test_every_check_option_parses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = {**_VALUES, "--context": str(tmp_path), "--repo-root": str(tmp_path)}
    argv = ["check"]
    for action in _options(_check_parser()):
        flag = action.option_strings[-1]
        if action.nargs == 0:
            argv.append(flag)
            continue
        value = values.get(flag) or next(
            (c for c in (*(map(str, action.choices or ())), *_CANDIDATES, str(tmp_path))
             if _accepts(flag, c)), None)
        if value is None:
            assert action.nargs in ("?", "*") and _accepts(flag, None), f"{flag} parses nothing"
            argv.append(flag)
        else:
            argv += [flag, value]
    capsys.readouterr()
    args = build_parser().parse_args(argv)
    assert args.image == "oci:/layouts/app:v1" and args.context == tmp_path
    assert [c.value for c in args.checks] == ["secrets", "config"]
    assert args.fail_on == "high" and args.jobs == 3 and args.platform == "linux/arm64/v8"
    assert args.json == Path("out/g.json") and args.sarif == Path("out/g.sarif")
    assert args.quiet and args.no_progress and args.no_cache


def test_environment_defaults(tmp_path: Path) -> None:
    os.environ["GATE_IMAGE"] = "oci:/from/env"
    try:
        args = build_parser().parse_args(["check"])
    finally:
        del os.environ["GATE_IMAGE"]
    assert args.image == "oci:/from/env"


def _layout(tmp_path: Path, spec: ImageSpec, name: str = "layout") -> str:
    write_oci_layout(tmp_path / name, spec)
    return f"oci:{tmp_path / name}"


def test_exit_codes_on_real_inputs(tmp_path: Path) -> None:
    passed = check_image(_layout(tmp_path, CLEAN))
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.rstrip().splitlines()[-1].startswith("PASS:")
    assert passed.stderr == ""

    blocked = check_image(_layout(tmp_path, LEAKY, "leaky"))
    assert blocked.returncode == 1, blocked.stderr
    assert "FAIL: blocked by policy" in blocked.stdout
    assert "/app/settings.py" in blocked.stdout and FAKE_PAT not in blocked.stdout

    (tmp_path / "broken").mkdir()
    assert_one_error_line(check_image(f"oci:{tmp_path / 'broken'}"), "not an OCI image layout")

    context = tmp_path / "ctx"
    context.mkdir()
    (context / "app.py").write_text(f'token = "{FAKE_PAT}"\n')
    proc = run_gate("check", "--context", context, "--checks", "secrets")
    assert proc.returncode == 1 and FAKE_PAT not in proc.stdout + proc.stderr
    (context / "app.py").write_text("print('clean')\n")
    assert run_gate("check", "--context", context, "--checks", "secrets").returncode == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "--context", ".", "--checks", "secrets,nope"], "unknown check 'nope'"),
        (["check", "--context", ".", "--fail-on", "severe"], "unknown severity 'severe'"),
        (["check", "--context", ".", "--jobs", "-1"], "--jobs must be 0"),
        (["check", "--context", ".", "--jobs", "two"], "invalid int value: 'two'"),
        (["check", "--context", "/nonexistent/ctx"], "--context /nonexistent/ctx: not a directory"),
        (["check"], "nothing to check: give --image, --context, or both"),
        (["check", "--image", "oci:.", "--platform", "linux"], "invalid platform 'linux'"),
        (["check", "--bogus"], "unrecognized arguments: --bogus"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "no command given"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    env = {"GATE_POLICY": ""}
    assert_one_error_line(run_gate(*args, env=env, cwd=REPO_ROOT), needle)


def test_console_script_and_python_m_gate_agree(tmp_path: Path) -> None:
    script = shutil.which("gate")
    if script is None:
        pytest.fail("the gate console script is not installed (pip install -e .)")
    ref = _layout(tmp_path, LEAKY)
    for args in (["--version"], ["check", "--help"], ["version"], ["check"]):
        a = run_gate(*args)
        b = run_gate(*args, command=(script,))
        assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr), args
    reports = []
    for name, command in (("module", (sys.executable, "-m", "gate")), ("script", (script,))):
        report = tmp_path / f"{name}.json"
        proc = check_image(ref, "--json", report, command=command)
        assert proc.returncode == 1, proc.stderr
        doc = json.loads(report.read_text())
        for volatile in ("generated_at", "duration_seconds"):
            doc.pop(volatile, None)
        reports.append(doc)
    assert reports[0] == reports[1]


def test_reports_are_written_where_asked(tmp_path: Path) -> None:
    json_path = tmp_path / "out" / "nested" / "gate.json"
    sarif_path = tmp_path / "sarif" / "gate.sarif"
    proc = check_image(_layout(tmp_path, LEAKY), "--json", json_path, "--sarif", sarif_path)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(json_path.read_text())
    assert [f["location"]["path"] for f in report["findings"]] == ["/app/settings.py"]
    sarif = json.loads(sarif_path.read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert FAKE_PAT not in json_path.read_text() + sarif_path.read_text()


@pytest.mark.parametrize("where", ["directory", "under-a-file"])
def test_unwritable_report_path_is_exit_2(tmp_path: Path, where: str) -> None:
    if where == "directory":
        target = tmp_path / "taken"
        target.mkdir()
    else:
        (tmp_path / "file").write_text("")
        target = tmp_path / "file" / "gate.json"
    proc = check_image(_layout(tmp_path, CLEAN), "--json", target)
    assert_one_error_line(proc, f"cannot write report {target}")


_CRASH = """
import sys
import gate.pipeline

def crash(request, **kwargs):
    raise KeyError("leaked GITHUB_TOKEN=" + {pat!r})

gate.pipeline.run_gate = crash
from gate.cli import main
sys.exit(main(["check", "--image", {ref!r}, "--checks", "secrets", "--no-cache"]))
"""


def test_unexpected_exception_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code = _CRASH.format(pat=FAKE_PAT, ref=_layout(tmp_path, CLEAN))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=gate_env(), timeout=120, check=False)
    line = assert_one_error_line(proc, "internal error (KeyError:", "set GATE_DEBUG=1")
    assert FAKE_PAT not in line and "ghp_****" in line

    debug = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=gate_env({"GATE_DEBUG": "1"}), timeout=120, check=False)
    # With GATE_DEBUG the traceback is shown, and the exit code is still 2, never 1.
    assert debug.returncode == 2, debug.stderr
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert "in crash" in debug.stderr
    assert debug.stderr.splitlines()[-1].startswith("gate: error: internal error (KeyError:")


def test_error_lines_cannot_be_forged_by_image_file_names(tmp_path: Path) -> None:
    # A hostile entry name with a newline and a terminal escape: still one escaped line.
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("/app\nPASS: no policy violations\x1b[2K")
        archive.addfile(info, io.BytesIO(b""))
    ref = _layout(tmp_path, ImageSpec(layers=[out.getvalue()]))
    line = assert_one_error_line(check_image(ref), "absolute member path")
    assert "\\nPASS: no policy violations\\x1b[2K" in line


def test_keyboard_interrupt_in_process(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import gate.pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gate.pipeline, "run_gate", interrupted)
    assert main(["check", "--context", str(tmp_path), "--checks", "secrets"]) == 2
    assert capsys.readouterr().err == "gate: error: interrupted\n"


# One layer's scan blocks (standing in for a slow layer) after leaving a marker; the other
# layer is scanned at once, so its worker is idle, waiting for work. The test then presses
# Ctrl-C the way a terminal does: SIGINT to the whole process group, workers included.
_SLOW_SCAN = """
import os, sys, time
from gate.sources.image.dir_store import DirStore

original = DirStore.open_blob

def open_blob(self, digest):
    if digest in {layers!r}:
        slow = digest == {layers!r}[0]
        marker = ("slow-" if slow else "fast-") + str(os.getpid())
        open(os.path.join({markers!r}, marker), "w").close()
        if slow:
            time.sleep(120)
    return original(self, digest)

DirStore.open_blob = open_blob
from gate.cli import main
sys.exit(main(["check", "--image", {ref!r}, "--checks", "secrets", "--no-cache", "--jobs", "2"]))
"""


def test_ctrl_c_during_a_parallel_scan_is_one_line_and_exit_2(tmp_path: Path) -> None:
    built = write_oci_layout(tmp_path / "layout", CLEAN)["latest"]
    markers = tmp_path / "markers"
    markers.mkdir()
    layers = [layer.digest for layer in built.layers]  # type: ignore[union-attr]
    code = _SLOW_SCAN.format(layers=layers, markers=str(markers),
                             ref=f"oci:{tmp_path / 'layout'}")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=gate_env(),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while len(list(markers.iterdir())) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.1)
        time.sleep(1)  # the fast layer's worker is done and idle by now
        workers = [int(p.name.split("-")[1]) for p in markers.iterdir()]
        assert proc.pid not in workers and len(set(workers)) == 2  # real worker processes
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # Neither the busy nor the idle worker prints a KeyboardInterrupt traceback, and the
    # slow one does not finish its layer first: it is stopped.
    assert (proc.returncode, stdout, stderr) == (2, "", "gate: error: interrupted\n")
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid), pid


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
    except OSError:
        return "Z"


_HEAVY = ("requests", "sigstore", "github", "gitlab", "cryptography", "cyclonedx")


def test_context_only_run_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "app.py").write_text("print('hello')\n")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gate", "check", "--context", str(context),
         "--checks", "secrets"],
        capture_output=True, text=True, env=gate_env(), timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    imported = [line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and "|" in line]
    assert "gate.cli" in imported and "gate.analyzers.secrets.detector" in imported
    heavy = sorted({name for name in imported if name.split(".")[0] in _HEAVY})
    assert heavy == []


@pytest.mark.parametrize("source", ["oci", "oci-archive", "docker-archive"])
def test_scan_writes_nothing_outside_the_cache(tmp_path: Path, source: str) -> None:
    # Part 1: "layers are streamed, never unpacked to disk".
    spec = ImageSpec(layers=[{f"usr/share/f{i}": os.urandom(2048) for i in range(40)},
                             {"app/settings.py": f'TOKEN = "{FAKE_PAT}"\n'.encode()},
                             {"app/settings.py": b"TOKEN = None\n"}])
    images = tmp_path / "images"
    if source == "oci":
        write_oci_layout(images / "layout", spec)
        ref = f"oci:{images / 'layout'}"
    elif source == "oci-archive":
        write_oci_archive(images / "img.tar", spec)
        ref = f"oci-archive:{images / 'img.tar'}"
    else:
        write_docker_archive(images / "img.tar", [(spec, ["example/app:1"])])
        ref = f"docker-archive:{images / 'img.tar'}"
    before = sorted(str(p) for p in images.rglob("*"))
    tmpdir, cwd, cache = tmp_path / "tmp", tmp_path / "cwd", tmp_path / "cache"
    for directory in (tmpdir, cwd):
        directory.mkdir()
    proc = run_gate("check", "--image", ref, "--checks", "secrets", "--cache-dir", cache,
                    "--jobs", "2", cwd=cwd,
                    env={"TMPDIR": str(tmpdir), "HOME": str(cwd), "XDG_CACHE_HOME": str(cwd)})
    assert proc.returncode == 1, proc.stderr
    assert list(tmpdir.iterdir()) == [] and list(cwd.iterdir()) == []
    assert sorted(str(p) for p in images.rglob("*")) == before
    cached = sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())
    assert len(cached) == 3 and all(p.startswith("layers/") and p.endswith(".json")
                                    for p in cached)
