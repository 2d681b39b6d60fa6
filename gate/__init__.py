"""gate: a CI/CD container security gate."""

__version__ = "0.1.0"
