"""Interfaces and unions, as GraphQL Genie has them: relations to a set of models, each record in
its own model's table, written through nested inputs per model and read with fragments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.schema.loader import SchemaError
from chalicelib.store import cleanup
from chalicelib.store.cleanup import Budget
from tests.conftest import Api
from tests.functional.helpers import call, sign_up
from tests.functional.trust_schema import SESSION_TYPE
from tooling.consistency import check

SCHEMA = """
interface Submission {
  id: ID!
  title: String
  author: User
}

union Star = User | Post | Comment

type User @model {
  id: ID!
  name: String
  writtenSubmissions: [Submission]
  drafts: [Submission] @connection
  starred: [Star] @connection
  posts: [Post]
  comments: [Comment] @relation(name: "CommentAuthor")
}

type Post implements Submission @model {
  id: ID!
  title: String
  author: User
  body: String
}

type Comment implements Submission @model {
  id: ID!
  title: String
  author: User @relation(name: "CommentAuthor")
  about: Submission
}
"""

CREATE_USER = "mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id } } }"
UPDATE_USER = """
mutation ($id: ID!, $data: UserUpdateInput!) { updateUser(input: {where: {id: $id}, data: $data}) { data { id } } }
"""
CREATE_POST = "mutation ($data: PostCreateInput!) { createPost(input: {data: $data}) { data { id } } }"
CREATE_COMMENT = "mutation ($data: CommentCreateInput!) { createComment(input: {data: $data}) { data { id } } }"
SUBMISSIONS = """
query ($id: ID!) {
  user(id: $id) {
    writtenSubmissions {
      __typename id title
      ... on Post { body }
      ... on Comment { about { __typename id title } }
      ... on Submission { author { name } }
    }
  }
}
"""


@pytest.fixture
def blog(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    schema = tmp_path / "interfaces.graphql"
    schema.write_text(SCHEMA)
    return make_api(schema)


def create(api: Api, mutation: str, data: dict[str, Any]) -> str:
    (payload,) = api.data(mutation, {"data": data}).values()
    record_id: str = payload["data"]["id"]
    return record_id


def submissions(api: Api, user_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.data(SUBMISSIONS, {"id": user_id})["user"]["writtenSubmissions"]
    return found


def test_the_schema_declares_the_interface_and_the_union(blog: Api) -> None:
    found = blog.data("""{
      submission: __type(name: "Submission") { kind fields { name } possibleTypes { name } interfaces { name } }
      star: __type(name: "Star") { kind possibleTypes { name } }
      post: __type(name: "Post") { interfaces { name } }
    }""")
    assert found["submission"]["kind"] == "INTERFACE"
    assert [f["name"] for f in found["submission"]["fields"]] == ["id", "title", "author"]
    assert {t["name"] for t in found["submission"]["possibleTypes"]} == {"Post", "Comment"}
    assert found["star"]["kind"] == "UNION"
    assert {t["name"] for t in found["star"]["possibleTypes"]} == {"User", "Post", "Comment"}
    assert {i["name"] for i in found["post"]["interfaces"]} == {"Node", "Submission"}


def test_create_through_nested_inputs_per_type_and_read_with_fragments(blog: Api) -> None:
    author = create(blog, CREATE_USER, {"name": "ann"})
    post = create(blog, CREATE_POST, {"title": "First", "body": "text", "author": {"connect": {"id": author}}})
    comment = create(blog, CREATE_COMMENT, {"title": "Re", "author": {"connect": {"id": author}}})
    user = create(
        blog,
        CREATE_USER,
        {
            "name": "bob",
            "writtenSubmissions": {
                "posts": {"create": [{"title": "Hello", "body": "new"}], "connect": [{"id": post}]},
                "comments": {
                    "connect": [{"id": comment}],
                    "create": [{"title": "Reply", "about": {"posts": {"connect": {"id": post}}}}],
                },
            },
        },
    )
    found = submissions(blog, user)
    assert sorted((s["__typename"], s["title"]) for s in found) == [
        ("Comment", "Re"),
        ("Comment", "Reply"),
        ("Post", "First"),
        ("Post", "Hello"),
    ]
    by_title = {s["title"]: s for s in found}
    assert by_title["First"]["body"] == "text"
    assert by_title["First"]["author"] == {"name": "ann"}
    assert by_title["Hello"]["body"] == "new"
    assert by_title["Hello"]["author"] is None
    assert by_title["Reply"]["about"] == {"__typename": "Post", "id": post, "title": "First"}
    assert by_title["Re"]["about"] is None
    # Each record stays in its own model: the models' own lists and `node` find them.
    assert {p["title"] for p in blog.data("{ posts { title } }")["posts"]} == {"First", "Hello"}
    node = blog.data(f'{{ node(id: "{comment}") {{ __typename ... on Submission {{ title }} }} }}')["node"]
    assert node == {"__typename": "Comment", "title": "Re"}


def test_connect_disconnect_and_a_to_one_of_an_interface(blog: Api) -> None:
    post = create(blog, CREATE_POST, {"title": "P"})
    comment = create(blog, CREATE_COMMENT, {"title": "C"})
    user = create(blog, CREATE_USER, {"name": "u"})
    blog.data(UPDATE_USER, {"id": user, "data": {"writtenSubmissions": {"posts": {"connect": [{"id": post}]}}}})
    blog.data(UPDATE_USER, {"id": user, "data": {"writtenSubmissions": {"comments": {"connect": [{"id": comment}]}}}})
    assert {s["id"] for s in submissions(blog, user)} == {post, comment}
    blog.data(UPDATE_USER, {"id": user, "data": {"writtenSubmissions": {"posts": {"disconnect": [{"id": post}]}}}})
    assert [s["id"] for s in submissions(blog, user)] == [comment]
    # A record of the set, but not of the key's model, is not found under that key.
    wrong = blog.query(
        UPDATE_USER, {"id": user, "data": {"writtenSubmissions": {"posts": {"connect": [{"id": comment}]}}}}
    )
    assert wrong["errors"][0]["extensions"]["code"] == "GGT_RECORD_NOT_FOUND"
    blog.data(
        UPDATE_USER,
        {
            "id": user,
            "data": {
                "writtenSubmissions": {"comments": {"update": [{"where": {"id": comment}, "data": {"title": "C2"}}]}}
            },
        },
    )
    assert [s["title"] for s in submissions(blog, user)] == ["C2"]

    # A to-one of an interface type: a pointer whose id says which model.
    update_comment = """
    mutation ($id: ID!, $data: CommentUpdateInput!) {
      updateComment(input: {where: {id: $id}, data: $data}) { data { about { __typename id } } }
    }"""
    reply = blog.data(update_comment, {"id": comment, "data": {"about": {"posts": {"connect": {"id": post}}}}})
    assert reply["updateComment"]["data"]["about"] == {"__typename": "Post", "id": post}
    other = create(blog, CREATE_COMMENT, {"title": "other"})
    reply = blog.data(update_comment, {"id": comment, "data": {"about": {"comments": {"connect": {"id": other}}}}})
    assert reply["updateComment"]["data"]["about"] == {"__typename": "Comment", "id": other}
    reply = blog.data(update_comment, {"id": comment, "data": {"about": {"comments": {"disconnect": True}}}})
    assert reply["updateComment"]["data"]["about"] is None
    both = blog.query(
        update_comment,
        {
            "id": comment,
            "data": {"about": {"posts": {"connect": {"id": post}}, "comments": {"connect": {"id": other}}}},
        },
    )
    assert both["errors"][0]["extensions"]["code"] == "GGT_INVALID_INPUT"


def test_filter_through_an_interface_and_count(blog: Api) -> None:
    ann = create(
        blog,
        CREATE_USER,
        {
            "name": "ann",
            "writtenSubmissions": {"posts": {"create": [{"title": "x"}]}, "comments": {"create": [{"title": "y"}]}},
        },
    )
    create(blog, CREATE_USER, {"name": "bob", "writtenSubmissions": {"comments": {"create": [{"title": "z"}]}}})
    create(blog, CREATE_USER, {"name": "cy"})
    found = blog.data('{ users(where: {writtenSubmissions: {match: {title: ["x"]}}}) { name } }')["users"]
    assert [u["name"] for u in found] == ["ann"]
    found = blog.data('{ users(where: {writtenSubmissions: {match: {title: ["y", "z"]}}}) { name } }')["users"]
    assert sorted(u["name"] for u in found) == ["ann", "bob"]
    found = blog.data("{ users(where: {exists: {writtenSubmissions: false}}) { name } }")["users"]
    assert [u["name"] for u in found] == ["cy"]
    # The field's own arguments filter the list: the interface's fields, and its match arguments.
    query = f'{{ user(id: "{ann}") {{ a: writtenSubmissions(where: {{match: {{title: ["y"]}}}}) {{ title }}'
    query += (
        ' b: writtenSubmissions(title: ["x"]) { title } c: writtenSubmissions(orderBy: {title: DESC}) { title } } }'
    )
    user = blog.data(query)["user"]
    assert user["a"] == [{"title": "y"}]
    assert user["b"] == [{"title": "x"}]
    assert user["c"] == [{"title": "y"}, {"title": "x"}]
    # A union's list counts, pages and takes `exists`.
    blog.data(
        UPDATE_USER,
        {
            "id": ann,
            "data": {
                "starred": {
                    "users": {"connect": [{"id": ann}]},
                    "posts": {"create": [{"title": "s1"}]},
                    "comments": {"create": [{"title": "s2"}]},
                }
            },
        },
    )
    query = f'{{ user(id: "{ann}") {{ starred(first: 2) {{ aggregate {{ count }} pageInfo {{ hasNextPage }}'
    query += " edges { node { __typename ... on User { name } ... on Submission { title } } } } } }"
    starred = blog.data(query)["user"]["starred"]
    assert len(starred["edges"]) == 2
    assert starred["pageInfo"]["hasNextPage"] is True
    count_query = f'{{ user(id: "{ann}") {{ starred {{ aggregate {{ count }} edges {{ node {{ __typename }} }} }} }} }}'
    full = blog.data(count_query)["user"]["starred"]
    assert full["aggregate"]["count"] == 3
    assert sorted(e["node"]["__typename"] for e in full["edges"]) == ["Comment", "Post", "User"]
    found = blog.data("{ users(where: {exists: {starred: true}}) { name } }")["users"]
    assert [u["name"] for u in found] == ["ann"]
    # A union has no fields to filter by: its relation takes no where-clause.
    refused = blog.query('{ users(where: {starred: {match: {id: ["x"]}}}) { name } }')
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_export_and_import_round_trip(blog: Api) -> None:
    post = create(blog, CREATE_POST, {"title": "P"})
    user = create(
        blog,
        CREATE_USER,
        {
            "name": "u",
            "writtenSubmissions": {"posts": {"connect": [{"id": post}]}, "comments": {"create": [{"title": "C"}]}},
            "starred": {"posts": {"connect": [{"id": post}]}, "users": {"create": [{"name": "v"}]}},
        },
    )
    exported = blog.data('{ exportData(types: ["User", "Post", "Comment"]) }')["exportData"]
    by_id = {item["id"]: item for item in exported}
    assert len(by_id[user]["writtenSubmissions"]) == 2
    assert post in by_id[user]["writtenSubmissions"]
    assert len(by_id[user]["starred"]) == 2
    assert post in by_id[user]["starred"]

    # The user deleted, then restored from its export by id, links of mixed models included.
    blog.data("mutation ($id: ID!) { deleteUser(input: {where: {id: $id}}) { data { id } } }", {"id": user})
    # The cleanup removes the deleted user's edges, to both models of the set.
    report = cleanup.run(blog.service.tables, Budget(), min_age=0)
    assert report.cleaned == 1
    assert blog.data(f'{{ post(id: "{post}") {{ id }} }}')["post"] == {"id": post}
    assert list(check(blog.service.store)) == []
    imported = blog.data(
        "mutation ($data: [JSON]!) { importData(data: $data, merge: true) { data missingData } }",
        {"data": [by_id[user]]},
    )["importData"]
    assert imported["missingData"] == []
    again = {item["id"]: item for item in blog.data('{ exportData(types: ["User", "Post", "Comment"]) }')["exportData"]}
    assert sorted(again[user]["writtenSubmissions"]) == sorted(by_id[user]["writtenSubmissions"])
    assert sorted(again[user]["starred"]) == sorted(by_id[user]["starred"])

    # merge: false makes new records and links them to one another across models.
    fresh = blog.data(
        "mutation ($data: [JSON]!) { importData(data: $data) { data missingData } }",
        {
            "data": [
                {"__typename": "Post", "id": "p1", "title": "new post"},
                {"__typename": "Comment", "id": "c1", "title": "new comment", "about": post},
                {"__typename": "User", "name": "w", "writtenSubmissions": ["p1", "c1"], "starred": [user, "p1"]},
            ]
        },
    )["importData"]
    assert fresh["missingData"] == []
    new_user = fresh["data"][2]
    assert len(new_user["writtenSubmissions"]) == 2
    assert len(new_user["starred"]) == 2
    found = submissions(blog, new_user["id"])
    assert sorted((s["__typename"], s["title"]) for s in found) == [("Comment", "new comment"), ("Post", "new post")]
    missing = blog.data(
        "mutation ($data: [JSON]!) { importData(data: $data) { missingData } }",
        {"data": [{"__typename": "User", "name": "x", "writtenSubmissions": [user]}]},
    )["importData"]["missingData"]
    assert missing == [{"__typename": "Submission", "id": user}]


def test_deleting_a_member_leaves_no_link(blog: Api) -> None:
    user = create(
        blog,
        CREATE_USER,
        {
            "name": "u",
            "writtenSubmissions": {
                "posts": {"create": [{"title": "gone"}]},
                "comments": {"create": [{"title": "kept"}]},
            },
        },
    )
    (post,) = [s["id"] for s in submissions(blog, user) if s["__typename"] == "Post"]
    blog.data("mutation ($id: ID!) { deletePost(input: {where: {id: $id}}) { data { id } } }", {"id": post})
    assert [s["title"] for s in submissions(blog, user)] == ["kept"]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            "interface I { id: ID! n: Int } type A implements I @model { id: ID! } type B @model { id: ID! i: [I] }",
            "A.n: A implements I, so it needs I.n",
        ),
        (
            "interface I { id: ID! n: [Int] } type A implements I @model { id: ID! n: Int }",
            "A.n: its type must fit I.n's",
        ),
        ("union U = A | Helper type A @model { id: ID! u: [U] } type Helper { id: ID! }", "union U: member Helper"),
        ("interface I { id: ID! } type A @model { id: ID! i: I }", "interface I: no model implements it"),
    ],
)
def test_a_bad_declaration_fails_at_start(
    make_api: Callable[..., Api], tmp_path: Path, schema: str, message: str
) -> None:
    path = tmp_path / "bad.graphql"
    path.write_text(schema)
    with pytest.raises(SchemaError, match=message):
        make_api(path)


# Every generated operation, through interface and union relation fields.

UPDATE_COMMENT = """
mutation ($id: ID!, $data: CommentUpdateInput!) {
  updateComment(input: {where: {id: $id}, data: $data}) { data { about { __typename id ... on Submission { title } } } }
}"""
DELETE_POST = "mutation ($id: ID!) { deletePost(input: {where: {id: $id}}) { data { id } } }"


def gone_post(api: Api) -> str:
    """The id of a Post that no longer exists: an upsert by it creates."""
    post = create(api, CREATE_POST, {"title": "gone"})
    api.data(DELETE_POST, {"id": post})
    return post


def titles(api: Api, user_id: str) -> list[tuple[str, str]]:
    return sorted((s["__typename"], s["title"]) for s in submissions(api, user_id))


def test_nested_update_delete_and_upsert_per_type_on_a_to_many(blog: Api) -> None:
    user = create(
        blog,
        CREATE_USER,
        {
            "name": "u",
            "writtenSubmissions": {
                "posts": {"create": [{"title": "p1"}, {"title": "p2"}]},
                "comments": {"create": [{"title": "c1"}, {"title": "c2"}]},
            },
        },
    )
    ids = {s["title"]: s["id"] for s in submissions(blog, user)}
    missing = gone_post(blog)
    blog.data(
        UPDATE_USER,
        {
            "id": user,
            "data": {
                "writtenSubmissions": {
                    "posts": {
                        "update": [{"where": {"id": ids["p1"]}, "data": {"title": "p1b", "body": "b"}}],
                        "delete": [{"id": ids["p2"]}],
                        "upsert": [
                            {"where": {"id": ids["p1"]}, "update": {"body": "b2"}, "create": {"title": "unused"}},
                            {"where": {"id": missing}, "update": {"title": "unused"}, "create": {"title": "p3"}},
                        ],
                    },
                    "comments": {
                        "update": [{"where": {"id": ids["c1"]}, "data": {"title": "c1b"}}],
                        "delete": [{"id": ids["c2"]}],
                        "upsert": [
                            {
                                "where": {"id": ids["c1"]},
                                "update": {"about": {"posts": {"connect": {"id": ids["p1"]}}}},
                                "create": {"title": "unused"},
                            }
                        ],
                    },
                }
            },
        },
    )
    found = submissions(blog, user)
    assert sorted((s["__typename"], s["title"]) for s in found) == [("Comment", "c1b"), ("Post", "p1b"), ("Post", "p3")]
    by_title = {s["title"]: s for s in found}
    assert by_title["p1b"]["body"] == "b2"
    assert by_title["c1b"]["about"] == {"__typename": "Post", "id": ids["p1"], "title": "p1b"}
    # Deleted, not only unlinked; the new post is a Post of its own table.
    assert blog.data(f'{{ post(id: "{ids["p2"]}") {{ id }} }}')["post"] is None
    assert blog.data(f'{{ comment(id: "{ids["c2"]}") {{ id }} }}')["comment"] is None
    assert {p["title"] for p in blog.data("{ posts { title } }")["posts"]} == {"p1b", "p3"}

    # Nested writes reach only the user's own submissions, and only under their model's key.
    stranger = create(blog, CREATE_POST, {"title": "stranger"})
    for ops in (
        {"posts": {"update": [{"where": {"id": stranger}, "data": {"title": "x"}}]}},
        {"posts": {"delete": [{"id": stranger}]}},
        {"posts": {"upsert": [{"where": {"id": stranger}, "update": {"title": "x"}, "create": {"title": "x"}}]}},
    ):
        refused = blog.query(UPDATE_USER, {"id": user, "data": {"writtenSubmissions": ops}})
        assert refused["errors"][0]["extensions"]["code"] == "GGT_INVALID_INPUT", ops
    for ops in (
        {"posts": {"update": [{"where": {"id": ids["c1"]}, "data": {"title": "x"}}]}},
        {"posts": {"delete": [{"id": ids["c1"]}]}},
        {"comments": {"delete": [{"id": ids["p1"]}]}},
    ):
        refused = blog.query(UPDATE_USER, {"id": user, "data": {"writtenSubmissions": ops}})
        assert refused["errors"][0]["extensions"]["code"] == "GGT_RECORD_NOT_FOUND", ops
    assert titles(blog, user) == [("Comment", "c1b"), ("Post", "p1b"), ("Post", "p3")]
    assert blog.data(f'{{ post(id: "{stranger}") {{ title }} }}')["post"] == {"title": "stranger"}
    assert list(check(blog.service.store)) == []


def test_nested_update_delete_and_upsert_per_type_on_a_to_one(blog: Api) -> None:
    post = create(blog, CREATE_POST, {"title": "p"})
    comment = create(blog, CREATE_COMMENT, {"title": "c", "about": {"posts": {"connect": {"id": post}}}})

    def about(data: dict[str, Any]) -> Any:
        return blog.data(UPDATE_COMMENT, {"id": comment, "data": {"about": data}})["updateComment"]["data"]["about"]

    assert about({"posts": {"update": {"title": "p2"}}}) == {"__typename": "Post", "id": post, "title": "p2"}
    assert about({"posts": {"upsert": {"update": {"title": "p3"}, "create": {"title": "unused"}}}}) == {
        "__typename": "Post",
        "id": post,
        "title": "p3",
    }
    # Linked to a Post, nothing is linked under `comments`: update and delete find nothing there.
    for ops in ({"comments": {"update": {"title": "x"}}}, {"comments": {"delete": True}}):
        refused = blog.query(UPDATE_COMMENT, {"id": comment, "data": {"about": ops}})
        assert refused["errors"][0]["extensions"]["code"] == "GGT_INVALID_INPUT", ops
    # An upsert under another model's key creates a record of that model, which replaces the link.
    created = about({"comments": {"upsert": {"update": {"title": "unused"}, "create": {"title": "new c"}}}})
    assert created["__typename"] == "Comment"
    assert created["title"] == "new c"
    assert blog.data(f'{{ post(id: "{post}") {{ title }} }}')["post"] == {"title": "p3"}
    assert about({"comments": {"update": {"title": "c2"}}}) == {**created, "title": "c2"}
    assert about({"comments": {"delete": True}}) is None
    assert blog.data(f'{{ comment(id: "{created["id"]}") {{ id }} }}')["comment"] is None
    assert about({"posts": {"upsert": {"update": {"title": "unused"}, "create": {"title": "new p"}}}})["title"] == (
        "new p"
    )
    assert about({"posts": {"delete": True}}) is None
    assert {p["title"] for p in blog.data("{ posts { title } }")["posts"]} == {"p3"}
    assert list(check(blog.service.store)) == []


def test_conditions_through_an_interface_and_a_union(blog: Api) -> None:
    post = create(blog, CREATE_POST, {"title": "p"})
    user = create(
        blog,
        CREATE_USER,
        {
            "name": "u",
            "writtenSubmissions": {"posts": {"connect": [{"id": post}]}, "comments": {"create": [{"title": "c"}]}},
        },
    )
    update = """
    mutation ($id: ID!, $conditions: UserWhereInput) {
      updateUser(input: {where: {id: $id}, data: {name: "changed"}, conditions: $conditions}) {
        data { name } unalteredData { name }
      }
    }"""
    upsert = """
    mutation ($id: ID!, $conditions: UserWhereInput) {
      upsertUser(input: {where: {id: $id}, create: {}, update: {name: "upserted"}, conditions: $conditions}) {
        data { name } unalteredData { name }
      }
    }"""
    delete = """
    mutation ($id: ID!, $conditions: UserWhereInput) {
      deleteUser(input: {where: {id: $id}, conditions: $conditions}) { data { name } unalteredData { name } }
    }"""
    failing = [
        {"writtenSubmissions": {"match": {"title": ["nope"]}}},
        {"writtenSubmissions": {"range": {"title": ["x", "z"]}}},
        {"not": {"writtenSubmissions": {"match": {"title": ["c"]}}}},
        {"exists": {"starred": True}},
    ]
    for mutation in (update, upsert, delete):
        for conditions in failing:
            (payload,) = blog.data(mutation, {"id": user, "conditions": conditions}).values()
            assert payload == {"data": None, "unalteredData": {"name": "u"}}, (mutation, conditions)
    (payload,) = blog.data(
        update, {"id": user, "conditions": {"writtenSubmissions": {"match": {"title": ["c"]}}}}
    ).values()
    assert payload["data"] == {"name": "changed"}
    blog.data(UPDATE_USER, {"id": user, "data": {"starred": {"posts": {"connect": [{"id": post}]}}}})
    conditions = {"exists": {"starred": True}, "writtenSubmissions": {"match": {"title": ["p"]}}}
    (payload,) = blog.data(upsert, {"id": user, "conditions": conditions}).values()
    assert payload["data"] == {"name": "upserted"}
    conditions = {"writtenSubmissions": {"exists": {"author": False}}, "exists": {"writtenSubmissions": True}}
    (payload,) = blog.data(delete, {"id": user, "conditions": conditions}).values()
    assert payload["data"] == {"name": "upserted"}
    assert blog.data(f'{{ user(id: "{user}") {{ id }} }}')["user"] is None


def test_update_many_and_delete_many_through_an_interface_and_a_union(blog: Api) -> None:
    ann = create(
        blog,
        CREATE_USER,
        {"name": "ann", "writtenSubmissions": {"posts": {"create": [{"title": "x"}]}}},
    )
    bob = create(
        blog,
        CREATE_USER,
        {"name": "bob", "writtenSubmissions": {"comments": {"create": [{"title": "y"}]}}},
    )
    cy = create(blog, CREATE_USER, {"name": "cy", "starred": {"comments": {"create": [{"title": "s"}]}}})
    update_many = """
    mutation ($where: UserWhereInput!, $name: String) {
      updateManyUsers(input: {where: $where, data: {name: $name}}) { count complete }
    }"""
    delete_many = "mutation ($where: UserWhereInput!) { deleteManyUsers(input: {where: $where}) { count complete } }"
    where: dict[str, Any] = {"writtenSubmissions": {"match": {"title": ["y", "z"]}}}
    assert blog.data(update_many, {"where": where, "name": "bob2"})["updateManyUsers"] == {"count": 1, "complete": True}
    where = {"exists": {"starred": True}}
    assert blog.data(update_many, {"where": where, "name": "cy2"})["updateManyUsers"] == {"count": 1, "complete": True}
    names = {u["id"]: u["name"] for u in blog.data("{ users { id name } }")["users"]}
    assert names == {ann: "ann", bob: "bob2", cy: "cy2"}
    where = {"or": [{"writtenSubmissions": {"match": {"title": ["x"]}}}, {"exists": {"starred": True}}]}
    assert blog.data(delete_many, {"where": where})["deleteManyUsers"] == {"count": 2, "complete": True}
    assert [u["id"] for u in blog.data("{ users { id } }")["users"]] == [bob]
    # The submissions stay, each in its model's table.
    assert [p["title"] for p in blog.data("{ posts { title } }")["posts"]] == ["x"]
    assert sorted(c["title"] for c in blog.data("{ comments { title } }")["comments"]) == ["s", "y"]


def test_the_connection_form_and_node(blog: Api) -> None:
    user = create(
        blog,
        CREATE_USER,
        {
            "name": "u",
            "drafts": {
                "posts": {"create": [{"title": "b"}, {"title": "d"}]},
                "comments": {"create": [{"title": "a"}, {"title": "c"}, {"title": "e"}]},
            },
        },
    )
    page = """
    query ($id: ID!, $after: String, $orderBy: SubmissionOrderByInput, $where: SubmissionWhereInput) {
      user(id: $id) {
        drafts(first: 2, after: $after, orderBy: $orderBy, where: $where) {
          aggregate { count }
          pageInfo { hasNextPage endCursor }
          edges { cursor node { __typename id title } }
        }
      }
    }"""

    def pages(**variables: Any) -> tuple[list[list[str]], list[int]]:
        seen: list[list[str]] = []
        counts: list[int] = []
        after = None
        while True:
            drafts = blog.data(page, {"id": user, "after": after, **variables})["user"]["drafts"]
            seen.append([e["node"]["title"] for e in drafts["edges"]])
            counts.append(drafts["aggregate"]["count"])
            if not drafts["pageInfo"]["hasNextPage"]:
                return seen, counts
            after = drafts["pageInfo"]["endCursor"]

    seen, counts = pages(orderBy={"title": "ASC"})
    assert seen == [["a", "b"], ["c", "d"], ["e"]]
    assert counts == [5, 5, 5]
    seen, counts = pages(orderBy={"title": "DESC"}, where={"match": {"title": ["a", "b", "d"]}})
    assert seen == [["d", "b"], ["a"]]
    assert counts == [3, 3]
    seen, _ = pages()
    assert sorted(t for p in seen for t in p) == ["a", "b", "c", "d", "e"]

    # `node` finds each member of the set, and the user, by id.
    edges = blog.data(page, {"id": user, "orderBy": {"title": "ASC"}})["user"]["drafts"]["edges"]
    node = "query ($id: ID!) { node(id: $id) { __typename id ... on Submission { title } ... on User { name } } }"
    for edge in edges:
        assert blog.data(node, {"id": edge["node"]["id"]})["node"] == edge["node"]
    assert blog.data(node, {"id": user})["node"] == {"__typename": "User", "id": user, "name": "u"}
    assert blog.data('{ users(where: {drafts: {match: {title: ["e"]}}}) { id } }')["users"] == [{"id": user}]


# Posts are for signed-in users; comments for system-admin alone.
ACCESS_SCHEMA = (
    """
