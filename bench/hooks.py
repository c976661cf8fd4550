"""The cost of an empty hook: `createPost` with an empty `before` and `after` on Post's creates,
and without hooks, timed alternately in one run (goal: within 5%).

Both services run in this process on one embedded DynamoDB, each on its own tables, built from
the same schema in two folders: one with a hooks module beside it, one without. The hook's own
work (the step calls and their events) is also timed alone, without DynamoDB.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.harness import paired_medians, run, service
from chalicelib.access.context import RequestContext
from chalicelib.access.roles import SYSTEM_ADMIN
from chalicelib.api.writes import WritePlan
from chalicelib.service import Service
from tooling.local.dynamodb import LocalDynamoDB

SCHEMA = "type Post @model { id: ID! title: String body: String }\n"
EMPTY_HOOKS = """
from chalicelib.hooks import Hooks

hooks = Hooks()


@hooks.before("Post", "create")
def before(event):
    pass


@hooks.after("Post", "create")
def after(event):
    pass
"""
CREATE = 'mutation { createPost(input: {data: {title: "t", body: "b"}}) { data { id } } }'
GOAL = 1.05
PLANS = 10_000


def main(repeat: int) -> None:
    dynamodb = LocalDynamoDB().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            plain_schema = Path(folder) / "plain" / "schema.graphql"
            hooked_schema = Path(folder) / "hooked" / "schema.graphql"
            for schema in (plain_schema, hooked_schema):
                schema.parent.mkdir()
                schema.write_text(SCHEMA)
            (hooked_schema.parent / "schema.py").write_text(EMPTY_HOOKS)
            plain = service(dynamodb, str(plain_schema), "bench-plain-")
            hooked = service(dynamodb, str(hooked_schema), "bench-hooked-")
            assert hooked.hooks.declared
            assert not plain.hooks.declared
            print(f"  timing createPost with and without hooks ({repeat} of each)", file=sys.stderr, flush=True)
            without, with_hooks = paired_medians(lambda: run(plain, CREATE), lambda: run(hooked, CREATE), repeat)
            per_plan = _planning(plain, hooked)
    finally:
        dynamodb.stop()
    print("Hooks: createPost (one PutItem) with an empty before and after, and without hooks:")
    print(f"  {'without hooks':<16} {without * 1000:>8.2f}ms")
    print(f"  {'empty hooks':<16} {with_hooks * 1000:>8.2f}ms  {with_hooks / without:>5.3f}x (goal: within {GOAL}x)")
    print(f"  the steps' own cost, planning alone: {per_plan[0] * 1e6:.1f}us without, {per_plan[1] * 1e6:.1f}us with")


def _planning(plain: Service, hooked: Service) -> tuple[float, float]:
    """Seconds per plan of one create (the write path without DynamoDB), without and with hooks."""
    results = []
    for built in (plain, hooked):
        registry, store, hooks = built.registry, built.store, built.hooks
        context = RequestContext(roles=frozenset({SYSTEM_ADMIN}), hooks=hooks if hooks.declared else None)
        model = registry.model("Post")
        start = time.perf_counter()
        for _ in range(PLANS):
            plan = WritePlan(registry, store, context)
            plan.create(model, {"title": "t", "body": "b"})
            plan.committed()
        results.append((time.perf_counter() - start) / PLANS)
    return results[0], results[1]
