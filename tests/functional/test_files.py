"""File fields through the API: a file uploaded and downloaded through presigned URLs against
moto's S3 over real HTTP, other callers refused, tokens single use, objects removed with what
lets go of them, and the bucket and its policy only for a schema with a File field."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from chalicelib.access.context import RequestContext
from chalicelib.errors import INVALID_INPUT, INVALID_TOKEN, PERMISSION_DENIED, RECORD_NOT_FOUND
from chalicelib.files.layout import FILES, UPLOADS, upload_key
from chalicelib.files.service import Files
from chalicelib.files.settings import FileSettings
from chalicelib.files.settling import perform
from chalicelib.files.tokens import UploadTokens, caller_of
from chalicelib.ratelimit.answer import TOO_MANY_REQUESTS
from chalicelib.settings import Settings, StartupError
from chalicelib.stages import stage_environment
from chalicelib.store.changes import ObjectWork
from chalicelib.store.cleanup import Report
from chalicelib.store.object_work import PREFIX, is_object_work
from chalicelib.store.tables import CleanupBase, Tables
from tests.conftest import ADMIN, DEFAULT_SCHEMA, ROOT, Api
from tests.functional.helpers import Login, admin, call, flipped, run_cleanup, sign_up
from tests.functional.test_explorer import _undescribed
from tooling.cli import main
from tooling.deploy.bucket import BUCKET
from tooling.deploy.package import FilesBucket, template
from tooling.deploy.policy import FILE_ACTIONS, stage_policy
from tooling.local.buckets import create_bucket
from tooling.local.dynamodb import LocalDynamoDB

ALBUM = ROOT / "examples" / "album.graphql"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
MAX_BYTES = 64
PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 4

UPLOAD = """
mutation ($model: String!, $field: String!, $id: ID, $type: String!) {
  createFileUpload(model: $model, field: $field, id: $id, mimeType: $type) { url fields token expiresAt maxBytes }
}
"""
CREATE_PHOTO = """
mutation ($data: PhotoCreateInput!) {
  createPhoto(input: {data: $data}) { data { id image { url mimeType fileName byteSize } } }
}
"""
UPDATE_PHOTO = """
mutation ($id: ID!, $data: PhotoUpdateInput!) {
  updatePhoto(input: {where: {id: $id}, data: $data}) { data { id image { url fileName byteSize } } }
}
"""
PHOTO = "query ($id: ID!) { photo(id: $id) { id image { url fileName } } }"


@pytest.fixture
def album(make_api: Callable[..., Api], dynamodb: LocalDynamoDB) -> Api:
    api = make_api(ALBUM, files=FileSettings(endpoint_url=dynamodb.url, max_bytes=MAX_BYTES))
    assert api.service.files is not None
    create_bucket(api.service.files.objects)
    return api


def objects(api: Api) -> Any:
    assert api.service.files is not None
    return api.service.files.objects


def upload_target(api: Api, login: Login | None, model: str = "Photo", field: str = "image", **extra: Any) -> Any:
    variables = {"model": model, "field": field, "type": "image/png", **extra}
    return call(api, UPLOAD, variables, login.auth if login else None)


def uploaded(api: Api, login: Login, content: bytes = PNG, **extra: Any) -> str:
    """A token whose bytes are posted, through the target's presigned POST, over HTTP."""
    target = upload_target(api, login, **extra).data["createFileUpload"]
    assert target["maxBytes"] == MAX_BYTES
    posted = requests.post(target["url"], data=target["fields"], files={"file": ("photo.png", content)}, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text
    token: str = target["token"]
    return token


def new_photo(api: Api, login: Login, token: str, name: str = "beach.png") -> dict[str, Any]:
    data = {"title": "beach", "image": {"directUploadToken": token, "fileName": name}}
    photo: dict[str, Any] = call(api, CREATE_PHOTO, {"data": data}, login.auth).data["createPhoto"]["data"]
    return photo


def stored_key(api: Api, photo_id: str) -> str:
    record = api.service.store.get(api.service.registry.model("Photo"), photo_id)
    assert record is not None
    key: str = record["image"]["key"]
    return key


def test_a_file_goes_up_and_comes_down_through_presigned_urls(album: Api) -> None:
    alice = sign_up(album, "alice@example.com")
    token = uploaded(album, alice)
    photo = new_photo(album, alice, token)
    assert {k: v for k, v in photo["image"].items() if k != "url"} == {
        "mimeType": "image/png",
        "fileName": "beach.png",
        "byteSize": len(PNG),
    }
    downloaded = requests.get(photo["image"]["url"], timeout=30)
    assert downloaded.status_code == 200
    assert downloaded.content == PNG
    # The record holds the file's key, name, type and size, never its bytes; the upload moved.
    record = album.service.store.get(album.service.registry.model("Photo"), photo["id"])
    assert record is not None
    assert set(record["image"]) == {"key", "fileName", "mimeType", "byteSize"}
    assert not record["image"]["key"].startswith(UPLOADS)
    assert objects(album).head(record["image"]["key"]).size == len(PNG)
    read = call(album, PHOTO, {"id": photo["id"]}, alice.auth).data["photo"]
    assert requests.get(read["image"]["url"], timeout=30).content == PNG


def test_only_images_open_in_the_browser_any_other_file_downloads(album: Api) -> None:
    """A page (HTML, SVG) opened from the bucket would run as the bucket's origin: its URL downloads it."""
    alice = sign_up(album, "alice@example.com")
    page = b"<script>alert(document.domain)</script>"
    photo = new_photo(album, alice, uploaded(album, alice, page, type="text/html"), name="not a photo.html")
    downloaded = requests.get(photo["image"]["url"], timeout=30)
    assert downloaded.content == page
    assert downloaded.headers["Content-Disposition"] == "attachment; filename*=UTF-8''not%20a%20photo.html"
    image = new_photo(album, alice, uploaded(album, alice))
    assert requests.get(image["image"]["url"], timeout=30).headers["Content-Disposition"] == "inline"


def test_another_user_is_refused(album: Api) -> None:
    alice, bob = sign_up(album, "alice@example.com"), sign_up(album, "bob@example.com")
    photo = new_photo(album, alice, uploaded(album, alice))
    # No upload target for a record bob may not update (nor read: it does not exist for him).
    assert upload_target(album, bob, id=photo["id"]).codes == [RECORD_NOT_FOUND]
    # No record, so no url, where bob may not read it.
    assert call(album, PHOTO, {"id": photo["id"]}, bob.auth).data["photo"] is None
    # A token handed to alice attaches nothing for bob.
    stolen = uploaded(album, alice)
    data = {"image": {"directUploadToken": stolen}}
    assert call(album, CREATE_PHOTO, {"data": data}, bob.auth).codes == [PERMISSION_DENIED]
    # Without a session, no target for a model only signed-in users create.
    assert upload_target(album, None).codes == [PERMISSION_DENIED]
    # Bob's own target for his own user's avatar works; for alice's user it does not.
    assert upload_target(album, bob, model="User", field="avatar", id=bob.user_id).data["createFileUpload"]["token"]
    assert upload_target(album, bob, model="User", field="avatar", id=alice.user_id).codes == [RECORD_NOT_FOUND]


def test_tokens_are_single_use_unforgeable_and_expire(album: Api) -> None:
    alice = sign_up(album, "alice@example.com")
    token = uploaded(album, alice)
    new_photo(album, alice, token)
    again = call(album, CREATE_PHOTO, {"data": {"image": {"directUploadToken": token}}}, alice.auth)
    assert again.codes == [INVALID_TOKEN]
    # The upload posted again under a spent token: the write's transaction still refuses it.
    target = upload_target(album, alice).data["createFileUpload"]
    requests.post(target["url"], data=target["fields"], files={"file": ("a.png", PNG)}, timeout=30)
    photo = new_photo(album, alice, target["token"])
    requests.post(target["url"], data=target["fields"], files={"file": ("a.png", PNG)}, timeout=30)
    reused = call(album, CREATE_PHOTO, {"data": {"image": {"directUploadToken": target["token"]}}}, alice.auth)
    assert reused.codes == [INVALID_TOKEN]
    assert "used already" in reused.body["errors"][0]["message"]
    still = call(album, PHOTO, {"id": photo["id"]}, alice.auth).data["photo"]["image"]["url"]
    assert requests.get(still, timeout=30).content == PNG

    for bad in (
        flipped(token, 5),
        "not-a-token",
        uploaded(album, alice, model="User", field="avatar", id=alice.user_id),
    ):
        refused = call(album, CREATE_PHOTO, {"data": {"image": {"directUploadToken": bad}}}, alice.auth)
        assert refused.codes == [INVALID_TOKEN], bad
    # A token past its time, signed as the stage signs them.
    photos = album.service.registry.model("Photo")
    caller = caller_of(RequestContext(roles=frozenset({"signed-in"}), user_id=alice.user_id))
    assert caller is not None
    expired, _ = UploadTokens(album.service.cursors, -1).mint(caller, photos, photos.fields["image"])
    late = call(album, CREATE_PHOTO, {"data": {"image": {"directUploadToken": expired}}}, alice.auth)
    assert late.codes == [INVALID_TOKEN]
    assert "expired" in late.body["errors"][0]["message"]
    # Nothing posted with a token, or more than the target takes: nothing written.
    empty = upload_target(album, alice).data["createFileUpload"]["token"]
    assert call(album, CREATE_PHOTO, {"data": {"image": {"directUploadToken": empty}}}, alice.auth).codes == [
        INVALID_TOKEN
    ]
    large = uploaded(album, alice, content=b"x" * (MAX_BYTES + 1))
    assert call(album, CREATE_PHOTO, {"data": {"image": {"directUploadToken": large}}}, alice.auth).codes == [
        INVALID_INPUT
    ]
    assert len(admin(album, "{ photos { id } }")["photos"]) == 2


def test_one_token_attaches_one_file_even_twice_in_one_write(album: Api) -> None:
    """Two records of one write naming one token would share an object, which the deletion of
    either would take from the other."""
    alice = sign_up(album, "alice@example.com")
    token = uploaded(album, alice)
    image = {"directUploadToken": token}
    twice = (
        "mutation ($id: ID!, $image: StoredFileInput!) { updateUser(input: {where: {id: $id}, "
        "data: {photos: {create: [{image: $image}, {image: $image}]}}}) { data { id } } }"
    )
    reply = call(album, twice, {"id": alice.user_id, "image": image}, alice.auth)
    assert reply.codes == [INVALID_TOKEN]
    assert admin(album, "{ photos { id } }")["photos"] == []
    # The token is still good for one record.
    assert new_photo(album, alice, token)["image"]["fileName"] == "beach.png"


def test_objects_go_with_what_lets_go_of_them(album: Api) -> None:
    alice = sign_up(album, "alice@example.com")
    photo = new_photo(album, alice, uploaded(album, alice))
    first = stored_key(album, photo["id"])
    # Replaced: the old object goes once the write has committed.
    data = {"image": {"directUploadToken": uploaded(album, alice), "fileName": "second.png"}}
    replaced = call(album, UPDATE_PHOTO, {"id": photo["id"], "data": data}, alice.auth).data["updatePhoto"]["data"]
    assert replaced["image"]["fileName"] == "second.png"
    second = stored_key(album, photo["id"])
    assert objects(album).head(first) is None
    assert objects(album).head(second) is not None
    # Cleared.
    cleared = call(album, UPDATE_PHOTO, {"id": photo["id"], "data": {"image": None}}, alice.auth).data
    assert cleared["updatePhoto"]["data"]["image"] is None
    assert objects(album).head(second) is None
    # Deleted, by deletePhoto, by a nested delete and by deleteMany.
    keys = []
    for _ in range(3):
        keys.append(stored_key(album, new_photo(album, alice, uploaded(album, alice))["id"]))
    ids = [p["id"] for p in admin(album, "{ photos { id image { fileName } } }")["photos"] if p["image"]]
    deleted = "mutation ($id: ID!) { deletePhoto(input: {where: {id: $id}}) { data { id } } }"
    assert call(album, deleted, {"id": ids[0]}, alice.auth).data["deletePhoto"]["data"]["id"] == ids[0]
    nested = (
        "mutation ($id: ID!, $p: ID!) "
        "{ updateUser(input: {where: {id: $id}, data: {photos: {delete: [{id: $p}]}}}) { data { id } } }"
    )
    assert call(album, nested, {"id": alice.user_id, "p": ids[1]}, alice.auth).data["updateUser"]["data"]
    many = "mutation ($id: ID!) { deleteManyPhotos(input: {where: {match: {id: [$id]}}}) { count } }"
    assert admin(album, many, {"id": ids[2]})["deleteManyPhotos"]["count"] == 1
    assert [objects(album).head(key) for key in keys] == [None, None, None]
    assert pending_work(album) == {}


def test_an_s3_failure_after_the_commit_is_logged_and_left_to_the_cleanup_job(
    album: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, photo, key = alices_photo(album)

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "try later"}}, "DeleteObject")

    with monkeypatch.context() as patched:
        patched.setattr(objects(album).client, "delete_object", refuse)
        deleted = "mutation ($id: ID!) { deletePhoto(input: {where: {id: $id}}) { data { id } } }"
        assert call(album, deleted, {"id": photo["id"]}, alice.auth).data["deletePhoto"]["data"]["id"] == photo["id"]
        assert call(album, PHOTO, {"id": photo["id"]}, alice.auth).data["photo"] is None
        assert f"deleting {key} failed; the cleanup job will try again" in caplog.text
        assert objects(album).head(key) is not None
        assert pending_work(album) == {key: None}
        # S3 still failing: the job leaves it for its next run.
        assert (settle_now(album).unsettled, pending_work(album)) == (1, {key: None})
    # By hand, as by the scheduled function.
    settings = album.service.settings
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", settings.store.endpoint_url or "")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", settings.files.endpoint_url or "")
    monkeypatch.setenv("TABLE_PREFIX", settings.store.table_prefix)
    monkeypatch.setenv("SCHEMA", str(settings.schema_path))
    capsys.readouterr()
    assert main(["cleanup", "--min-age", "0"]) == 0
    assert "1 file moves and deletions finished, 0 failed" in capsys.readouterr().out
    assert objects(album).head(key) is None
    assert pending_work(album) == {}


