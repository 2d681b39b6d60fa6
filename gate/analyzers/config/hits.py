"""What a configuration check reports before it becomes a :class:`~gate.models.Finding`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gate.models import LayerRef, Location, LocationKind, PropertyValue, Severity


@dataclass(frozen=True)
class Hit:
    rule_id: str
    message: str
    kind: LocationKind
    path: str
    identity: str
    """What makes this finding itself, without line numbers (they shift): it enters the
    fingerprint. Never a raw secret (secret values are hashed into it by the caller)."""
    start_line: int | None = None
    end_line: int | None = None
    evidence: str | None = None
    severity: Severity | None = None
    """A severity the data gives (overrides the rule's default)."""
    layer: LayerRef | None = None
    attributed_to: Location | None = None
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)
    fingerprint_path: str | None = None
    """The path the fingerprint is made with when it is not :attr:`path`: a tool family is one
    finding, the same whichever of its names comes first."""
