"""The compliance regimes the configuration rules map to, and their controls.

Rules name controls as tags ``compliance:<regime>:<control>`` (see :mod:`.rules`). A control may
also be evaluated by a whole check (``checks``): CIS 4.4 "images are scanned and rebuilt to
include security patches" is the vulnerabilities check, 4.5 "content trust" the signature check.

Sources: CIS Docker Benchmark v1.6.0 section 4 ("Container Images and Build File
Configuration"); NIST SP 800-53 Rev. 5 controls of the FedRAMP Rev. 5 Moderate baseline;
PCI DSS v4.0 requirements; HIPAA Security Rule (45 CFR Part 164 Subpart C) standards and
implementation specifications; ISO/IEC 27001:2022 Annex A controls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    regime: str
    id: str
    title: str
    checks: tuple[str, ...] = ()
    """Checks (``vulnerabilities``, ``signature``, ``secrets``) whose findings also fail it."""


@dataclass(frozen=True)
class Regime:
    id: str
    title: str
    controls: tuple[Control, ...]

    def control(self, control_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == control_id), None)


_ControlSpec = tuple[str, str] | tuple[str, str, tuple[str, ...]]


def _regime(regime: str, title: str, controls: list[_ControlSpec]) -> Regime:
    built = []
    for item in controls:
        checks: tuple[str, ...] = item[2] if len(item) == 3 else ()
        built.append(Control(regime=regime, id=item[0], title=item[1], checks=checks))
    return Regime(id=regime, title=title, controls=tuple(built))


REGIMES: Mapping[str, Regime] = {
    r.id: r
    for r in (
        _regime(
            "cis-docker",
            "CIS Docker Benchmark v1.6.0, section 4 (container images and build files)",
            [
                ("4.1", "Ensure that a user for the container has been created"),
                ("4.2", "Ensure that containers use only trusted base images"),
                ("4.3", "Ensure that unnecessary packages are not installed in the container"),
                ("4.4", "Ensure images are scanned and rebuilt to include security patches",
                 ("vulnerabilities",)),
                ("4.5", "Ensure Content trust for Docker is Enabled", ("signature",)),
                ("4.6", "Ensure that HEALTHCHECK instructions have been added to container images"),
                ("4.7", "Ensure update instructions are not used alone in Dockerfiles"),
                ("4.8", "Ensure setuid and setgid permissions are removed"),
                ("4.9", "Ensure that COPY is used instead of ADD in Dockerfiles"),
                ("4.10", "Ensure secrets are not stored in Dockerfiles", ("secrets",)),
                ("4.11", "Ensure only verified packages are installed"),
            ],
        ),
        _regime(
            "nist-800-53",
            "NIST SP 800-53 Rev. 5 (FedRAMP Moderate baseline controls)",
            [
                ("AC-6", "Least Privilege"),
                ("CM-2", "Baseline Configuration"),
                ("CM-6", "Configuration Settings"),
                ("CM-7", "Least Functionality"),
                ("CM-8", "System Component Inventory"),
                ("IA-5", "Authenticator Management", ("secrets",)),
                ("SA-22", "Unsupported System Components"),
                ("SC-7", "Boundary Protection"),
                ("SI-2", "Flaw Remediation", ("vulnerabilities",)),
                ("SI-7", "Software, Firmware, and Information Integrity", ("signature",)),
                ("SR-3", "Supply Chain Controls and Processes"),
                ("SR-11", "Component Authenticity"),
            ],
        ),
        _regime(
            "pci-dss",
            "PCI DSS v4.0",
            [
                ("2.2.1", "Configuration standards are developed, implemented and maintained"),
                ("2.2.4", "Only necessary services, protocols, daemons and functions are enabled"),
                ("2.2.5", "Insecure services, protocols or daemons are justified and secured"),
                ("2.2.6", "System security parameters are configured to prevent misuse"),
                ("2.2.7", "All non-console administrative access is encrypted"),
                ("6.3.2", "An inventory of bespoke, custom and third-party software is maintained"),
                ("6.3.3", "System components are protected from known vulnerabilities",
                 ("vulnerabilities",)),
                ("7.2.2", "Access is assigned based on job function with least privileges"),
                ("8.6.2", "Passwords for application and system accounts are not hard coded",
                 ("secrets",)),
                ("12.3.4", "Hardware and software technologies in use are reviewed (end of life)"),
            ],
        ),
        _regime(
            "hipaa",
            "HIPAA Security Rule (45 CFR 164.308, 164.312)",
            [
                ("164.308(a)(1)(ii)(B)", "Risk management", ("vulnerabilities",)),
                ("164.308(a)(5)(ii)(B)", "Protection from malicious software"),
                ("164.308(a)(5)(ii)(D)", "Password management", ("secrets",)),
                ("164.312(a)(1)", "Access control"),
                ("164.312(c)(1)", "Integrity", ("signature",)),
                ("164.312(e)(1)", "Transmission security"),
            ],
        ),
        _regime(
            "iso-27001",
            "ISO/IEC 27001:2022 Annex A",
            [
                ("A.5.17", "Authentication information", ("secrets",)),
                ("A.5.21", "Managing information security in the ICT supply chain"),
                ("A.8.2", "Privileged access rights"),
                ("A.8.8", "Management of technical vulnerabilities", ("vulnerabilities",)),
                ("A.8.9", "Configuration management"),
                ("A.8.19", "Installation of software on operational systems"),
            ],
        ),
    )
}


def control(regime: str, control_id: str) -> Control | None:
    found = REGIMES.get(regime)
    return found.control(control_id) if found else None


def parse_tag(tag: str) -> tuple[str, str] | None:
    """``compliance:<regime>:<control>`` -> (regime, control)."""
    prefix, _, rest = tag.partition(":")
    if prefix != "compliance":
        return None
    regime, sep, control_id = rest.partition(":")
    return (regime, control_id) if sep and regime and control_id else None


def tag(regime: str, control_id: str) -> str:
    return f"compliance:{regime}:{control_id}"
