"""The configuration check: Dockerfile and image rules mapped to compliance controls.

Modules: :mod:`.rules` (the rule catalogue), :mod:`.compliance` (regimes and controls),
:mod:`.dockerfile_checks`, :mod:`.image_checks`, :mod:`.eol` (dated OS end-of-life table),
:mod:`.shell` / :mod:`.scripts` / :mod:`.packages` (what RUN lines do), :mod:`.base_images`,
:mod:`.file_analyzer` (layer walk part), :mod:`.analyzer` (the check). Nothing is imported
here, so reading the regime catalogue does not load the rules.
"""
