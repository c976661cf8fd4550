"""A user's new email address is not verified: the write that changes the address also sets
`emailVerified` to false and voids the account tokens mailed to the old one, so that neither a
verification nor a reset sent to an address the user gave up works for the account."""

from __future__ import annotations

from typing import Any

from chalicelib.access.permissions import EMAIL_VERIFIED
from chalicelib.accounts.tokens import TOKEN_ATTRIBUTES
from chalicelib.schema.registry import USER_MODEL, Field, Model
from chalicelib.store.changes import Update
from chalicelib.store.record import Record


def verified_field(model: Model) -> Field | None:
    """User.emailVerified, where the schema declares it as the lifecycle keeps it (a Boolean)."""
    field = model.fields.get(EMAIL_VERIFIED)
    return field if field is not None and field.type_name == "Boolean" and not field.is_list else None


def readdress(model: Model, record: Record, new: Record, data: dict[str, Any], update: Update) -> None:
    """Add to `update` (of `record`, which becomes `new`) what a change of the user's email brings."""
    if model.name != USER_MODEL or new.get("email") == record.get("email"):
        return
    update.remove.update(TOKEN_ATTRIBUTES)
    field = verified_field(model)
    # system-admin may set the flag in the same write: what it says stands.
    if field is not None and field.name not in data:
        update.assign[field.name] = False
        new[field.name] = False
