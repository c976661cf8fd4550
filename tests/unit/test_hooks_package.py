"""The hooks travel with the schema into the package, and are found beside the packaged copy."""

from __future__ import annotations

from pathlib import Path

from chalicelib.hooks.module import hooks_path
from chalicelib.schema import load_schema_file
from tooling.deploy.package import PACKAGED_SCHEMA, copy_schema

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_package_carries_the_hooks_beside_its_schema(tmp_path: Path) -> None:
    (tmp_path / "chalicelib").mkdir()
    packaged = copy_schema(ROOT / "examples" / "blog.graphql", tmp_path)
    assert packaged == tmp_path / PACKAGED_SCHEMA
    assert hooks_path(packaged) == tmp_path / "chalicelib" / "package-schema.py"
    assert hooks_path(packaged).read_text() == (ROOT / "examples" / "blog.py").read_text()
    assert [f.label for f in load_schema_file(packaged).extensions.fields] == [
        "Post.wordCount",
        "Query.drafts",
        "Mutation.publishPost",
    ]


def test_a_schema_without_hooks_leaves_no_stale_module_in_the_package(tmp_path: Path) -> None:
    (tmp_path / "chalicelib").mkdir()
    copy_schema(ROOT / "examples" / "blog.graphql", tmp_path)
    packaged = copy_schema(ROOT / "examples" / "cities.graphql", tmp_path)
    assert not hooks_path(packaged).exists()
