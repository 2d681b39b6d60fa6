"""Which OSV ecosystem a package belongs to, and its package URL.

Ecosystem names are the OSV schema's (``ecosystems.json`` of ossf/osv-schema): language
formats have a fixed one (``PyPI``, ``npm``, ``Go``, ``Maven``, ...); distro packages get the
distribution and release from the image's os-release: ``Debian:12`` (numeric release, or the
codename without one), ``Ubuntu:22.04:LTS`` (the schema makes ``:LTS`` mandatory for LTS
releases), ``Alpine:v3.19`` (``v`` + major.minor), ``Rocky Linux:9``, ``AlmaLinux:9``,
``Red Hat`` (OSV scopes it by product CPE, which os-release does not tell), ``openSUSE:Leap
15.5`` and ``SUSE:Linux Enterprise Server 15 SP5`` (the PRETTY_NAME, as the schema says).
An OS the schema has no ecosystem for keeps a descriptive name and the inventory notes it.

Package URLs follow the purl specification's type definitions (``PURL-TYPES.rst``): ``deb``,
``apk`` and ``rpm`` with the distro as namespace and ``arch``/``distro`` (and ``epoch`` for
rpm) qualifiers, ``upstream`` naming a differing source package as syft writes it.
"""

from __future__ import annotations

from packageurl import PackageURL

from gate.analyzers.packages.found import FoundPackage
from gate.models import OSInfo

LANGUAGE_ECOSYSTEMS = {
    "python": "PyPI",
    "npm": "npm",
    "composer": "Packagist",
    "nuget": "NuGet",
    "rubygems": "RubyGems",
    "java": "Maven",
    "go": "Go",
    "rust": "crates.io",
}
_PURL_TYPES = {
    "python": "pypi", "npm": "npm", "composer": "composer", "nuget": "nuget",
    "rubygems": "gem", "java": "maven", "go": "golang", "rust": "cargo",
    "dpkg": "deb", "apk": "apk", "rpm-sqlite": "rpm", "rpm-bdb": "rpm", "rpm-ndb": "rpm",
}
FAMILY = {"dpkg": "deb", "apk": "apk", "rpm-sqlite": "rpm", "rpm-bdb": "rpm", "rpm-ndb": "rpm"}
_FAMILY_DEFAULT = {"deb": "Debian", "apk": "Alpine", "rpm": "Red Hat"}
_FAMILY_NAMESPACE = {"deb": "debian", "apk": "alpine", "rpm": "redhat"}
_RPM_VENDORS = {
    "rhel": "redhat", "centos": "centos", "rocky": "rocky", "almalinux": "almalinux",
    "fedora": "fedora", "amzn": "amazon", "ol": "oracle", "opensuse-leap": "opensuse",
    "opensuse-tumbleweed": "opensuse", "opensuse": "opensuse", "sles": "suse",
    "sle-micro": "suse", "sled": "suse", "mariner": "mariner", "azurelinux": "azurelinux",
    "photon": "photon",
}
_MAJOR_ONLY = {"rocky": "Rocky Linux", "almalinux": "AlmaLinux", "mageia": "Mageia",
               "azurelinux": "Azure Linux", "mariner": "Azure Linux"}
_UNVERSIONED = {"wolfi": "Wolfi", "chainguard": "Chainguard", "minimos": "MinimOS",
                "echo": "Echo"}
# No OSV ecosystem (as of the bundled schema); packages keep a descriptive name.
_NOT_IN_OSV = {"centos": "CentOS", "fedora": "Fedora", "amzn": "Amazon Linux",
               "ol": "Oracle Linux", "raspbian": "Raspbian", "linuxmint": "Linux Mint"}


# The package family each known OS uses: an rpm database in an Alpine image is not Alpine's.
_OS_FAMILY = {
    **dict.fromkeys(("debian", "ubuntu", "raspbian", "linuxmint", "kali", "pop"), "deb"),
    **dict.fromkeys(("alpine", "wolfi", "chainguard", "minimos", "postmarketos"), "apk"),
    **dict.fromkeys(("rhel", "centos", "rocky", "almalinux", "fedora", "amzn", "ol",
                     "mariner", "azurelinux", "photon", "mageia", "openeuler", "opensuse",
                     "opensuse-leap", "opensuse-tumbleweed", "sles", "sled", "sle-micro",
                     "sl-micro"), "rpm"),
}


