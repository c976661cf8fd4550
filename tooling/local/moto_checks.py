"""moto's check that no key attribute of a written item is an empty string, passed at once where no
value given is one.

For each item written (PutItem, UpdateItem, each operation of a transaction), moto lists the keys
of the table and of its global indexes before it looks among the values given for an empty string
or binary: where there is none, nothing can be found, and the check passes as moto's does.
Anything else (an empty value, a value of another form) goes to moto's check.

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

from typing import Any

import moto.dynamodb.responses as responses

from tooling.local.replaced import Places, Replaced

_check = responses.validate_put_has_empty_keys

PINNED: tuple[tuple[Any, str], ...] = ((_check, "e45d7ced392361f4effd2691a70f4c1c3e7e7aad13abdf156d614e4ac35a141e"),)

_EMPTY_KINDS = frozenset({"S", "B"})


def _checked(field_updates: Any, table: Any, custom_error_msg: str | None = None) -> None:
    if type(field_updates) is dict:
        for value in field_updates.values():
            if type(value) is not dict or not value:
                break
            kind, given = next(iter(value.items()))
            if kind in _EMPTY_KINDS and given == "":
                break
        else:
            return
    _check(field_updates, table, custom_error_msg)


def _replaced() -> Places:
    return ((responses, "validate_put_has_empty_keys", _checked, _check),)


_REPLACED = Replaced(_replaced)
install = _REPLACED.install
moto_s_own = _REPLACED.moto_s_own
