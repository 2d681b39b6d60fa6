"""gate.status_line: the one status line of the layer scan and the database download, drawn
on a terminal only, never in a CI log."""

from __future__ import annotations

import io
import os
import pty

import pytest

from gate.status_line import LayerProgress, StatusLine


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert StatusLine.on(Terminal()).interactive
    assert not StatusLine.on(Terminal(), wanted=False).interactive  # --no-progress
    assert not StatusLine.on(io.StringIO()).interactive  # a file or a pipe
    monkeypatch.setenv("CI", "true")
    assert not StatusLine.on(Terminal()).interactive  # a CI log
    master, follower = pty.openpty()  # a real terminal device
    try:
        with os.fdopen(follower, "w", closefd=False) as stream:
            monkeypatch.delenv("CI")
            assert StatusLine.on(stream).interactive
    finally:
        os.close(master)
        os.close(follower)


def test_redraws_rate_limited_and_lines_that_stay() -> None:
    out = Terminal()
    line = StatusLine(out, interactive=True, min_interval=3600)
    line.show("a")
    line.show("b")  # too soon: skipped
    line.show("c", now=True)
    line.print("done")
    line.clear()  # nothing drawn since the print: nothing to erase
    assert out.getvalue() == "\r\x1b[2Ka\r\x1b[2Kc\r\x1b[2Kdone\n"
    log = io.StringIO()
    plain = StatusLine(log, interactive=False)
    plain.show("a", now=True)
    plain.clear()
    plain.print("done")
    assert log.getvalue() == "done\n"


def test_layer_progress() -> None:
    out = Terminal()
    progress = LayerProgress(StatusLine(out, interactive=True))
    progress(object(), False)
    progress(object(), True)
    progress.done()
    assert out.getvalue() == ("\r\x1b[2Kscanned 1 layer(s)\r\x1b[2Kscanned 2 layer(s) (cached)"
                              "\r\x1b[2K")
