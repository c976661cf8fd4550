"""The subscriptions an event may match, found without looking at the others: filed by model, and
within it by record id where the filter names ids (subscriptions/filters.py `record_ids`)."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.subscriptions.state import Subscription


class SubscriptionIndex:
    def __init__(self, subscriptions: Iterable[Subscription] = ()) -> None:
        self._any: dict[str, dict[str, Subscription]] = {}
        self._by_id: dict[tuple[str, str], dict[str, Subscription]] = {}
        for subscription in subscriptions:
            self.add(subscription)

    def add(self, subscription: Subscription) -> None:
        if subscription.ids is None:
            self._any.setdefault(subscription.model, {})[subscription.key] = subscription
            return
        for record_id in subscription.ids:
            self._by_id.setdefault((subscription.model, record_id), {})[subscription.key] = subscription

    def remove(self, subscription: Subscription) -> None:
        if subscription.ids is None:
            self._any.get(subscription.model, {}).pop(subscription.key, None)
            return
        for record_id in subscription.ids:
            self._by_id.get((subscription.model, record_id), {}).pop(subscription.key, None)

    def candidates(self, model: str, record_id: str) -> list[Subscription]:
        """The subscriptions an event of this record may match, in the order they were filed."""
        return [*self._any.get(model, {}).values(), *self._by_id.get((model, record_id), {}).values()]

    def __len__(self) -> int:
        return sum(map(len, self._any.values())) + sum(map(len, self._by_id.values()))