interface Submission {
  id: ID!
  title: String
}

union Star = Post | Comment

type User @model @access(read: ["signed-in"], update: ["signed-in"], bulk: ["signed-in"]) {
  id: ID!
  email: Email! @unique
  password: Password
  name: String
  roles: [Role!] @default(value: ["signed-in"])
  state: RecordState
  writtenSubmissions: [Submission]
  drafts: [Submission] @connection
  starred: [Star]
}

type Post implements Submission @model
  @access(read: ["signed-in"], create: ["signed-in"], update: ["signed-in"], bulk: ["signed-in"]) {
  id: ID!
  title: String
  about: Submission
}

type Comment implements Submission @model {
  id: ID!
  title: String
}

type Shop @model {
  id: ID!
}
"""
    + SESSION_TYPE
)


def test_a_member_the_caller_may_not_read_is_not_there(make_api: Callable[..., Api], tmp_path: Path) -> None:
    schema = tmp_path / "access.graphql"
    schema.write_text(ACCESS_SCHEMA)
    api = make_api(schema)
    reader = sign_up(api, "reader@example.com")
    both = {"posts": {"create": [{"title": "public"}]}, "comments": {"create": [{"title": "secret"}]}}
    ann = create(
        api, CREATE_USER, {"email": "ann@example.com", "name": "ann", "writtenSubmissions": both, "drafts": both}
    )
    hidden = {"comments": {"create": [{"title": "secret"}]}}
    bob = create(
        api,
        CREATE_USER,
        {"email": "bob@example.com", "name": "bob", "writtenSubmissions": hidden, "drafts": hidden, "starred": hidden},
    )
    found = api.data(f'{{ user(id: "{bob}") {{ writtenSubmissions {{ id }} }} }}')["user"]["writtenSubmissions"]
    (comment,) = [s["id"] for s in found]
    post = create(api, CREATE_POST, {"title": "p", "about": {"comments": {"connect": {"id": comment}}}})

    def read(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return call(api, query, variables, reader.auth).data

    users = read(
        "{ users(orderBy: {name: ASC}) { name writtenSubmissions { __typename title } starred { __typename } } }"
    )
    assert [(u["name"], u["writtenSubmissions"], u["starred"]) for u in users["users"] if u["name"]] == [
        ("ann", [{"__typename": "Post", "title": "public"}], []),
        ("bob", [], []),
    ]
    drafts = "query ($id: ID!) { user(id: $id) { drafts { aggregate { count } edges { node { __typename } } } } }"
    assert read(drafts, {"id": ann})["user"]["drafts"] == {
        "aggregate": {"count": 1},
        "edges": [{"node": {"__typename": "Post"}}],
    }
    assert read(drafts, {"id": bob})["user"]["drafts"] == {"aggregate": {"count": 0}, "edges": []}
    secret = {"match": {"title": ["secret"]}}
    for where in (
        {"writtenSubmissions": secret},
        {"drafts": secret},
        {"exists": {"starred": True}},
        {"and": [{"exists": {"drafts": True}}, {"match": {"name": ["bob"]}}]},
    ):
        assert read("query ($where: UserWhereInput) { users(where: $where) { id } }", {"where": where})["users"] == []
        count = "query ($where: UserWhereInput) { usersConnection(where: $where) { aggregate { count } } }"
        assert read(count, {"where": where})["usersConnection"]["aggregate"]["count"] == 0
    found = read("{ users(where: {exists: {writtenSubmissions: true}}) { id } }")["users"]
    assert found == [{"id": ann}]
    found = read("{ users(where: {exists: {writtenSubmissions: false}}) { id } }")["users"]
    assert {u["id"] for u in found} == {bob, reader.user_id}
    own = '{ users { writtenSubmissions(where: {match: {title: ["secret"]}}) { id } } }'
    assert all(u["writtenSubmissions"] == [] for u in read(own)["users"])
    # A to-one to a comment is null; no filter finds it.
    assert read(f'{{ post(id: "{post}") {{ about {{ __typename }} }} }}')["post"] == {"about": None}
    assert read('{ posts(where: {about: {match: {title: ["secret"]}}}) { id } }')["posts"] == []
    assert read("{ posts(where: {exists: {about: true}}) { id } }")["posts"] == []
    # `node` of a model the caller may not read at all is refused, as for any model.
    node = call(api, "query ($id: ID!) { node(id: $id) { id } }", {"id": comment}, reader.auth)
    assert node.codes == ["GGT_PERMISSION_DENIED"]

    # Conditions and bulk writes see what the caller sees.
    conditional = """
    mutation ($id: ID!, $conditions: UserWhereInput) {
      updateUser(input: {where: {id: $id}, data: {name: "x"}, conditions: $conditions}) { data { id } }
    }"""
    for conditions in ({"writtenSubmissions": secret}, {"exists": {"starred": True}}, {"exists": {"drafts": True}}):
        assert read(conditional, {"id": bob, "conditions": conditions})["updateUser"]["data"] is None
    update_many = """
    mutation ($where: UserWhereInput!) { updateManyUsers(input: {where: $where, data: {name: "x"}}) { count } }
    """
    for where in ({"writtenSubmissions": secret}, {"exists": {"starred": True}}):
        assert read(update_many, {"where": where})["updateManyUsers"]["count"] == 0

    # Nested writes do not find it, nor write one.
    for ops, code in (
        ({"comments": {"disconnect": [{"id": comment}]}}, "GGT_RECORD_NOT_FOUND"),
        ({"comments": {"update": [{"where": {"id": comment}, "data": {"title": "x"}}]}}, "GGT_RECORD_NOT_FOUND"),
        ({"comments": {"delete": [{"id": comment}]}}, "GGT_RECORD_NOT_FOUND"),
        ({"comments": {"connect": [{"id": comment}]}}, "GGT_PERMISSION_DENIED"),
        ({"comments": {"create": [{"title": "x"}]}}, "GGT_PERMISSION_DENIED"),
    ):
        reply = call(api, UPDATE_USER, {"id": bob, "data": {"writtenSubmissions": ops}}, reader.auth)
        assert reply.codes == [code], ops
    assert (
        len(api.data(f'{{ user(id: "{bob}") {{ writtenSubmissions {{ id }} }} }}')["user"]["writtenSubmissions"]) == 1
    )

    # Export lists only the links to what the caller may read.
    exported = {item["id"]: item for item in read('{ exportData(types: ["User", "Post"]) }')["exportData"]}
    assert exported[bob]["writtenSubmissions"] == []
    assert exported[bob]["drafts"] == []
    assert exported[bob]["starred"] == []
    assert len(exported[ann]["writtenSubmissions"]) == 1
    assert "about" not in exported[post]
    everything = {item["id"]: item for item in api.data('{ exportData(types: ["User", "Post"]) }')["exportData"]}
    assert len(everything[bob]["starred"]) == 1
    assert everything[post]["about"] == comment
    assert list(check(api.service.store)) == []
