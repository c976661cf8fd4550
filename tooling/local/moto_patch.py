"""moto's DynamoDB, patched where it differs from DynamoDB in ways the embedded server cannot afford.

- TransactWriteItems deep-copies every table it touches, once per item, to roll back on failure:
  each transaction costs time in proportion to all the data stored. Here moto's own method still
  applies the transaction (conditions, cancellation reasons, per-item errors are all moto's), but
  its backup of a table is the live table, and a journal of the items named rolls a failure back.
- moto keeps every model instance it ever makes (each item, each copy) for its dashboard, which
  the embedded server does not serve: memory grew with every write, and was never given back.
- TransactWriteItems is idempotent by ClientRequestToken, as DynamoDB's is (see request_tokens).
- moto parses and checks each item's expressions anew, although the items of a bulk write share
  them: an expression is parsed, and its checks that read neither values nor item are passed,
  once (see moto_expressions).
- moto copies each item it updates and runs its update's validated tree on it action by action:
  an update of plain SETs, ADDs of numbers and REMOVEs of top-level attributes is compiled once
  into steps that each item then takes (see moto_updates). A transaction of such updates alone is
  planned whole, then applied in one pass, without moto's loop or the journal (see
  moto_transactions; it relies on moto's transaction as pinned here).
- moto answers every Query and Scan by sorting the whole table (or index): here a Query's cost
  follows the partition it names and the page it returns (see moto_queries), and where moto still
  sorts, each key's value is computed once per sort (see moto_order). A Scan's items are not
  deep-copied for its answer, nor measured three times.
- moto keeps every DynamoDB Streams iterator it hands out; the embedded server's reader learns of
  new stream records as they are appended (see moto_streams).
- moto builds each stream record at its write, JSON-serializing it to measure its size, although
  most are dropped unread: its own constructor builds it when first read (see moto_stream_records).
- moto parses each request by walking the operation's input shape, dispatching each node by name
  and looking up every member of every structure: the input shape of a JSON operation is compiled
  once into plain functions that give the same parameters (see moto_parsing).
- moto writes each attribute value of an answer through its generic walk of the output shape,
  and each JSON error as XML before JSON: a plain value is copied directly, an error written as
  JSON only (see moto_serializer).
- moto lists the keys of a table and of its indexes for each item written, to look for an empty
  string among them: where no value given is one, the check passes at once (see moto_checks).
- moto hashes and compares values by their cast value, which tests four other kinds before it
  answers that a string is itself: a string, binary or boolean is answered at once (see
  moto_values).
- moto's server lists its own package folder at each request to find the service a host names:
  each host's answer is kept (see moto_dispatch).
- Each write of an item or change of a table is told to whoever keeps the data on disk (see
  moto_changes, kept_data), and so is each object of S3 written or removed (see moto_objects,
  kept_files).

All of this relies on moto's code as it is in the pinned version: `apply` checks the version and
the source of each function, class or module it changes or relies on, and refuses to start on
anything else.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import moto
import moto.dynamodb.models as moto_models
from moto.core.common_models import BaseModel
from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from tooling.local import (
    moto_changes,
    moto_checks,
    moto_dispatch,
    moto_expressions,
    moto_objects,
    moto_order,
    moto_parsing,
    moto_queries,
    moto_serializer,
    moto_sizes,
    moto_stream_records,
    moto_streams,
    moto_transactions,
    moto_updates,
    moto_values,
)
from tooling.local.journal import Journal
from tooling.local.request_tokens import RequestTokens

MOTO_VERSION = "5.2.5"


@dataclass(frozen=True)
class Pin:
    """A function, class or module of moto the patch relies on, and the SHA-256 of its source in MOTO_VERSION."""

    function: Any
    sha256: str

    @property
    def name(self) -> str:
        if inspect.ismodule(self.function):
            return str(self.function.__name__)
        return f"{self.function.__module__}.{self.function.__qualname__}"


PINS = (
    Pin(DynamoDBBackend.transact_write_items, "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4"),
    Pin(DynamoHandler.transact_write_items, "61c163fff213f33a39317a17fda194a9c1e800992421575d2080f4500bf45372"),
    Pin(BaseModel.__new__, "08cf0ef20e88029a2eb91949492ce3281001a34b98143db186239962ad379eec"),
    *(
        Pin(function, sha256)
        for function, sha256 in (
            *moto_expressions.PINNED,
            *moto_updates.PINNED,
            *moto_parsing.PINNED,
            *moto_serializer.PINNED,
            *moto_streams.PINNED,
            *moto_stream_records.PINNED,
            *moto_order.PINNED,
            *moto_queries.PINNED,
            *moto_changes.PINNED,
            *moto_objects.PINNED,
            *moto_dispatch.PINNED,
            *moto_sizes.PINNED,
            *moto_checks.PINNED,
            *moto_values.PINNED,
        )
    ),
)


class MotoChanged(RuntimeError):
    """moto is not what the patch was written for: check the patch against the new moto, then re-pin."""


def verify(version: str = moto.__version__, pins: Iterable[Pin] = PINS) -> None:
    changed = [] if version == MOTO_VERSION else [f"moto {version} is installed, the patch is for {MOTO_VERSION}"]
    for pin in pins:
        try:
            source = inspect.getsource(pin.function)
        except (OSError, TypeError):
            source = ""
        if hashlib.sha256(source.encode()).hexdigest() != pin.sha256:
            changed.append(f"the source of {pin.name} changed")
    if changed:
        raise MotoChanged("; ".join(changed))


@functools.cache
def apply() -> None:
    """Patch moto, once per process, after `verify`."""
    verify()
    DynamoDBBackend.transact_write_items = _journaled(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign,assignment]
    DynamoHandler.transact_write_items = _idempotent(DynamoHandler.transact_write_items)  # type: ignore[method-assign,assignment]
    for model in _subclasses(BaseModel):
        if model.__module__.startswith("moto.dynamodb."):
            model.instances_tracked = _Untracked()  # type: ignore[attr-defined]
    moto_expressions.install()
    moto_updates.install()
    moto_transactions.install()
    moto_checks.install()
    moto_values.install()
    moto_parsing.install()
    moto_serializer.install()
    moto_streams.install()
    moto_stream_records.install()
    moto_order.install()
    moto_queries.install()
    moto_changes.install()
    moto_objects.install()


def _journaled(
    original: Callable[[DynamoDBBackend, list[dict[str, Any]]], None],
) -> Callable[[DynamoDBBackend, list[dict[str, Any]]], None]:
    @functools.wraps(original)
    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        journal = Journal.of(backend, transact_items)
        with _tables_not_copied():
            try:
                original(backend, transact_items)
            except BaseException:
                journal.roll_back()
                raise

    return transact_write_items


class _LiveTables:
    """The `copy` module as moto's transaction sees it: its backup of a whole table is the table
    itself (restoring it is then a no-op, and the journal rolls back instead); any other copy is real."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