def pending_work(api: Api) -> dict[str, str | None]:
    """The bucket work recorded and not done yet: each object's key, with the upload it moves from."""
    items = api.service.tables.cleanup.scan()
    return {item.key.removeprefix(PREFIX): item.source for item in items if is_object_work(item.key)}


def settle_now(api: Api) -> Report:
    """One run of the cleanup job as the scheduled function runs it, its pending items made old enough."""
    for item in api.service.tables.cleanup.scan():
        item.update(actions=[CleanupBase.deleted.set(1)])
    return Report(**run_cleanup(api))


def alices_photo(api: Api) -> tuple[Login, dict[str, Any], str]:
    """Alice, signed up, and a photo of hers with its file, and the file's key."""
    alice = sign_up(api, "alice@example.com")
    photo = new_photo(api, alice, uploaded(api, alice))
    return alice, photo, stored_key(api, photo["id"])


def test_a_write_whose_request_dies_after_the_commit_is_finished_by_the_cleanup_job(
    album: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, first, old_key = alices_photo(album)
    assert pending_work(album) == {}
    replacing = {"image": {"directUploadToken": uploaded(album, alice, b"new bytes"), "fileName": "new.png"}}
    adding = uploaded(album, alice)

    def crash(*_: Any) -> None:
        raise SystemExit("the function timed out")

    # The requests end right after their commits: nothing of their bucket work is done.
    with monkeypatch.context() as patched:
        patched.setattr(Files, "settle", crash)
        with pytest.raises(SystemExit):
            call(album, UPDATE_PHOTO, {"id": first["id"], "data": replacing}, alice.auth)
        with pytest.raises(SystemExit):
            new_photo(album, alice, adding)
    (second_id,) = [p["id"] for p in admin(album, "{ photos { id } }")["photos"] if p["id"] != first["id"]]
    new_key, second_key = stored_key(album, first["id"]), stored_key(album, second_id)
    assert pending_work(album) == {
        old_key: None,
        new_key: upload_key(new_key.removeprefix(FILES)),
        second_key: upload_key(second_key.removeprefix(FILES)),
    }
    # Read meanwhile, a file not moved yet has a url that finds nothing yet (S3 answers 404; moto,
    # for a presigned GET of a missing key, 403), and downloads the file once it is moved.
    early = call(album, PHOTO, {"id": second_id}, alice.auth).data["photo"]["image"]["url"]
    assert not requests.get(early, timeout=30).ok

    report = settle_now(album)
    assert (report.settled, report.unsettled, report.cleaned) == (3, 0, 0)
    assert pending_work(album) == {}
    assert requests.get(early, timeout=30).content == PNG
    replaced = call(album, PHOTO, {"id": first["id"]}, alice.auth).data["photo"]["image"]["url"]
    assert requests.get(replaced, timeout=30).content == b"new bytes"
    assert objects(album).head(old_key) is None
    assert [objects(album).head(upload_key(k.removeprefix(FILES))) for k in (new_key, second_key)] == [None, None]
    # A second run finds nothing to do.
    assert settle_now(album) == Report()


def test_each_move_can_be_done_twice_and_one_that_cannot_be_done_is_dropped(
    album: Api, caplog: pytest.LogCaptureFixture
) -> None:
    alice, photo, key = alices_photo(album)
    head = objects(album).head(key)
    assert head is not None
    done = ObjectWork(key, upload_key(key.removeprefix(FILES)), head.etag)
    # Its source gone, its target there: it was done (by the request, or by a run that stopped).
    assert perform(objects(album), done)
    assert perform(objects(album), ObjectWork(key + "-deleted"))
    assert "the record's file is missing" not in caplog.text
    # Neither there: the upload expired before it could be moved.
    lost = ObjectWork(FILES + "never-posted", upload_key("never-posted"), head.etag)
    assert perform(objects(album), lost)
    assert "the upload is gone or was posted again; the record's file is missing" in caplog.text
    read = call(album, PHOTO, {"id": photo["id"]}, alice.auth).data["photo"]
    assert requests.get(read["image"]["url"], timeout=30).content == PNG


def test_the_writes_own_request_settles_in_one_more_call(album: Api) -> None:
    """The bucket work rides in the write's transaction, and one BatchWriteItem removes its record
    once done; an upload target counts against its caller's limit in one UpdateItem."""
    alice = sign_up(album, "alice@example.com")
    with album.calls() as log:
        token = uploaded(album, alice)
    assert dict(log.counts) == {"BatchGetItem": 1, "UpdateItem": 1}
    with album.calls() as log:
        photo = new_photo(album, alice, token)
    assert dict(log.counts) == {"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1, "BatchWriteItem": 1}
    with album.calls() as log:
        call(album, UPDATE_PHOTO, {"id": photo["id"], "data": {"image": None}}, alice.auth)
    # Clearing was one UpdateItem; with its pending deletion it is a transaction of two.
    assert dict(log.counts) == {"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1, "BatchWriteItem": 1}
    assert pending_work(album) == {}


def test_a_caller_gets_so_many_upload_targets_per_window(make_api: Callable[..., Api], dynamodb: LocalDynamoDB) -> None:
    limited = make_api(ALBUM, files=FileSettings(endpoint_url=dynamodb.url, max_bytes=MAX_BYTES, upload_limit=2))
    alice, bob = sign_up(limited, "alice@example.com"), sign_up(limited, "bob@example.com")
    for _ in range(2):
        assert upload_target(limited, alice).data["createFileUpload"]["token"]
    refused = upload_target(limited, alice)
    assert refused.codes == [TOO_MANY_REQUESTS]
    (error,) = refused.body["errors"]
    assert 1 <= error["extensions"]["retryAfter"] <= FileSettings.upload_window_seconds
    assert error["message"].startswith("at most 2 upload targets per 3600 s")
    assert refused.body["data"]["createFileUpload"] is None
    # Another caller has its own count; an API key has none.
    assert upload_target(limited, bob).data["createFileUpload"]["token"]
    for _ in range(3):
        assert call(limited, UPLOAD, {"model": "Photo", "field": "image", "type": "image/png"}, ADMIN["Authorization"])


def test_the_upload_limit_comes_from_the_stages_environment() -> None:
    files = Settings.from_environ({"FILE_UPLOAD_LIMIT": "7", "FILE_UPLOAD_WINDOW_SECONDS": "60"}).files
    assert (files.upload_limit, files.upload_window_seconds) == (7, 60)
    with pytest.raises(StartupError, match="FILE_UPLOAD_WINDOW_SECONDS"):
        Settings.from_environ({"FILE_UPLOAD_WINDOW_SECONDS": "0"})


def test_bulk_writes_attach_no_file_and_imports_carry_none(album: Api) -> None:
    alice = sign_up(album, "alice@example.com")
    token = uploaded(album, alice, model="Photo")
    many = (
        "mutation ($t: String!) "
        "{ updateManyPhotos(input: {where: {}, data: {image: {directUploadToken: $t}}}) { count } }"
    )
    refused = call(album, many, {"t": token}, ADMIN["Authorization"])
    assert [e["extensions"]["code"] for e in refused.body["errors"]] == [INVALID_INPUT]
    imported = 'mutation ($data: [JSON]!) { importData(data: $data, defaultTypename: "Photo") { data } }'
    objects_in = [{"title": "x", "image": {"key": upload_key("someone-elses")}}]
    reply = call(album, imported, {"data": objects_in}, ADMIN["Authorization"])
    assert [e["extensions"]["code"] for e in reply.body["errors"]] == [INVALID_INPUT]
    assert admin(album, "{ photos { id } }")["photos"] == []


def test_the_local_bucket_is_private_and_expires_orphan_uploads(album: Api) -> None:
    client, bucket = objects(album).client, objects(album).bucket
    rules = client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules] == [(UPLOADS, 1)]
    blocked = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values())


def _stage(stage: str, schema: Path) -> tuple[Settings, Tables]:
    from chalicelib.schema import load_schema_file

    settings = Settings.from_environ({**stage_environment(stage), "SCHEMA": str(schema)})
    return settings, Tables(load_schema_file(settings.schema_path), settings.store)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_bucket_and_its_policy_come_from_the_schema(stage: str) -> None:
    settings, tables = _stage(stage, ALBUM)
    assert settings.bucket == f"shoreline-{stage}-files"
    files = [s for s in stage_policy(settings, tables)["Statement"] if s["Sid"].startswith("Files")]
    assert files == [
        {"Sid": "Files", "Effect": "Allow", "Action": FILE_ACTIONS, "Resource": f"arn:aws:s3:::{settings.bucket}/*"},
        # So that a missing object is a 404, not a 403.
        {
            "Sid": "FilesMissing",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": f"arn:aws:s3:::{settings.bucket}",
        },
    ]
    assert FILE_ACTIONS == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    files_bucket = FilesBucket(settings.bucket, ("*",))
    merged = template(tables, "shoreline", stage, [], protect=stage == "prod", files=files_bucket)
    bucket = merged["Resources"][BUCKET]
    assert bucket["Type"] == "AWS::S3::Bucket"
    assert bucket["DeletionPolicy"] == ("Retain" if stage == "prod" else "Delete")
    properties = bucket["Properties"]
    assert properties["BucketName"] == settings.bucket
    assert all(properties["PublicAccessBlockConfiguration"].values())
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert (rule["Prefix"], rule["ExpirationInDays"], rule["Status"]) == (UPLOADS, 1, "Enabled")


@pytest.mark.slow
def test_the_template_with_the_bucket_passes_cfn_lint(tmp_path: Path) -> None:
    """The bucket as CloudFormation declares it (the rest of the merged template is partial until
    `chalice package` merges it: test_deploy.py lints the whole package)."""
    settings, tables = _stage("prod", ALBUM)
    merged = template(tables, "shoreline", "prod", [], protect=True, files=FilesBucket(settings.bucket, ("*",)))
    alone = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {BUCKET: merged["Resources"][BUCKET]}}
    path = tmp_path / "template.json"
    path.write_text(json.dumps(alone))
    linted = subprocess.run([str(CFN_LINT), str(path)], capture_output=True, text=True, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_schema_without_files_has_no_bucket_nor_grant(api: Api, stage: str) -> None:
    assert api.service.files is None
    sdl = json.dumps(call(api, "{ __schema { types { name } mutationType { fields { name } } } }").body)
    assert "StoredFile" not in sdl
    assert "createFileUpload" not in sdl
    settings, tables = _stage(stage, DEFAULT_SCHEMA)
    assert not tables.registry.has_files
    assert all(not s["Sid"].startswith("Files") for s in stage_policy(settings, tables)["Statement"])
    assert "s3:" not in json.dumps(stage_policy(settings, tables))


def test_every_part_of_the_file_api_is_described(album: Api) -> None:
    assert _undescribed(album) == []
