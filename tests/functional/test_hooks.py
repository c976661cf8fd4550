"""Business logic beside the schema, through the API: the worked example (examples/blog.py) and
modules written for one test beside a schema of their own."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.settings import StartupError
from tests.conftest import ADMIN, DEFAULT_SCHEMA, ROOT, Api
from tests.dynamodb_answers import Declining, answering
from tests.functional.helpers import admin, call, sign_up

BLOG = ROOT / "examples" / "blog.graphql"
CONFLICT = {"CancellationReasons": [{"Code": "TransactionConflict"}]}
CREATE_POST = "mutation ($data: PostCreateInput!) { createPost(input: {data: $data}) { data { id title wordCount } } }"
UPDATE_POST = (
    "mutation ($id: ID!, $data: PostUpdateInput!) "
    "{ updatePost(input: {where: {id: $id}, data: $data}) { data { id title } } }"
)
POSTS = "{ posts { id title body } }"
UPDATE_NOTE = (
    "mutation ($id: ID!, $data: NoteUpdateInput!) "
    "{ updateNote(input: {where: {id: $id}, data: $data}) { data { id } } }"
)
UPDATE_NOTE_TEXT = UPDATE_NOTE.replace("{ id }", "{ id text }")
HEAD = "from chalicelib.hooks import Hooks\nhooks = Hooks()\n"
# A schema for the modules of single tests: notes, with an author to nest writes under.
NOTES = """
type Author @model { id: ID! name: String notes: [Note] }
type Note @model { id: ID! text: String author: Author }
"""


@pytest.fixture
def blog(make_api: Callable[..., Api]) -> Api:
    api = make_api(BLOG)
    outbox(api).clear()
    return api


def outbox(api: Api) -> list[str]:
    """The example module's OUTBOX (the module as the service loaded it)."""
    function = api.service.hooks.declared[0].function
    box: list[str] = function.__globals__["OUTBOX"]
    return box


def with_hooks(make_api: Callable[..., Api], tmp_path: Path, module: str, sdl: str = NOTES) -> Api:
    """The API on `sdl`, with `module` beside it as its hooks."""
    (tmp_path / "schema.graphql").write_text(sdl)
    (tmp_path / "schema.py").write_text(textwrap.dedent(module))
    return make_api(tmp_path / "schema.graphql")


def seen(api: Api) -> list[Any]:
    """What a test module's steps noted in its SEEN list."""
    log: list[Any] = api.service.hooks.declared[0].function.__globals__["SEEN"]
    return log


# before


def test_a_refusing_before_is_invalid_record_naming_the_field_and_writes_nothing(blog: Api) -> None:
    reply = call(blog, CREATE_POST, {"data": {"title": "How to frobnicate"}}, ADMIN["Authorization"])
    assert reply.body["data"] == {"createPost": None}
    (error,) = reply.body["errors"]
    assert error["extensions"]["code"] == errors.INVALID_RECORD
    assert error["extensions"]["validationErrors"] == [{"apiIdentifier": "title", "message": "contains a banned word"}]
    assert "Post.title" in error["message"]
    assert blog.data(POSTS) == {"posts": []}


def test_a_refusal_in_a_nested_write_writes_none_of_the_mutation(blog: Api) -> None:
    data = {"email": "a@b.co", "posts": {"create": [{"title": "fine"}, {"title": "x", "body": "FROBNICATE it"}]}}
    reply = call(
        blog,
        "mutation ($d: UserCreateInput!) { createUser(input: {data: $d}) { data { id } } }",
        {"d": data},
        ADMIN["Authorization"],
    )
    assert reply.codes == [errors.INVALID_RECORD]
    assert reply.body["errors"][0]["extensions"]["field"] == "body"
    assert blog.data(POSTS) == {"posts": []}
    assert blog.data("{ users { id } }") == {"users": []}
    assert outbox(blog) == []


def test_a_before_changes_the_input(blog: Api) -> None:
    post = blog.data(CREATE_POST, {"data": {"title": "  Hello  "}})["createPost"]["data"]
    assert post["title"] == "Hello"
    updated = blog.data(UPDATE_POST, {"id": post["id"], "data": {"title": " Again "}})
    assert updated["updatePost"]["data"]["title"] == "Again"


