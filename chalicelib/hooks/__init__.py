"""Business logic beside the schema: the team's Python, in the module of the schema's name
(`schema.graphql` -> `schema.py`), picked up at start (see README "Business logic").

    from chalicelib.hooks import After, Before, Caller, Hooks

    hooks = Hooks()

    @hooks.before("Post", "create", "update")
    def no_banned_words(event: Before) -> None:
        if "frobnicate" in (event.data.get("title") or ""):
            raise event.refuse("title", "contains a banned word")
"""

from chalicelib.hooks.caller import Caller
from chalicelib.hooks.declare import Hooks
from chalicelib.hooks.events import After, Before, Refusal

__all__ = ["After", "Before", "Caller", "Hooks", "Refusal"]
