"""The one exception family of gate.

Every stage raises a subclass of :class:`GateError`; the CLI is the only place that catches
them and turns them into a single stderr line and exit code 2 ("the gate could not decide").
A message must name the input that is bad (file, blob digest, policy key) and must never
contain a secret value or a token.
"""

from __future__ import annotations


class GateError(Exception):
    """Root of every error the gate reports to its user.

    ``message`` is one line for stderr; ``hint`` an optional second sentence that tells the
    user what to do about it.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[object, ...]:
        # Layers are scanned in worker processes; errors must cross the process boundary
        # with their type and message intact whatever their constructor signature is.
        return (_rebuild, (type(self), self.message), self.__dict__)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


def _rebuild(cls: type[GateError], message: str) -> GateError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    return error


class UsageError(GateError):
    """A command-line option or combination of options is invalid."""


class InputError(GateError):
    """An input file or directory is missing, unreadable or malformed."""


class ImageError(InputError):
    """An image cannot be read: bad reference, corrupt archive, unknown media type."""


class UnsafeImageError(ImageError):
    """An image layer is hostile: path traversal, links out of the root, a tar bomb."""


class DigestMismatchError(ImageError):
    """A blob's content does not hash to the digest that names it."""

    def __init__(self, what: str, expected: str, actual: str) -> None:
        super().__init__(f"digest mismatch for {what}: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class PlatformNotFoundError(ImageError):
    """A multi-platform index has no manifest for the requested platform."""


class RegistryError(ImageError):
    """A registry refused, failed or timed out."""


class PolicyError(InputError):
    """The policy file is invalid. ``problems`` holds one line per problem, naming the key."""

    def __init__(self, path: str, problems: list[str]) -> None:
        first = problems[0] if problems else "invalid"
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"invalid policy {path}: {first}{more}")
        self.path = path
        self.problems = problems


class AdvisoryDatabaseError(GateError):
    """The advisory database is missing, stale beyond use, or corrupt."""


class NoAdvisoryDatabaseError(AdvisoryDatabaseError):
    """No advisory database was given and none was downloaded (``gate db update``)."""


class SignatureError(GateError):
    """Signature material cannot be fetched or parsed (not: "the signature is invalid",
    which is a finding)."""


class ReportError(GateError):
    """A report cannot be written."""


class IntegrationError(GateError):
    """A CI platform's API (PR comment, MR note) refused, failed or timed out. The CLI turns it
    into one warning line: it never changes the verdict."""
