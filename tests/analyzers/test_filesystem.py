"""The layered filesystem view: whiteouts, opaque directories, overwrites (OCI layer.md)."""

from __future__ import annotations

from gate.analyzers.filesystem import FilesystemView, PathAction
from gate.analyzers.interface import LayerScan
from gate.models import LayerRef
from gate.sources.image.model import EntryMeta, EntryType


def _layer(index: int, *entries: EntryMeta) -> LayerScan:
    ref = LayerRef(index=index, digest=f"sha256:{index:064x}", diff_id=f"sha256:{index:064x}",
                   created_by=f"step {index}")
    return LayerScan(layer=ref, entries=entries, records={})


def _file(path: str, size: int = 1) -> EntryMeta:
    return EntryMeta(path=path, type=EntryType.FILE, mode=0o644, size=size)


def _dir(path: str) -> EntryMeta:
    return EntryMeta(path=path, type=EntryType.DIR, mode=0o755, size=0)


def _whiteout(path: str) -> EntryMeta:
    return EntryMeta(path=path, type=EntryType.FILE, mode=0, size=0, whiteout=True)


def _opaque(path: str) -> EntryMeta:
    return EntryMeta(path=path, type=EntryType.FILE, mode=0, size=0, opaque=True)


def test_added_modified_deleted_history() -> None:
    view = FilesystemView.from_layers([
        _layer(0, _dir("/app"), _file("/app/.env")),
        _layer(1, _file("/app/.env", 2)),
        _layer(2, _whiteout("/app/.env")),
    ])
    actions = [(e.layer_index, e.action) for e in view.history("/app/.env")]
    assert actions == [(0, PathAction.ADDED), (1, PathAction.MODIFIED), (2, PathAction.DELETED)]
    assert view.removed_in("/app/.env", 0) == view.layer(1)
    assert view.removed_in("/app/.env", 1) == view.layer(2)
    assert not view.exists("/app/.env")
    assert view.exists("/app")


def test_whiteout_of_directory_deletes_subtree_but_not_same_layer_entries() -> None:
    view = FilesystemView.from_layers([
        _layer(0, _dir("/data"), _file("/data/a"), _dir("/data/sub"), _file("/data/sub/b")),
        _layer(1, _whiteout("/data"), _dir("/data"), _file("/data/c")),
    ])
    assert not view.exists("/data/a")
    assert not view.exists("/data/sub/b")
    assert view.exists("/data/c")
    assert view.removed_in("/data/sub/b", 0) == view.layer(1)
    assert view.final("/data/c") is not None
    assert [m.path for m, _ in view.final_entries()] == ["/data", "/data/c"]


def test_opaque_directory_hides_lower_children_only() -> None:
    view = FilesystemView.from_layers([
        _layer(0, _dir("/etc"), _dir("/etc/app"), _file("/etc/app/old.conf"), _file("/etc/keep")),
        _layer(1, _opaque("/etc/app"), _file("/etc/app/new.conf")),
    ])
    assert not view.exists("/etc/app/old.conf")
    assert view.exists("/etc/app/new.conf")
    assert view.exists("/etc/app")
    assert view.exists("/etc/keep")
    assert view.removed_in("/etc/app/old.conf", 0) == view.layer(1)


def test_file_replacing_directory_hides_its_children() -> None:
    view = FilesystemView.from_layers([
        _layer(0, _dir("/opt/tool"), _file("/opt/tool/secret")),
        _layer(1, _file("/opt/tool")),
    ])
    assert not view.exists("/opt/tool/secret")
    final = view.final("/opt/tool")
    assert final is not None and final[0].type is EntryType.FILE and final[1].index == 1


def test_implicit_parent_directories_are_followed_by_whiteouts() -> None:
    # Real layers often omit parent directory entries.
    view = FilesystemView.from_layers([
        _layer(0, _file("/root/.aws/credentials")),
        _layer(1, _whiteout("/root/.aws")),
    ])
    assert not view.exists("/root/.aws/credentials")
    assert view.removed_in("/root/.aws/credentials", 0) == view.layer(1)


def test_untouched_path_is_never_removed() -> None:
    view = FilesystemView.from_layers([_layer(0, _file("/bin/sh")), _layer(1, _file("/app/x"))])
    assert view.removed_in("/bin/sh", 0) is None
    assert view.history("/nope") == ()


def test_view_of_some_paths_agrees_with_the_full_view() -> None:
    layers = [
        _layer(0, _dir("/data"), _file("/data/a"), _dir("/data/sub"), _file("/data/sub/b"),
               _dir("/etc"), _dir("/etc/app"), _file("/etc/app/old.conf"), _file("/opt/tool/x"),
               _file("/keep")),
        _layer(1, _whiteout("/data"), _dir("/data"), _file("/data/c"), _opaque("/etc/app"),
               _file("/keep", 2)),
        _layer(2, _file("/opt/tool"), _whiteout("/data/c")),
    ]
    full = FilesystemView.from_layers(layers)
    paths = ["/data/a", "/data/sub/b", "/data/c", "/etc/app/old.conf", "/opt/tool/x", "/keep"]
    some = FilesystemView.from_layers(layers, paths=paths)
    for path in paths:
        assert some.history(path) == full.history(path), path
        assert some.exists(path) == full.exists(path), path
        for index in range(3):
            assert some.removed_in(path, index) == full.removed_in(path, index), (path, index)
    # Paths it was not asked about are not tracked.
    assert some.history("/etc/keep") == () and not some.exists("/unrelated")
