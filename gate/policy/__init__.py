"""The policy: one TOML file that decides what blocks.

* :mod:`gate.policy.loader` -- ``load_policy(path | None) -> Policy`` (read, validate, extends).
* :mod:`gate.policy.model` -- the frozen dataclasses of a loaded policy.
* :mod:`gate.policy.validation` -- schema and semantic checks, one line per problem.
* :mod:`gate.policy.evaluate` -- ``evaluate(policy, results, ...) -> Decision``.
* :mod:`gate.policy.matching` -- globs and ids that exceptions and rule overrides match.
* :mod:`gate.policy.baseline` -- the findings of an earlier report.

Nothing is imported here, so importing one module does not load the others.
"""
