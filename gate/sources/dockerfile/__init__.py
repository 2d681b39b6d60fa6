"""The Dockerfile as a source: parsed instructions with line ranges, grouped into stages."""

from gate.sources.dockerfile.model import (
    Dockerfile,
    DockerfileError,
    Flag,
    Heredoc,
    Instruction,
    Stage,
)
from gate.sources.dockerfile.parser import name_values, parse_dockerfile, parse_text

__all__ = [
    "Dockerfile",
    "DockerfileError",
    "Flag",
    "Heredoc",
    "Instruction",
    "Stage",
    "name_values",
    "parse_dockerfile",
    "parse_text",
]