def test_a_before_sees_the_stored_record_of_an_update_and_a_delete(
    make_api: Callable[..., Api], tmp_path: Path
) -> None:
    api = with_hooks(
        make_api,
        tmp_path,
        """
        from chalicelib.hooks import Hooks
        hooks = Hooks()
        SEEN = []

        @hooks.before("Note", "update", "delete", stored=True)
        def note(event):
            SEEN.append((event.action, event.record["text"], dict(event.data)))
        """,
    )
    seen(api).clear()
    note = api.data('mutation { createNote(input: {data: {text: "a"}}) { data { id } } }')["createNote"]["data"]
    api.data(
        f'mutation {{ updateNote(input: {{where: {{id: "{note["id"]}"}}, data: {{text: "b"}}}}) {{ data {{ id }} }} }}'
    )
    api.data(f'mutation {{ deleteNote(input: {{where: {{id: "{note["id"]}"}}}}) {{ data {{ id }} }} }}')
    assert seen(api) == [("update", "a", {"text": "b"}), ("delete", "b", {})]


SIGN_UP = """mutation ($email: String!) {
  signUp(email: $email, password: "correct horse battery") {
    success session { id }
    errors { code message ... on InvalidRecordError { validationErrors { apiIdentifier message } } }
  }
}"""


GATE_MODULE = (
    HEAD
    + """
@hooks.before("User", "create")
def gate(event):
    if event.data["email"].endswith("@blocked.example"):
        raise event.refuse("email", "is not accepted here")
"""
)


def test_a_refused_sign_up_answers_in_the_action_result_format_and_writes_nothing(
    make_api: Callable[..., Api], tmp_path: Path
) -> None:
    api = with_hooks(make_api, tmp_path, GATE_MODULE, DEFAULT_SCHEMA.read_text())
    reply = call(api, SIGN_UP, {"email": "eve@blocked.example"})
    assert reply.data["signUp"] == {
        "success": False,
        "session": None,
        "errors": [
            {
                "code": errors.INVALID_RECORD,
                "message": "email is not accepted here",
                "validationErrors": [{"apiIdentifier": "email", "message": "is not accepted here"}],
            }
        ],
    }
    assert reply.token is None
    assert admin(api, "{ users { email } }") == {"users": []}
    assert call(api, SIGN_UP, {"email": "ann@example.com"}).data["signUp"]["success"] is True


WHO_MODULE = (
    HEAD
    + """
SEEN = []


@hooks.before("User", "create")
def before(event):
    SEEN.append(("before", event.caller.is_admin, sorted(event.caller.roles)))


@hooks.after("User", "create")
def after(event):
    SEEN.append(("after", event.caller.is_admin, sorted(event.caller.roles)))
"""
)


def test_the_steps_of_a_sign_up_see_its_caller_not_the_rights_it_writes_with(
    make_api: Callable[..., Api], tmp_path: Path
) -> None:
    api = with_hooks(make_api, tmp_path, WHO_MODULE, DEFAULT_SCHEMA.read_text())
    assert call(api, SIGN_UP, {"email": "ann@example.com"}).data["signUp"]["success"] is True
    admin(api, 'mutation { createUser(input: {data: {email: "bob@example.com"}}) { data { id } } }')
    anonymous = seen(api)[0][2]
    assert "system-admin" not in anonymous
    assert seen(api) == [
        ("before", False, anonymous),
        ("after", False, anonymous),
        ("before", True, ["system-admin"]),
        ("after", True, ["system-admin"]),
    ]


READS_MODULE = """
from chalicelib.hooks import Hooks
hooks = Hooks()
SEEN = []

@hooks.before("Note", "update")
def shout(event):
    event.data["text"] = event.data["text"].upper()
    # A step may ask for more than a plain update: the record is then read after all.
    if event.data["text"] == "LINK":
        event.data["author"] = {"create": {"name": "linked"}}

@hooks.after("Note", "update")
def noted(event):
    SEEN.append(event.record["text"])

@hooks.before("Author", "update", stored=True)
def renamed(event):
    SEEN.append(event.record["name"])

@hooks.after("Author", "update")
def peeks(event):
    SEEN.append(event.previous)
"""
UPDATE_AUTHOR = (
    "mutation ($id: ID!, $data: AuthorUpdateInput!) "
    "{ updateAuthor(input: {where: {id: $id}, data: $data}) { data { id name } } }"
)


