import pytest

from chalicelib.access.api_keys import ApiKeys, digest, generate_key
from chalicelib.access.context import authenticate
from chalicelib.access.roles import SYSTEM_ADMIN, UNAUTHENTICATED
from chalicelib.errors import PERMISSION_DENIED, ApiError

KEYS = ApiKeys([digest("first"), digest("second")])


def test_any_configured_key_matches() -> None:
    assert KEYS.matches("first")
    assert KEYS.matches("second")
    assert not KEYS.matches("third")
    assert not ApiKeys([]).matches("")


def test_generated_keys_are_long_and_distinct() -> None:
    assert len(generate_key()) > 40
    assert generate_key() != generate_key()


def test_roles_from_the_authorization_header() -> None:
    assert authenticate({}, KEYS)[0].roles == {UNAUTHENTICATED}
    assert authenticate({"Authorization": "Bearer first"}, KEYS)[0].roles == {SYSTEM_ADMIN}
    assert authenticate({"authorization": "bearer second"}, KEYS)[0].roles == {SYSTEM_ADMIN}
    context, token = authenticate({"Authorization": "Session abc.def"}, KEYS)
    assert context.roles == {UNAUTHENTICATED}
    assert token == "abc.def"


@pytest.mark.parametrize("header", ["Bearer wrong", "Bearer ", "Basic Zm9vOmJhcg==", "first"])
def test_a_wrong_credential_is_refused_not_downgraded(header: str) -> None:
    with pytest.raises(ApiError) as raised:
        authenticate({"Authorization": header}, KEYS)
    assert raised.value.code == PERMISSION_DENIED