@contextmanager
def _tables_not_copied() -> Iterator[None]:
    # Only for the call (elsewhere in that module, a backup's copy of a table must be real), and
    # safe because the embedded server runs one request at a time.
    namespace = vars(moto_models)
    namespace["copy"] = _LiveTables
    try:
        yield
    finally:
        namespace["copy"] = copy


def _idempotent(original: Callable[[DynamoHandler], ActionResult]) -> Callable[[DynamoHandler], ActionResult]:
    @functools.wraps(original)
    def transact_write_items(handler: DynamoHandler) -> ActionResult:
        token = handler.body.get("ClientRequestToken")
        if token is None:
            return original(handler)
        request = {name: value for name, value in handler.body.items() if name != "ClientRequestToken"}
        return _tokens(handler.dynamodb_backend).once(token, request, lambda: original(handler))

    return transact_write_items


def _tokens(backend: DynamoDBBackend) -> RequestTokens[ActionResult]:
    """The backend's tokens: kept in its own attributes, so that resetting the backend forgets them."""
    tokens: RequestTokens[ActionResult] = vars(backend).setdefault("client_request_tokens", RequestTokens())
    return tokens


class _Untracked(list[BaseModel]):
    """moto's register of every instance of a model, which registers none."""

    def append(self, _instance: BaseModel) -> None:
        return


def _subclasses(cls: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)