def test_an_update_reads_the_record_only_when_a_step_declares_it_uses_it(
    make_api: Callable[..., Api], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = with_hooks(make_api, tmp_path, READS_MODULE)
    seen(api).clear()
    note = api.data('mutation { createNote(input: {data: {text: "a"}}) { data { id } } }')["createNote"]["data"]
    author = api.data('mutation { createAuthor(input: {data: {name: "Ann"}}) { data { id } } }')["createAuthor"]
    with api.calls() as plain:
        updated = api.data(UPDATE_NOTE_TEXT, {"id": note["id"], "data": {"text": "b"}})
    assert updated == {"updateNote": {"data": {"id": note["id"], "text": "B"}}}
    assert plain.counts == {"UpdateItem": 1}
    assert seen(api) == ["B"]
    with api.calls() as read:
        api.data(UPDATE_AUTHOR, {"id": author["data"]["id"], "data": {"name": "Bea"}})
    assert read.counts == {"GetItem": 1, "UpdateItem": 1}
    # The before declared it and saw the record; the after did not, and failed (logged).
    assert seen(api) == ["B", "Ann"]
    assert "stored=True" in caplog.text
    linked = api.data(
        UPDATE_NOTE_TEXT.replace("text }", "text author { name } }"), {"id": note["id"], "data": {"text": "link"}}
    )
    assert linked["updateNote"]["data"]["author"] == {"name": "linked"}


# after


def test_an_after_runs_once_after_the_commit_with_the_record_written(blog: Api) -> None:
    reply = call(blog, 'mutation { signUp(email: "new@b.co", password: "correct horse battery") { success } }')
    assert reply.data["signUp"]["success"] is True
    assert outbox(blog) == ["Welcome, new@b.co!"]
    admin(blog, 'mutation { createUser(input: {data: {email: "two@b.co"}}) { data { id } } }')
    assert outbox(blog) == ["Welcome, new@b.co!", "Welcome, two@b.co!"]


def test_an_after_of_a_refused_or_failed_write_does_not_run(blog: Api) -> None:
    admin(blog, 'mutation { createUser(input: {data: {email: "one@b.co"}}) { data { id } } }')
    taken = call(
        blog, 'mutation { createUser(input: {data: {email: "one@b.co"}}) { data { id } } }', auth=ADMIN["Authorization"]
    )
    assert taken.codes == [errors.INVALID_RECORD]
    assert outbox(blog) == ["Welcome, one@b.co!"]


AFTER_MODULE = """
from chalicelib.hooks import Hooks
hooks = Hooks()
SEEN = []
RACE = []

@hooks.before("Note", "create", "update", "delete", stored=True)
def before(event):
    SEEN.append(("before", event.action, event.data.get("text")))
    # The first time an update with text "race" is planned, another write gets in first.
    if event.data.get("text") == "race" and not RACE:
        RACE.append(1)
        record_id = event.record["id"]
        event.caller.execute(
            'mutation ($id: ID!) { updateNote(input: {where: {id: $id}, data: {text: "other"}}) { data { id } } }',
            {"id": record_id},
        )

@hooks.after("Note", "create", "update", "delete", stored=True)
def after(event):
    previous = event.previous["text"] if event.previous else None
    SEEN.append(("after", event.action, event.record.get("text"), previous))

@hooks.after("Author", "create")
def broken(event):
    raise RuntimeError("the mail server is down")

@hooks.after("Author", "create")
def still_runs(event):
    SEEN.append(("after", "create", event.record["name"], None))
"""


def test_an_after_runs_once_when_the_mutation_is_planned_again_after_a_conflict(
    make_api: Callable[..., Api], tmp_path: Path
) -> None:
    api = with_hooks(make_api, tmp_path, AFTER_MODULE)
    seen(api).clear()
    declining = Declining(frozenset({"TransactWriteItems"}), "TransactionCanceledException", times=1, fields=CONFLICT)
    with answering(api, declining):
        # Two records: one transaction (a single one would be a PutItem).
        note = api.data(
            'mutation { createNote(input: {data: {text: "a", author: {create: {name: "n"}}}}) { data { id } } }'
        )["createNote"]["data"]
    assert declining.sent["TransactWriteItems"] == 2
    # Planned twice (each plan runs its before), committed once: one after per record.
    assert seen(api) == [
        ("before", "create", "a"),
        ("before", "create", "a"),
        ("after", "create", "a", None),
        ("after", "create", "n", None),
    ]
    seen(api).clear()
    api.data(UPDATE_NOTE, {"id": note["id"], "data": {"text": "race"}})
    assert seen(api) == [
        ("before", "update", "race"),
        ("before", "update", "other"),
        ("after", "update", "other", "a"),
        # The race lost: planned again from the record as the other write left it.
        ("before", "update", "race"),
        ("after", "update", "race", "other"),
    ]


def test_an_after_that_fails_is_logged_and_the_write_stands(
    make_api: Callable[..., Api], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = with_hooks(make_api, tmp_path, AFTER_MODULE)
    seen(api).clear()
    created = api.query('mutation { createAuthor(input: {data: {name: "Ann"}}) { data { name } } }')
    assert created == {"data": {"createAuthor": {"data": {"name": "Ann"}}}}
    assert seen(api) == [("after", "create", "Ann", None)]
    assert api.data("{ authors { name } }") == {"authors": [{"name": "Ann"}]}
    assert "the mail server is down" in caplog.text
    assert "broken" in caplog.text


def test_a_nested_write_runs_the_steps_of_each_record_it_creates_updates_or_deletes(
    make_api: Callable[..., Api], tmp_path: Path
) -> None:
    api = with_hooks(make_api, tmp_path, AFTER_MODULE)
    author = api.data(
        'mutation { createAuthor(input: {data: {name: "A", notes: {create: [{text: "x"}, {text: "y"}]}}}) '
        "{ data { id notes { id text } } } }"
    )["createAuthor"]["data"]
    x, y = sorted(author["notes"], key=lambda n: n["text"])
    seen(api).clear()
    api.data(
        f'mutation {{ updateAuthor(input: {{where: {{id: "{author["id"]}"}}, data: {{notes: {{'
        f'update: [{{where: {{id: "{x["id"]}"}}, data: {{text: "x2"}}}}], delete: [{{id: "{y["id"]}"}}], '
        f'create: [{{text: "z"}}]}}}}}}) {{ data {{ id }} }} }}'
    )
    assert sorted(seen(api)) == sorted(
        [
            ("before", "create", "z"),
            ("before", "update", "x2"),
            ("before", "delete", None),
            ("after", "create", "z", None),
            ("after", "update", "x2", "x"),
            ("after", "delete", "y", None),
        ]
    )


def test_bulk_writes_and_imports_run_each_records_steps(make_api: Callable[..., Api], tmp_path: Path) -> None:
    api = with_hooks(make_api, tmp_path, AFTER_MODULE)
    api.data(
        'mutation { importData(data: [{__typename: "Note", text: "i1"}, {__typename: "Note", text: "i2"}]) { data } }'
    )
    assert sorted(s for s in seen(api) if s[0] == "after") == [
        ("after", "create", "i1", None),
        ("after", "create", "i2", None),
    ]
    seen(api).clear()
    count = api.data('mutation { updateManyNotes(input: {where: {}, data: {text: "u"}}) { count } }')
    assert count == {"updateManyNotes": {"count": 2}}
    assert sorted(s for s in seen(api) if s[0] == "after") == [
        ("after", "update", "u", "i1"),
        ("after", "update", "u", "i2"),
    ]
    seen(api).clear()
    api.data("mutation { deleteManyNotes(input: {where: {}}) { count } }")
    assert [s[:2] for s in seen(api)] == [("before", "delete")] * 2 + [("after", "delete")] * 2 or sorted(
        s[:2] for s in seen(api)
    ) == [("after", "delete")] * 2 + [("before", "delete")] * 2


def test_bulk_and_import_refusals_write_nothing(blog: Api) -> None:
    bad = call(
        blog,
        "mutation ($data: [JSON]!) { importData(data: $data) { data } }",
        {"data": [{"__typename": "Post", "title": "ok"}, {"__typename": "Post", "title": "frobnicate"}]},
        auth=ADMIN["Authorization"],
    )
    assert bad.codes == [errors.INVALID_RECORD]
    assert blog.data(POSTS) == {"posts": []}
    blog.data(CREATE_POST, {"data": {"title": "kept"}})
    refused = call(
        blog,
        'mutation { updateManyPosts(input: {where: {}, data: {body: "frobnicate"}}) { count } }',
        auth=ADMIN["Authorization"],
    )
    assert refused.codes == [errors.INVALID_RECORD]
    assert [p["body"] for p in blog.data(POSTS)["posts"]] == [None]


# computed fields and custom operations


def test_a_computed_field_is_resolved_on_every_read(blog: Api) -> None:
    created = blog.data(CREATE_POST, {"data": {"title": "t", "body": "one two three"}})["createPost"]["data"]
    assert created["wordCount"] == 3
    assert blog.data("{ posts { wordCount } }") == {"posts": [{"wordCount": 3}]}


def test_custom_operations_act_as_the_caller_with_its_permissions(blog: Api) -> None:
    ann, bob = sign_up(blog, "ann@b.co"), sign_up(blog, "bob@b.co")
    post = call(blog, CREATE_POST, {"data": {"title": "Mine", "body": "a b"}}, ann.auth).data["createPost"]["data"]
    drafts = "{ drafts { id title wordCount author { id } } }"
    assert call(blog, drafts, auth=ann.auth).data == {
        "drafts": [{"id": post["id"], "title": "Mine", "wordCount": 2, "author": {"id": ann.user_id}}]
    }
    assert call(blog, drafts, auth=bob.auth).data == {"drafts": []}
    publish = "mutation ($id: ID!) { publishPost(id: $id) { id published } }"
    denied = call(blog, publish, {"id": post["id"]}, bob.auth)
    assert denied.codes == [errors.PERMISSION_DENIED]
    assert call(blog, publish, {"id": post["id"]}, ann.auth).data == {
        "publishPost": {"id": post["id"], "published": True}
    }
    assert call(blog, drafts, auth=ann.auth).data == {"drafts": []}


# a broken module stops the start


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("hooks = 1\n", r"schema\.py: names no `hooks = Hooks\(\)`"),
        ("def f(:\n", r"schema\.py:1: <module>: SyntaxError"),
        (
            "from chalicelib.hooks import Hooks\nhooks = Hooks()\ndef setup():\n    raise KeyError('x')\nsetup()\n",
            r"schema\.py:4: setup: KeyError: 'x'",
        ),
        (
            HEAD + "@hooks.before('Nope', 'create')\ndef check(event): pass\n",
            r"schema\.py:3: check: before\('Nope', 'create'\): no model Nope",
        ),
        (
            HEAD + "@hooks.after('Note', 'created')\ndef done(event): pass\n",
            r"schema\.py:3: done: after\('Note', 'created'\): the action is one of create, update, delete",
        ),
        (
            "from chalicelib.hooks import Hooks\nhooks = Hooks()\n@hooks.after('Note', 'create')\ndef done(): pass\n",
            r"schema\.py:3: done: .*called with \(event\)",
        ),
        (
            "from chalicelib.hooks import Hooks\nhooks = Hooks()\n@hooks.query('top')\ndef top(caller): pass\n",
            r"schema\.py:3: top: query\('top'\): the schema declares no Query\.top",
        ),
    ],
)
def test_a_broken_module_fails_at_start_in_one_line_naming_file_and_function(
    make_api: Callable[..., Api], tmp_path: Path, module: str, message: str
) -> None:
    with pytest.raises(StartupError, match=message) as raised:
        with_hooks(make_api, tmp_path, module)
    assert "\n" not in str(raised.value)
    assert str(tmp_path / "schema.py") in str(raised.value)


def test_a_declared_operation_without_its_function_fails_at_start(make_api: Callable[..., Api], tmp_path: Path) -> None:
    sdl = NOTES + "extend type Mutation { archive(id: ID!): Note }\n"
    with pytest.raises(StartupError, match=r"Mutation\.archive: .*declare @hooks\.mutation\('archive'\)"):
        with_hooks(make_api, tmp_path, "from chalicelib.hooks import Hooks\nhooks = Hooks()\n", sdl)
    (tmp_path / "schema.py").unlink()
    with pytest.raises(StartupError, match=r"Mutation\.archive: .*schema\.py"):
        make_api(tmp_path / "schema.graphql")


def test_an_extension_naming_an_unknown_type_fails_at_start(make_api: Callable[..., Api], tmp_path: Path) -> None:
    module = "from chalicelib.hooks import Hooks\nhooks = Hooks()\n@hooks.query('top')\ndef top(caller): pass\n"
    with pytest.raises(StartupError, match=r"schema\.graphql: extend type: Unknown type 'Nothing'"):
        with_hooks(make_api, tmp_path, module, NOTES + "extend type Query { top: Nothing }\n")
