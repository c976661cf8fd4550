"""A process serving the embedded DynamoDB collects less often than CPython's defaults."""

from __future__ import annotations

import gc

from tooling.local.dynamodb import COLLECTOR_THRESHOLDS, collect_less


def test_collecting_less_sets_the_server_s_thresholds() -> None:
    before = gc.get_threshold()
    try:
        collect_less()
        assert gc.get_threshold() == COLLECTOR_THRESHOLDS
    finally:
        gc.set_threshold(*before)
    # Fewer young collections, and so fewer full ones, than at the defaults.
    assert COLLECTOR_THRESHOLDS[0] > 700
    assert all(threshold > 0 for threshold in COLLECTOR_THRESHOLDS)
