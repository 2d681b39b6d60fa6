"""One self-rewriting status line on a terminal: the progress of a layer scan (``gate check``)
and of a database download (``gate db update``).

On a terminal the line is redrawn in place: a carriage return, then ECMA-48 "Erase in Line"
(``CSI 2 K``) and the new text. In a CI log or a file every carriage return shows as one more
line, so there nothing is drawn, and only the lines meant to stay (:meth:`StatusLine.print`)
are written.
"""

from __future__ import annotations

import os
import time
from typing import TextIO

_ERASE = "\r\x1b[2K"


class StatusLine:
    def __init__(self, stream: TextIO, *, interactive: bool, min_interval: float = 0.1) -> None:
        self.stream = stream
        self.interactive = interactive
        self.min_interval = min_interval
        """Seconds between two redraws: a fast download must not flood the terminal."""
        self._drawn = False
        self._last = 0.0

    @classmethod
    def on(cls, stream: TextIO, *, wanted: bool = True) -> StatusLine:
        """Interactive when ``wanted`` (no ``--no-progress``), ``stream`` is a terminal and the
        run is not in a CI job (``CI`` set, as GitHub, GitLab, Jenkins and Tekton tasks
        commonly do)."""
        interactive = wanted and stream.isatty() and not os.environ.get("CI")
        return cls(stream, interactive=interactive)

    def show(self, text: str, *, now: bool = False) -> None:
        """Redraw the line with ``text``; skipped when the last redraw is too recent, unless
        ``now``."""
        if not self.interactive:
            return
        moment = time.monotonic()
        if not now and moment - self._last < self.min_interval:
            return
        self._last = moment
        self._drawn = True
        self.stream.write(_ERASE + text)
        self.stream.flush()

    def clear(self) -> None:
        if self._drawn:
            self.stream.write(_ERASE)
            self.stream.flush()
            self._drawn = False

    def print(self, text: str) -> None:
        """A line that stays (written on a terminal and in a log alike)."""
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()


class LayerProgress:
    """The layer scan's progress callback (``walk_layers``): layers done so far."""

    def __init__(self, line: StatusLine) -> None:
        self.line = line
        self.done_count = 0

    def __call__(self, layer: object, from_cache: bool) -> None:
        self.done_count += 1
        suffix = " (cached)" if from_cache else ""
        self.line.show(f"scanned {self.done_count} layer(s){suffix}", now=True)

    def done(self) -> None:
        self.line.clear()


__all__ = ["LayerProgress", "StatusLine"]
