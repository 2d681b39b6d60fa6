"""The package inventory: every package an image ships (OS databases, language metadata,
binaries), for the vulnerability check and ``gate sbom``.

* :mod:`~gate.analyzers.packages.file_analyzer` — the layer-walk analyzer (``packages``).
* One parser module per format: ``dpkg``, ``apk``, ``rpm_sqlite``, ``rpm_bdb``, ``rpm_ndb``
  (with ``rpm_header``), ``python_metadata``, ``node_package``, ``go_buildinfo``,
  ``java_archive``, ``ruby_gemspec``, ``rust_auditable``, ``composer_installed``,
  ``dotnet_deps`` (``executable`` reads ELF/PE/Mach-O section tables for the binary formats).
* :mod:`~gate.analyzers.packages.ecosystems` — OSV ecosystem names and package URLs.
* :mod:`~gate.analyzers.packages.inventory` — ``build_inventory``: the final filesystem's
  packages, each attributed to the layer that added it.
"""
