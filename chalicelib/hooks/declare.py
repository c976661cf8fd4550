"""`Hooks`: what a team's module declares, by decorators, for the project to pick up at start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

BEFORE = "before"
AFTER = "after"
COMPUTED = "computed"
QUERY = "query"
MUTATION = "mutation"


@dataclass(frozen=True)
class Declared:
    """One function and what it was declared for: (model, action) for a step, (model, field) for a
    computed field, (name,) for a custom operation."""

    kind: str
    target: tuple[str, ...]
    function: Callable[..., Any]
    # A step that uses the record as stored before the write (`stored=True`): only then is an
    # update read before it is written (see hooks/events.py).
    stored: bool = False

    @property
    def where(self) -> str:
        """`file:line: function`, as a start-up error names it."""
        code = getattr(self.function, "__code__", None)
        name = getattr(self.function, "__qualname__", repr(self.function))
        if code is None:
            return name
        return f"{Path(code.co_filename)}:{code.co_firstlineno}: {name}"

    @property
    def label(self) -> str:
        return f"{self.kind}({', '.join(map(repr, self.target))})"


class Hooks:
    """Declarations, in the order made. The module beside the schema names one `hooks = Hooks()`:

    @hooks.before("Post", "create", "update")   def check(event: Before) -> dict | None
    @hooks.before("Post", "update", stored=True) def compare(event: Before) -> ...  (event.record)
    @hooks.after("User", "create")              def welcome(event: After) -> None
    @hooks.computed("Post", "wordCount")        def words(record, caller, **arguments) -> value
    @hooks.query("popularPosts")                def popular(caller, **arguments) -> value
    @hooks.mutation("publishPost")              def publish(caller, **arguments) -> value
    """

    def __init__(self) -> None:
        self.declared: list[Declared] = []

    def before(self, model: str, *actions: str, stored: bool = False) -> Callable[[F], F]:
        return self._declare(BEFORE, [(model, action) for action in actions] or [(model, "")], stored)

    def after(self, model: str, *actions: str, stored: bool = False) -> Callable[[F], F]:
        return self._declare(AFTER, [(model, action) for action in actions] or [(model, "")], stored)

    def computed(self, model: str, field: str) -> Callable[[F], F]:
        return self._declare(COMPUTED, [(model, field)])

    def query(self, name: str) -> Callable[[F], F]:
        return self._declare(QUERY, [(name,)])

    def mutation(self, name: str) -> Callable[[F], F]:
        return self._declare(MUTATION, [(name,)])

    def _declare(self, kind: str, targets: list[tuple[str, ...]], stored: bool = False) -> Callable[[F], F]:
        def decorate(function: F) -> F:
            self.declared.extend(Declared(kind, target, function, stored) for target in targets)
            return function

        return decorate
