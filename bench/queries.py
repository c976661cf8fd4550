"""Round trips of each read shape (SPEC section 6), and the time of `user(id:)` against a bare resolver."""

from __future__ import annotations

from typing import Any

from ariadne import QueryType, graphql_sync, make_executable_schema

from bench.harness import calls_text, counting, paired_medians, run, service
from chalicelib.service import Service
from tooling.local.dynamodb import LocalDynamoDB

USERS = 50
CITIES = 5


def seed(api: Service) -> tuple[list[str], list[str]]:
    cities = [
        run(api, "mutation ($n: String!) { createCity(input: {data: {name: $n}}) { data { id } } }", {"n": f"c{i}"})
        for i in range(CITIES)
    ]
    city_ids = [c["createCity"]["data"]["id"] for c in cities]
    user_ids = []
    for i in range(USERS):
        created = run(
            api,
            "mutation ($d: UserCreateInput!) { createUser(input: {data: $d}) { data { id } } }",
            {
                "d": {
                    "email": f"u{i}@example.com",
                    "displayname": f"u{i}",
                    "address": {"connect": {"id": city_ids[i % CITIES]}},
                }
            },
        )
        user_ids.append(created["createUser"]["data"]["id"])
    return city_ids, user_ids


def round_trips(api: Service, city_ids: list[str], user_ids: list[str]) -> list[tuple[str, str, str]]:
    shapes: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("user(id:)", "1", "query ($id: ID!) { user(id: $id) { email } }", {"id": user_ids[0]}),
        ("user(email:)", "1", '{ user(email: "u1@example.com") { email } }', None),
        (
            "createUser, 2 unique fields",
            "1",
            'mutation { createUser(input: {data: {email: "new@example.com", displayname: "new"}}) { data { id } } }',
            None,
        ),
        (
            f"users {{ address }}, {USERS} users",
            "list pages + ceil(related/100)",
            "{ users { displayname address { name } } }",
            None,
        ),
        (
            "users(email: [3 values])",
            "<= 3",
            '{ users(email: ["u1@example.com", "u2@example.com", "nobody@example.com"]) { email } }',
            None,
        ),
        (
            "cities(where: id in [2 ids])",
            "1",
            "query ($ids: [ID]) { cities(where: {match: {id: $ids}}) { name } }",
            {"ids": city_ids[:2]},
        ),
        (
            "updateCity(where: {id}), condition",
            "1",
            "mutation ($id: ID!) { updateCity(input: {where: {id: $id}, data: {population: 1},"
            " conditions: {match: {population: null}}}) { data { id } } }",
            {"id": city_ids[0]},
        ),
        (
            "updateCity(where: {id}), failing condition",
            "1 (unalteredData with the failure)",
            "mutation ($id: ID!) { updateCity(input: {where: {id: $id}, data: {population: 2},"
            " conditions: {match: {population: null}}}) { data { id } unalteredData { population } } }",
            {"id": city_ids[0]},
        ),
        (
            "createCity + 2 nested users",
            "1",
            'mutation { createCity(input: {data: {name: "n", user: {create: ['
            '{email: "n1@example.com", displayname: "n1"}, {email: "n2@example.com"}]}}}) { data { id } } }',
            None,
        ),
        (
            "createUser connecting a city by id",
            "1",
            'mutation ($id: ID!) { createUser(input: {data: {email: "c@example.com",'
            " address: {connect: {id: $id}}}}) { data { id } } }",
            {"id": city_ids[1]},
        ),
        (
            "deleteUser(where: {email})",
            "1 read + 1 write",
            'mutation { deleteUser(input: {where: {email: "u3@example.com"}}) { data { id } } }',
            None,
        ),
    ]
    rows = []
    for name, target, query, variables in shapes:
        with counting(api) as log:
            run(api, query, variables)
        rows.append((name, target, calls_text(log)))
    return rows


def bare_resolver_schema(api: Service) -> Any:
    """The floor: Ariadne with one hand-written resolver doing the same single PynamoDB get."""
    user_class = api.tables.model_class("User")
    query = QueryType()

    @query.field("user")
    def resolve_user(*_: Any, id: str) -> dict[str, Any] | None:
        try:
            item = user_class.get(id, consistent_read=True)
        except user_class.DoesNotExist:
            return None
        return {"id": id, "email": item.attribute_values.get("f_email")}

    return make_executable_schema("type Query { user(id: ID!): User } type User { id: ID! email: String }", query)


def main(repeat: int) -> None:
    dynamodb = LocalDynamoDB().start()
    try:
        api = service(dynamodb, "examples/cities.graphql", "bench-q-")
        city_ids, user_ids = seed(api)
        print(f"DynamoDB calls per operation (cities example, {USERS} users in {CITIES} cities):")
        rows = round_trips(api, city_ids, user_ids)
        wide = max(len(name) for name, _, _ in rows) + 1
        aim = max(len(target) for _, target, _ in rows) + 1
        print(f"  {'operation':<{wide}} {'target':<{aim}} measured")
        for name, target, measured in rows:
            print(f"  {name:<{wide}} {target:<{aim}} {measured}")

        query = "query ($id: ID!) { user(id: $id) { id email } }"
        variables = {"id": user_ids[0]}
        bare = bare_resolver_schema(api)
        ours, floor = paired_medians(
            lambda: run(api, query, variables),
            lambda: graphql_sync(bare, {"query": query, "variables": variables}),
            repeat,
        )
        print(f"\nuser(id:) per request, median of {repeat} (transport-free execution, same local DynamoDB):")
        print(f"  Shoreline                      {ours * 1000:8.3f} ms")
        print(f"  hand-written Ariadne resolver  {floor * 1000:8.3f} ms")
        print(f"  overhead ratio                 {ours / floor:8.2f}x")
    finally:
        dynamodb.stop()
