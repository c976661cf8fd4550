"""Fixtures of the functional tests beyond the shared ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.functional.trust_schema import TRUST_SCHEMA


@pytest.fixture
def trust(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    """The API on the trust schema: public labels, owner-only notes, admin-only vaults."""
    schema = tmp_path / "trust.graphql"
    schema.write_text(TRUST_SCHEMA)
    return make_api(schema)