def os_for_family(os_info: OSInfo | None, family: str) -> OSInfo | None:
    """The image's OS if its packages are of ``family``; None for a foreign database."""
    if os_info is None:
        return None
    known = _OS_FAMILY.get(os_info.id)
    if known is None and os_info.id.startswith(("opensuse", "sle", "sl-")):
        known = "rpm"
    return os_info if known in (None, family) else None


def _major(version: str) -> str:
    return version.split(".")[0]


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def distro_ecosystem(os_info: OSInfo | None, family: str) -> tuple[str, bool]:
    """(ecosystem, known to OSV) for a distro package of ``family`` (deb, apk, rpm)."""
    os_info = os_for_family(os_info, family)
    if os_info is None:
        return _FAMILY_DEFAULT[family], False
    os_id, version = os_info.id, os_info.version_id
    if os_id == "debian":
        release = _major(version) if version else os_info.version_codename
        return (f"Debian:{release}" if release else "Debian"), True
    if os_id == "ubuntu" and version:
        # os-release says "22.04.3 LTS"; without a PRETTY_NAME (an SBOM's distro qualifier)
        # the release number tells: LTS releases are the April releases of even years.
        year, _, month = _major_minor(version).partition(".")
        if os_info.pretty_name:
            is_lts = "LTS" in os_info.pretty_name.upper().split()
        else:
            is_lts = month == "04" and year.isdigit() and int(year) % 2 == 0
        lts = ":LTS" if is_lts else ""
        return f"Ubuntu:{_major_minor(version)}{lts}", True
    if os_id == "alpine" and version:
        return f"Alpine:v{_major_minor(version)}", True
    if os_id == "rhel":
        return "Red Hat", True
    if os_id in _MAJOR_ONLY and version:
        return f"{_MAJOR_ONLY[os_id]}:{_major(version)}", True
    if os_id in _UNVERSIONED:
        return _UNVERSIONED[os_id], True
    if os_id == "photon" and version:
        return f"Photon OS:{version}", True
    if os_id.startswith("opensuse") and os_info.pretty_name:
        return "openSUSE:" + os_info.pretty_name.removeprefix("openSUSE").strip(), True
    if os_id.startswith(("sles", "sle", "sl-")) and os_info.pretty_name:
        return "SUSE:" + os_info.pretty_name.removeprefix("SUSE").strip(), True
    if os_id in _NOT_IN_OSV:
        name = _NOT_IN_OSV[os_id]
        return (f"{name}:{_major(version)}" if version else name), False
    return _FAMILY_DEFAULT[family], False


def package_url(fmt: str, package: FoundPackage, os_info: OSInfo | None) -> str | None:
    """The purl of a found package (None when the name cannot form one)."""
    purl_type = _PURL_TYPES.get(fmt)
    if purl_type is None:
        return None
    namespace: str | None = None
    name = package.name
    version = package.version
    qualifiers: dict[str, str] = {}
    family = FAMILY.get(fmt)
    if family is not None:
        os_info = os_for_family(os_info, family)
        if family == "rpm":
            namespace = _RPM_VENDORS.get(os_info.id, os_info.id) if os_info else "redhat"
            if package.epoch:
                qualifiers["epoch"] = str(package.epoch)
                version = version.split(":", 1)[1] if ":" in version else version
        else:
            namespace = os_info.id if os_info else _FAMILY_NAMESPACE[family]
        if package.arch:
            qualifiers["arch"] = package.arch
        if os_info and os_info.version_id:
            qualifiers["distro"] = f"{os_info.id}-{os_info.version_id}"
        if package.source_name and package.source_name != package.name:
            qualifiers["upstream"] = package.source_name
    elif purl_type in ("npm", "composer") and "/" in name:
        namespace, name = name.rsplit("/", 1)
    elif purl_type == "golang" and name != "stdlib":
        namespace, _, name = name.rpartition("/")
        namespace = namespace or None
        version = "v" + version if version[:1].isdigit() else version
    elif purl_type == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    try:
        return PackageURL(type=purl_type, namespace=namespace, name=name, version=version,
                          qualifiers=qualifiers or None).to_string()
    except ValueError:
        return None
