"""The local server's bucket kept on disk (tooling/local/object_files.py, kept_files.py): keys are
paths under the objects' folder only, an object written, replaced or removed is so on disk, and
what moto's S3 wrote is put back into it at start."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tooling.local.dynamodb import LocalDynamoDB
from tooling.local.kept_data import KeptData
from tooling.local.kept_files import KeptFiles
from tooling.local.object_files import INDEX, ObjectFiles, StoredObject, UnsafeKey

PNG = StoredObject(b"\x89PNG pixels", {"Content-Type": "image/png"}, "2026-01-02T03:04:05.678901")
TEXT = StoredObject(b"words", {"Content-Type": "text/plain"}, "2026-01-02T03:04:06")


def _kept(files: ObjectFiles) -> dict[str, StoredObject]:
    """What a start reads back, as a new server would (the index read anew)."""
    return dict(ObjectFiles(files.folder).read())


@pytest.mark.parametrize("key", ["../outside", "/etc/passwd", "files/../../outside", "a//b", "a/./b", "a/", "", "a\0b"])
def test_a_key_that_is_no_plain_relative_path_is_not_kept(tmp_path: Path, key: str) -> None:
    files = ObjectFiles(tmp_path / "data")
    with pytest.raises(UnsafeKey):
        files.path_of(key)
    assert files.write([(key, TEXT), ("files/ok", TEXT)]) == [key]
    assert _kept(files) == {"files/ok": TEXT}
    assert sorted(path.name for path in tmp_path.rglob("*") if path.is_file()) == [INDEX, "ok"]


def test_a_link_among_the_objects_does_not_lead_out(tmp_path: Path) -> None:
    files = ObjectFiles(tmp_path / "data")
    files.root.mkdir(parents=True)
    (files.root / "files").symlink_to(tmp_path)
    assert files.path_of("uploads/x") == files.root / "uploads" / "x"
    with pytest.raises(UnsafeKey):
        files.path_of("files/x")


def test_objects_are_written_replaced_and_removed(tmp_path: Path) -> None:
    files = ObjectFiles(tmp_path)
    assert files.write([("uploads/a", PNG), ("files/b", TEXT)]) == []
    assert _kept(files) == {"uploads/a": PNG, "files/b": TEXT}
    assert (files.root / "uploads" / "a").read_bytes() == PNG.body
    # Moved, as the API moves an upload: the copy written, the upload removed (its folder too).
    files.write([("files/a", PNG), ("uploads/a", None), ("files/b", PNG)])
    assert _kept(files) == {"files/a": PNG, "files/b": PNG}
    assert not (files.root / "uploads").exists()
    files.write([("files/never-kept", None)])
    assert set(json.loads((tmp_path / INDEX).read_text())) == {"files/a", "files/b"}
    files.discard()
    assert _kept(files) == {}
    assert not files.root.exists()


def test_an_index_entry_without_its_bytes_or_leading_outside_is_not_restored(tmp_path: Path) -> None:
    files = ObjectFiles(tmp_path / "data")
    files.write([("files/kept", TEXT), ("files/lost", TEXT)])
    (files.root / "files" / "lost").unlink()
    index = json.loads((files.folder / INDEX).read_text())
    (tmp_path / "secret").write_bytes(b"not an object")
    index["../../secret"] = index["files/kept"]
    (files.folder / INDEX).write_text(json.dumps(index))
    assert _kept(files) == {"files/kept": TEXT}


def test_what_moto_wrote_is_kept_and_put_back(tmp_path: Path, dynamodb: LocalDynamoDB) -> None:
    s3 = boto3.client("s3", endpoint_url=dynamodb.url, region_name="us-east-1")
    bucket, other = "kept-files-test", "kept-files-other"
    for name in (bucket, other):
        s3.create_bucket(Bucket=name)
    kept = KeptData(tmp_path, "us-east-1", dynamodb.lock, frozenset(), KeptFiles(tmp_path, bucket))
    kept.claim()
    kept.restore(dynamodb.url)
    kept.start()
    s3.put_object(Bucket=bucket, Key="uploads/u", Body=b"bytes", ContentType="image/png")
    s3.put_object(Bucket=bucket, Key="uploads/gone", Body=b"x")
    s3.put_object(Bucket=other, Key="uploads/elsewhere", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="files/u", CopySource={"Bucket": bucket, "Key": "uploads/u"})
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "uploads/u"}, {"Key": "uploads/gone"}]})
    before = s3.head_object(Bucket=bucket, Key="files/u")
    kept.stop()
    assert set(dict(ObjectFiles(tmp_path).read())) == {"files/u"}

    s3.delete_object(Bucket=bucket, Key="files/u")
    again = KeptData(tmp_path, "us-east-1", dynamodb.lock, frozenset(), KeptFiles(tmp_path, bucket))
    again.claim()
    assert again.restore(dynamodb.url) == (0, 1)
    again.stop()
    assert s3.get_object(Bucket=bucket, Key="files/u")["Body"].read() == b"bytes"
    after = s3.head_object(Bucket=bucket, Key="files/u")
    for name in ("ContentType", "ContentLength", "ETag", "LastModified"):
        assert after[name] == before[name], name


def test_a_key_whose_path_another_key_holds_is_not_kept(tmp_path: Path) -> None:
    # S3 has no folders: `a` and `a/b` are two objects; on disk one name cannot be both.
    files = ObjectFiles(tmp_path)
    assert files.write([("a", TEXT), ("a/b", PNG)]) == ["a/b"]
    assert files.write([("c/d", PNG)]) == []
    assert files.write([("c", TEXT), ("e", TEXT)]) == ["c"]
    assert _kept(files) == {"a": TEXT, "c/d": PNG, "e": TEXT}
