"""Every image rule on real OCI layouts written by gate.testing.image_writer, through the
pipeline (layer walk with the configuration file analyzers, then the check)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gate.analyzers.config.rules import RULES
from gate.layer_walk import WalkOptions
from gate.models import Check, Finding, LocationKind, Report, Severity
from gate.pipeline import GateRequest, run_gate
from gate.policy.loader import load_policy
from gate.testing.image_writer import Dir, File, History, ImageSpec, Symlink, write_oci_layout

TODAY = dt.date(2026, 12, 1)
API_KEY = "Zk29fLq8" + "XbT1mN4v" + "R7sW0pYc"
DEBIAN_12 = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
DEBIAN_9 = b'PRETTY_NAME="Debian GNU/Linux 9 (stretch)"\nID=debian\nVERSION_ID="9"\n'
PASSWD = b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\ntoor:x:0:0::/:/bin/sh\n"
GOOD_CONFIG: dict[str, Any] = {
    "User": "1000",
    "Healthcheck": {"Test": ["CMD", "/app/health"]},
    "Labels": {
        "org.opencontainers.image.source": "https://example.invalid/app",
        "org.opencontainers.image.revision": "0123abcd",
    },
}


def base_layer(os_release: bytes = DEBIAN_12, **extra: Any) -> dict[str, Any]:
    return {
        "/etc": Dir(),
        "/etc/os-release": File(os_release),
        "/etc/passwd": File(PASSWD),
        "/tmp": Dir(mode=0o1777),
        "/usr/bin": Dir(),
        "/usr/bin/passwd": File(b"\x7fELF", mode=0o4755),
        **extra,
    }


def check(
    tmp_path: Path,
    own: dict[str, Any] | None = None,
    *,
    config: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
    created: str = "2026-11-30T00:00:00Z",
    **policy_config: Any,
) -> Report:
    layers = [base if base is not None else base_layer()]
    history = [History("debootstrap"), History('CMD ["bash"]', empty_layer=True)]
    if own is not None:
        layers.append(own)
        history.append(History("COPY app /app # buildkit"))
    spec = ImageSpec(layers=layers, config=config if config is not None else GOOD_CONFIG,
                     history=history, created=created)
    layout = tmp_path / "layout"
    write_oci_layout(layout, spec, tag="app")
    policy = load_policy(None)
    if policy_config:
        policy = dataclasses.replace(
            policy, config=dataclasses.replace(policy.config, **policy_config)
        )
    request = GateRequest(
        policy=policy, policy_path="default", image_ref=f"oci:{layout}:app",
        checks=(Check.CONFIG,), walk=WalkOptions(cache_dir=None, jobs=1), today=TODAY,
    )
    return run_gate(request)


def findings(report: Report, rule_id: str | None = None) -> list[Finding]:
    return [e.finding for e in report.decision.findings
            if rule_id is None or e.finding.rule_id == rule_id]


def test_a_clean_image_has_only_the_base_tools(tmp_path: Path) -> None:
    report = check(tmp_path, {"/app": Dir(), "/app/run": File(b"x", mode=0o755)})
    assert {f.rule_id for f in findings(report)} == set()
    ran = {r.id for r in report.checks[0].rules}
    image_rules = {r.id for r in RULES if r.sources == ("image",)} - {"config/image-too-old"}
    assert image_rules <= ran


@pytest.mark.parametrize(
    ("user", "root"), [("", True), ("0", True), ("root:root", True), ("toor", True),
                       ("app", False), ("1000:1000", False)],
)
def test_user_root(tmp_path: Path, user: str, root: bool) -> None:
    report = check(tmp_path, config={**GOOD_CONFIG, "User": user})
    hits = findings(report, "config/user-root")
    assert bool(hits) is root
    if root:
        assert hits[0].location.kind is LocationKind.IMAGE_CONFIG
        assert hits[0].location.path == "User"


def test_secret_env(tmp_path: Path) -> None:
    bad = check(tmp_path, config={**GOOD_CONFIG, "Env": [f"API_KEY={API_KEY}", "PATH=/bin"]})
    hit = findings(bad, "config/secret-in-env")
    assert len(hit) == 1 and hit[0].evidence == "Zk29****"
    assert API_KEY not in repr(bad)
    good = check(tmp_path, config={**GOOD_CONFIG, "Env": ["API_KEY_FILE=/run/secrets/k"]})
    assert not findings(good, "config/secret-in-env")


def test_remote_shell_ports(tmp_path: Path) -> None:
    bad = check(tmp_path, config={**GOOD_CONFIG, "ExposedPorts": {"23/tcp": {}, "80/tcp": {}}})
    hit = findings(bad, "config/exposed-remote-shell-port")
    assert len(hit) == 1 and hit[0].severity is Severity.HIGH
    good = check(tmp_path, config={**GOOD_CONFIG, "ExposedPorts": {"2222/tcp": {}}})
    assert not findings(good, "config/exposed-remote-shell-port")


def test_healthcheck_and_labels(tmp_path: Path) -> None:
    report = check(tmp_path, config={"User": "1000", "Labels": {
        "org.opencontainers.image.source": "https://example.invalid/app"}})
    assert len(findings(report, "config/no-healthcheck")) == 1
    labels = findings(report, "config/missing-provenance-label")
    assert [f.location.path for f in labels] == ["Labels.org.opencontainers.image.revision"]
    off = check(tmp_path, config={"User": "1000", "Healthcheck": {"Test": ["NONE"]}},
                required_labels=())
    assert len(findings(off, "config/no-healthcheck")) == 1
    assert "config/missing-provenance-label" not in {r.id for r in off.checks[0].rules}


def test_image_age(tmp_path: Path) -> None:
    old = check(tmp_path, created="2024-01-01T00:00:00Z", max_image_age_days=90)
    hit = findings(old, "config/image-too-old")
    assert len(hit) == 1 and hit[0].properties["age_days"] == (TODAY - dt.date(2024, 1, 1)).days
    assert not findings(check(tmp_path, created="2026-11-20T10:00:00.123456789Z",
                              max_image_age_days=90), "config/image-too-old")


def test_setuid_only_from_the_images_own_layers(tmp_path: Path) -> None:
    report = check(tmp_path, {"/app": Dir(), "/app/helper": File(b"x", mode=0o4755),
                              "/app/group": File(b"x", mode=0o2755)})
    hits = findings(report, "config/setuid-file")
    assert sorted(f.location.path for f in hits) == ["/app/group", "/app/helper"]
    helper = next(f for f in hits if f.location.path == "/app/helper")
    assert helper.severity is Severity.HIGH and helper.location.layer is not None
    assert helper.location.layer.index == 1
    assert report.checks[0].metadata["own_layers_from"] == 1
    # /usr/bin/passwd (setuid, base layer) is the base image's business.
    assert not check(tmp_path, {"/app": Dir()}).decision.findings


def test_world_writable_outside_tmp(tmp_path: Path) -> None:
    report = check(tmp_path, {"/app": Dir(mode=0o777), "/app/conf": File(b"", mode=0o666),
                              "/app/link": Symlink("conf"), "/tmp/x": File(b"", mode=0o666)})
    paths = sorted(f.location.path for f in findings(report, "config/world-writable-path"))
    assert paths == ["/app", "/app/conf"]


def test_tools_present(tmp_path: Path) -> None:
    own = {"/usr/bin/gcc-12": File(b"x", mode=0o755), "/usr/bin/gcc": Symlink("gcc-12"),
           "/usr/bin/apt-get": File(b"x", mode=0o755), "/bin": Dir(),
           "/bin/sh": Symlink("dash"), "/usr/share/doc/make": File(b"", mode=0o755)}
    report = check(tmp_path, own)
    assert [f.properties["tool"] for f in findings(report, "config/compiler-present")] == ["cc"]
    assert [f.properties["tool"] for f in findings(report, "config/package-manager-present")] == [
        "dpkg"]
    assert [f.properties["tool"] for f in findings(report, "config/shell-present")] == ["sh"]


def test_one_finding_per_tool_family(tmp_path: Path) -> None:
    """apt, apt-get and dpkg are one Debian package system, pip, pip3 and pip3.11 one pip,
    bash, dash and sh one Bourne shell family: one finding each, every path in its
    properties, located at the name the earliest layer added."""
    exe = File(b"\x7fELF", mode=0o755)
    base = base_layer(**{"/bin": Dir(), "/bin/bash": exe, "/bin/dash": exe,
                         "/bin/sh": Symlink("dash"), "/usr/bin/dpkg": exe})
    own = {"/usr/bin/apt": exe, "/usr/bin/apt-get": exe, "/usr/local/bin": Dir(),
           "/usr/local/bin/pip": exe, "/usr/local/bin/pip3": exe,
           "/usr/local/bin/pip3.11": exe, "/usr/bin/zsh": exe, "/usr/bin/tcsh": exe}
    report = check(tmp_path, own, base=base)
    managers = {f.properties["tool"]: f
                for f in findings(report, "config/package-manager-present")}
    assert set(managers) == {"dpkg", "pip"}
    dpkg, pip = managers["dpkg"], managers["pip"]
    assert dpkg.properties["paths"] == ("/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/dpkg")
    # dpkg came with the base layer: the family is attributed to it, not to apt's layer
    assert dpkg.location.path == "/usr/bin/dpkg" and dpkg.location.layer is not None
    assert dpkg.location.layer.index == 0
    assert pip.properties["paths"] == (
        "/usr/local/bin/pip", "/usr/local/bin/pip3", "/usr/local/bin/pip3.11")
    assert pip.message == ("package manager pip present in the final image (/usr/local/bin/pip, "
                           "/usr/local/bin/pip3, /usr/local/bin/pip3.11)")
    assert pip.location.layer is not None and pip.location.layer.index == 1
    shells = {f.properties["tool"]: f for f in findings(report, "config/shell-present")}
    assert set(shells) == {"sh", "csh"}
    assert shells["sh"].properties["paths"] == ("/bin/bash", "/bin/dash", "/bin/sh",
                                                "/usr/bin/zsh")
    assert shells["sh"].location.path == "/bin/bash"  # base layer, sorted
    # the fingerprint is the family's: the same when a name is added or removed
    fewer = check(tmp_path, {"/usr/local/bin": Dir(), "/usr/local/bin/pip3": exe}, base=base)
    (alone,) = [f for f in findings(fewer, "config/package-manager-present")
                if f.properties["tool"] == "pip"]
    assert alone.fingerprint == pip.fingerprint
    assert alone.properties["paths"] == ("/usr/local/bin/pip3",)
    assert dpkg.fingerprint != pip.fingerprint


def test_os_end_of_life_with_the_table_date(tmp_path: Path) -> None:
    report = check(tmp_path, base=base_layer(DEBIAN_9))
    hit = findings(report, "config/os-end-of-life")
    assert len(hit) == 1 and hit[0].severity is Severity.HIGH
    assert "2022-06-30" in hit[0].message and "EOL table of" in hit[0].message
    assert report.checks[0].metadata["os_eol_table_date"] == hit[0].properties["eol_table_date"]
    fresh = check(tmp_path)
    assert not findings(fresh, "config/os-end-of-life")
    assert fresh.checks[0].metadata["os_eol"] == "2028-06-30"


def test_os_unknown_to_the_table_is_a_note_not_a_pass(tmp_path: Path) -> None:
    release = b'ID=debian\nVERSION_ID="99"\n'
    report = check(tmp_path, base=base_layer(release))
    assert not findings(report, "config/os-end-of-life")
    assert any(n.kind == "os-eol-unknown" for n in report.checks[0].notes)
