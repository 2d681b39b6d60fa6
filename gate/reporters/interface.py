"""Reporter protocol: a reporter renders a :class:`~gate.models.Report` and decides nothing."""

from __future__ import annotations

from typing import Protocol

from gate.models import Report


class Reporter(Protocol):
    name: str
    """The ``--format`` name (``sarif``, ``json``, ``console``, ...)."""
    default_filename: str

    def render(self, report: Report) -> str: ...
