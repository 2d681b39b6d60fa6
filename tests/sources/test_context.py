"""The build context listing: what a ``COPY . .`` would bake in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gate.errors import InputError
from gate.sources.context import load_context


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def _paths(root: Path) -> list[str]:
    return [f.path for f in load_context(root).files]


def test_lists_every_file_without_dockerignore(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {"Dockerfile": "FROM x\n", "app/main.py": "print()\n", ".git/config": "[core]\n"},
    )
    ctx = load_context(tmp_path)
    # Docker sends .git unless .dockerignore excludes it.
    assert [f.path for f in ctx.files] == [".git/config", "Dockerfile", "app/main.py"]
    assert ctx.ignored == 0 and ctx.dockerignore is None
    main = next(f for f in ctx.files if f.path == "app/main.py")
    assert main.size == len("print()\n")


def test_dockerignore_with_exceptions_and_directories(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".dockerignore": "# build context\n.git\nnode_modules\n*.md\n!README.md\nsecrets/\n"
            "**/*.pem\n!keep/**/*.pem\n",
            "Dockerfile": "FROM x\n",
            ".git/HEAD": "ref\n",
            "node_modules/a/index.js": "x\n",
            "node_modules/b/index.js": "x\n",
            "README.md": "r\n",
            "CHANGES.md": "c\n",
            "docs/guide.md": "top-level *.md does not cross /\n",
            "secrets/prod.env": "TOKEN=1\n",
            "certs/server.pem": "k\n",
            "keep/deep/ca.pem": "k\n",
            "src/app.py": "x\n",
        },
    )
    ctx = load_context(tmp_path)
    assert [f.path for f in ctx.files] == [
        ".dockerignore",
        "Dockerfile",
        "README.md",
        "docs/guide.md",
        "keep/deep/ca.pem",
        "src/app.py",
    ]
    # .git/HEAD, 2 x node_modules, CHANGES.md, secrets/prod.env, certs/server.pem
    assert ctx.ignored == 6
    assert ctx.dockerignore == tmp_path.resolve() / ".dockerignore"


def test_dockerfile_and_dockerignore_are_sent_even_if_excluded(tmp_path: Path) -> None:
    _tree(tmp_path, {".dockerignore": "*\n", "Dockerfile": "FROM x\n", "app.py": "x\n"})
    assert _paths(tmp_path) == [".dockerignore", "Dockerfile"]


def test_dockerfile_specific_ignore_file_takes_precedence(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".dockerignore": "*.txt\n",
            "build/api.Dockerfile": "FROM x\n",
            "build/api.Dockerfile.dockerignore": "*.log\n",
            "a.txt": "t\n",
            "b.log": "l\n",
        },
    )
    dockerfile = tmp_path / "build" / "api.Dockerfile"
    ctx = load_context(tmp_path, dockerfile=dockerfile)
    assert ctx.dockerignore == dockerfile.resolve().with_name("api.Dockerfile.dockerignore")
    assert "a.txt" in [f.path for f in ctx.files]
    assert "b.log" not in [f.path for f in ctx.files]
    # Without the Dockerfile, the context's own .dockerignore applies.
    assert "a.txt" not in _paths(tmp_path)


def test_symlinks_are_not_followed_out_of_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _tree(outside, {"secret.txt": "TOKEN\n", "dir/inner.txt": "x\n"})
    root = tmp_path / "ctx"
    _tree(root, {"app.py": "x\n"})
    os.symlink(outside / "secret.txt", root / "link.txt")
    os.symlink(outside / "dir", root / "linkdir")
    os.symlink("/nonexistent/target", root / "dangling")
    assert _paths(root) == ["app.py"]


def test_missing_or_bad_context_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does-not-exist"):
        load_context(tmp_path / "does-not-exist")
    file_path = tmp_path / "file"
    file_path.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        load_context(file_path)
    _tree(tmp_path / "bad", {".dockerignore": "[\n", "a": "x"})
    with pytest.raises(InputError, match=r"\.dockerignore"):
        load_context(tmp_path / "bad")


def test_repo_prefix(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _tree(tmp_path, {"services/api/Dockerfile": "FROM x\n"})
    ctx = load_context(tmp_path / "services" / "api")
    assert ctx.repo_prefix == "services/api/"
    assert load_context(tmp_path / "services" / "api", repo_root=tmp_path).repo_prefix == (
        "services/api/"
    )
    assert load_context(tmp_path).repo_prefix == ""
    with pytest.raises(InputError, match="not inside"):
        load_context(tmp_path, repo_root=tmp_path / "services")
