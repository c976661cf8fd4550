import pytest

from chalicelib.api import ids
from chalicelib.errors import INVALID_INPUT, ApiError


def test_new_ids_are_unique_opaque_and_encode_the_model() -> None:
    first, second = ids.new_id("City"), ids.new_id("City")
    assert first != second
    assert "City" not in first
    assert ids.model_of(first) == "City"


@pytest.mark.parametrize(
    "bad", ["", "ID1", "!!!", "Q2l0eQ", "Q2l0eTo0M2MzNDdlZDM0OWQ0MDMxYjAxNzc1YjBjYjAxMDZmNQx", "x" * 500]
)
def test_malformed_ids_are_client_errors(bad: str) -> None:
    with pytest.raises(ApiError) as raised:
        ids.model_of(bad)
    assert raised.value.code == INVALID_INPUT
    assert len(raised.value.message) < 100
