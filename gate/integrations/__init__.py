"""CI integrations: what the gate posts back after the reports are written.

* :mod:`gate.integrations.github` — the pull request comment (PyGithub), the job summary
  (``$GITHUB_STEP_SUMMARY``) and step outputs (``$GITHUB_OUTPUT``);
* :mod:`gate.integrations.gitlab` — the merge request note (python-gitlab);
* :mod:`gate.integrations.publish` — runs them for ``gate check --ci github|gitlab``;
* :mod:`gate.integrations.ci_inputs` — ``gate ci github|gitlab|tekton``, the entrypoint of the
  GitHub Action, the GitLab component and the Tekton Task, which maps their inputs to
  ``gate check`` options.

They run after the decision and only render it: a refused, failed or slow API call is one
warning line and never changes the verdict or the exit code. Tokens come from the environment
only, are sent only in the ``Authorization``/``PRIVATE-TOKEN`` header, and are masked out of
every message.
"""
