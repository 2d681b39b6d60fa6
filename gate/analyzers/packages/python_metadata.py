"""Installed Python distributions: ``*.dist-info/METADATA`` (wheels, pip; PEP 376/627) and
``*.egg-info/PKG-INFO`` / ``EGG-INFO/PKG-INFO`` (setuptools), or an ``*.egg-info`` file that is
itself the PKG-INFO (distutils' single-file form).

The core metadata format (PyPA "Core metadata specifications") is RFC 822 style headers: the
``Name`` and ``Version`` fields identify the distribution; the licence is ``License-Expression``
(metadata 2.4, SPDX), else a short ``License`` field, else the ``License ::`` classifiers.
The body (long description) is not read.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean

_LICENSE_CLASSIFIER = "License :: "
_MAX_LICENSE_FIELD = 80  # longer License fields are usually the whole licence text


def wants(path: str) -> bool:
    lower = path.lower()
    return (
        lower.endswith(".dist-info/metadata")
        or lower.endswith(".egg-info/pkg-info")
        or lower.endswith("/egg-info/pkg-info")
        or lower.endswith(".egg-info")
    )


def _licenses(headers: email.message.Message) -> tuple[str, ...]:
    expression = clean(headers.get("License-Expression"))
    if expression:
        return (expression,)
    license_field = headers.get("License")
    if license_field and "\n" not in license_field.strip():
        value = clean(license_field)
        if value and len(value) <= _MAX_LICENSE_FIELD and value.upper() != "UNKNOWN":
            return (value,)
    found = []
    for classifier in headers.get_all("Classifier") or ():
        if classifier.startswith(_LICENSE_CLASSIFIER):
            name = clean(classifier.rsplit("::", 1)[-1])
            if name and name != "OSI Approved":
                found.append(name)
    return tuple(dict.fromkeys(found))


def parse(path: str, data: bytes) -> list[FoundPackage]:
    text = data.decode("utf-8", "replace")
    # Headers end at the first blank line; the description after it can be megabytes.
    head = text.split("\n\n", 1)[0]
    headers = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(head)
    name = clean(headers.get("Name"))
    version = clean(headers.get("Version"))
    if name is None or version is None:
        raise PackageDataError("core metadata without Name or Version")
    return [FoundPackage(name=name, version=version, licenses=_licenses(headers))]
