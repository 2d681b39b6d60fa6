"""End of life of distribution releases: a dated table, shipped in the package.

Dates are the end of all free security updates as the vendors publish them: Debian's end of
LTS (wiki.debian.org/LTS), Ubuntu's end of standard support (ubuntu.com/about/release-cycle; ESM
needs an Ubuntu Pro subscription), Alpine's end of support (alpinelinux.org/releases: two years
per branch), Red Hat's end of maintenance support for RHEL and UBI (access.redhat.com/support/
policy/updates/errata; Rocky Linux and AlmaLinux follow the same dates), Amazon Linux's end of
support (aws.amazon.com/amazon-linux-2/faqs, amazon-linux-2023 release notes). Releases older
than the oldest one listed for a distribution are past end of life too.

The table is only as current as :data:`EOL_TABLE_DATE`; reports show that date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gate.models import OSInfo

EOL_TABLE_DATE = "2026-12-01"
"""When the table below was last checked against the vendors' pages."""

_D = dt.date.fromisoformat
_RHEL = {"6": _D("2020-11-30"), "7": _D("2024-06-30"), "8": _D("2029-05-31"),
         "9": _D("2032-05-31"), "10": _D("2035-05-31")}  # fmt: skip
TABLE: dict[str, dict[str, dt.date]] = {
    "debian": {
        "7": _D("2018-05-31"), "8": _D("2020-06-30"), "9": _D("2022-06-30"),
        "10": _D("2024-06-30"), "11": _D("2026-08-31"), "12": _D("2028-06-30"),
        "13": _D("2030-06-30"),
    },
    "ubuntu": {
        "14.04": _D("2019-04-30"), "16.04": _D("2021-04-30"), "18.04": _D("2023-05-31"),
        "20.04": _D("2025-05-31"), "20.10": _D("2021-07-22"), "21.04": _D("2022-01-20"),
        "21.10": _D("2022-07-14"), "22.04": _D("2027-06-01"), "22.10": _D("2023-07-20"),
        "23.04": _D("2024-01-25"), "23.10": _D("2024-07-11"), "24.04": _D("2029-05-31"),
        "24.10": _D("2025-07-10"), "25.04": _D("2026-01-15"), "25.10": _D("2026-07-09"),
    },
    "alpine": {
        "3.8": _D("2020-05-01"), "3.9": _D("2021-01-01"), "3.10": _D("2021-05-01"),
        "3.11": _D("2021-11-01"), "3.12": _D("2022-05-01"), "3.13": _D("2022-11-01"),
        "3.14": _D("2023-05-01"), "3.15": _D("2023-11-01"), "3.16": _D("2024-05-23"),
        "3.17": _D("2024-11-22"), "3.18": _D("2025-05-09"), "3.19": _D("2025-11-01"),
        "3.20": _D("2026-04-01"), "3.21": _D("2026-11-01"), "3.22": _D("2027-05-01"),
        "3.23": _D("2027-11-01"),
    },
    "rhel": _RHEL,
    "rocky": {k: v for k, v in _RHEL.items() if k in ("8", "9", "10")},
    "almalinux": {k: v for k, v in _RHEL.items() if k in ("8", "9", "10")},
    "centos": {"6": _D("2020-11-30"), "7": _D("2024-06-30"), "8": _D("2024-05-31"),
               "9": _D("2027-05-31")},
    "amzn": {"2018.03": _D("2023-12-31"), "2": _D("2026-06-30"), "2023": _D("2029-06-30")},
}


@dataclass(frozen=True)
class EolStatus:
    release: str
    """The table key matched (``12``, ``22.04``, ``3.19``)."""
    eol: dt.date | None
    """None: older than every listed release (long past end of life)."""
    past: bool


def release_key(info: OSInfo) -> str | None:
    """The table key for an OS: Debian/RHEL major, Ubuntu YY.MM, Alpine major.minor."""
    version = info.version_id.strip()
    if not version:
        return None
    if info.id in ("debian", "rhel", "rocky", "almalinux", "centos"):
        return version.split(".")[0]
    if info.id == "alpine":
        m = re.match(r"(\d+)\.(\d+)", version)
        return f"{m.group(1)}.{m.group(2)}" if m else None
    return version


def eol_status(info: OSInfo, today: dt.date) -> EolStatus | None:
    """None when the distribution or release is not in the table (unknown, or newer)."""
    releases = TABLE.get(info.id)
    key = release_key(info)
    if releases is None or key is None:
        return None
    if key in releases:
        eol = releases[key]
        return EolStatus(key, eol, today > eol)
    if _older_than_all(key, releases):
        return EolStatus(key, None, True)
    return None


def _older_than_all(key: str, releases: dict[str, dt.date]) -> bool:
    def number(text: str) -> tuple[int, ...] | None:
        parts = text.split(".")
        return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None

    wanted = number(key)
    known = [n for n in (number(k) for k in releases) if n is not None]
    return wanted is not None and bool(known) and wanted < min(known)
