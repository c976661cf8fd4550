"""The rules of examples/blog.graphql: the module of the schema's name, picked up at start."""

from __future__ import annotations

from typing import Any

from chalicelib.hooks import After, Before, Caller, Hooks

hooks = Hooks()

BANNED = ("frobnicate",)
# Where the welcome messages go: a real app would send them (an email, a queue). Kept here so
# that a developer (and the tests) can read them.
OUTBOX: list[str] = []


@hooks.before("Post", "create", "update")
def clean_title(event: Before) -> None:
    """Titles are stored trimmed, and no post says a banned word."""
    if isinstance(event.data.get("title"), str):
        event.data["title"] = event.data["title"].strip()
    for field in ("title", "body"):
        text = (event.data.get(field) or "").lower()
        if any(word in text for word in BANNED):
            raise event.refuse(field, "contains a banned word")


@hooks.after("User", "create")
def welcome(event: After) -> None:
    """Runs once the user is stored (signUp included), outside its transaction."""
    OUTBOX.append(f"Welcome, {event.record['email']}!")


@hooks.computed("Post", "wordCount")
def word_count(record: dict[str, Any], _caller: Caller) -> int:
    return len((record.get("body") or "").split())


@hooks.query("drafts")
def drafts(caller: Caller) -> list[dict[str, Any]]:
    """The caller's unpublished posts, read through the generated API as the caller."""
    if caller.user_id is None:
        return []
    found = caller.execute(
        "query ($me: ID!) { posts(where: {author: {match: {id: [$me]}}, match: {published: [false]}}) { id } }",
        {"me": caller.user_id},
    )
    return caller.records("Post", [post["id"] for post in found["posts"]])


@hooks.mutation("publishPost")
def publish_post(caller: Caller, id: str) -> dict[str, Any] | None:
    """An update the caller must be allowed to make: updatePost checks it, runs the post's steps."""
    caller.execute(
        "mutation ($id: ID!) { updatePost(input: {where: {id: $id}, data: {published: true}}) { data { id } } }",
        {"id": id},
    )
    return caller.record("Post", id)
