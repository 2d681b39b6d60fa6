"""Matchers: installed packages -> known vulnerabilities.

* :mod:`gate.matchers.versions` orders version strings per ecosystem (dpkg, apk, RPM, PEP 440,
  SemVer, Go, Maven, RubyGems, NuGet, Composer) with the libraries made for them.
* :mod:`gate.matchers.ecosystems` says which OSV ecosystem an advisory and a package belong to
  (``Debian:12``, ``Alpine:v3.19``, ``PyPI``) and how package names compare.
* :mod:`gate.matchers.osv` reads OSV records; :mod:`gate.matchers.osv_match` decides, exactly as
  the OSV schema's evaluation pseudocode does, whether a version is affected.
* :mod:`gate.matchers.advisory_index` indexes OSV files (a directory or a zip) into SQLite;
  :mod:`gate.matchers.db_update` downloads osv.dev's exports; :mod:`gate.matchers.osv_api`
  asks osv.dev's batch API instead.
* :mod:`gate.matchers.severity`, :mod:`gate.matchers.aliases`: CVSS scores and merged ids.
* :mod:`gate.matchers.vex`, :mod:`gate.matchers.peer_results`: OpenVEX statements and
  Trivy/Grype JSON results.
"""
