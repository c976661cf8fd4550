"""The pieces of sessions and auth on their own: tokens, domain names, the throttle's key, passwords."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from argon2 import PasswordHasher

from chalicelib import passwords
from chalicelib.sessions import domains, tokens
from chalicelib.sessions.throttle import LIMIT, WINDOW_SECONDS, LoginThrottle
from chalicelib.store.tables import ThrottleBase

SESSION_ID = "U2Vzc2lvbjpjY2Y3MDljM2UyZDg0YmUxOGZlODJjY2NiYWQzMDM4NA"
USER_ID = "VXNlcjpjY2Y3MDljM2UyZDg0YmUxOGZlODJjY2NiYWQzMDM4NA"

# Tokens.


def test_a_secret_has_at_least_256_random_bits() -> None:
    secrets = {tokens.new_secret() for _ in range(200)}
    assert len(secrets) == 200
    for secret in secrets:
        assert len(secret) >= 43
        assert re.fullmatch(r"[A-Za-z0-9_-]+", secret)
        assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) * 8 >= 256


def test_a_token_is_the_session_id_and_the_secret() -> None:
    secret = tokens.new_secret()
    token = tokens.token(SESSION_ID, None, secret)
    assert token == f"{SESSION_ID}.{secret}"
    assert tokens.parse(token) == tokens.Token(SESSION_ID, None, secret)
    assert tokens.parse(f"  {token} ") == tokens.Token(SESSION_ID, None, secret)


def test_a_logged_in_token_carries_the_user_id_between_the_session_id_and_the_secret() -> None:
    secret = tokens.new_secret()
    token = tokens.token(SESSION_ID, USER_ID, secret)
    assert token == f"{SESSION_ID}.{USER_ID}.{secret}"
    assert tokens.parse(token) == tokens.Token(SESSION_ID, USER_ID, secret)


@pytest.mark.parametrize(
    "presented",
    [
        "",
        ".",
        SESSION_ID,
        f"{SESSION_ID}.",
        f"{SESSION_ID}.short",
        f".{'a' * 43}",
        "nonsense",
        f"{SESSION_ID}..{'a' * 43}",
        f"{SESSION_ID}.{USER_ID}.{USER_ID}.{'a' * 43}",
    ],
    ids=["empty", "dot", "no secret", "empty secret", "short secret", "no id", "nonsense", "empty user", "four parts"],
)
def test_a_malformed_token_parses_to_nothing(presented: str) -> None:
    assert tokens.parse(presented) is None


def test_a_secret_matches_only_its_own_digest() -> None:
    secret = tokens.new_secret()
    digest = tokens.digest(secret)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in digest
    assert tokens.matches(secret, digest)
    assert not tokens.matches(tokens.new_secret(), digest)
    assert not tokens.matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), digest)
    assert not tokens.matches(secret, None)
    assert not tokens.matches(secret, "")
    # The digest is no token: presenting it does not match.
    assert not tokens.matches(digest, digest)


# Domain names.


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("cool.dist", "cool.dist"),
        ("the.undernet", "the.undernet"),
        ("Cool.DIST", "cool.dist"),
        (" bass.undernet ", "bass.undernet"),
        ("roll.dist.", "roll.dist"),
        ("a.b.c.example", "a.b.c.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("my-shop.undernet", "my-shop.undernet"),
        ("1password.com", "1password.com"),
        (f"{'a' * 63}.dist", f"{'a' * 63}.dist"),
    ],
)
def test_domain_names_are_accepted_in_lower_case(name: str, normalized: str) -> None:
    assert domains.normalize(name) == normalized


@pytest.mark.parametrize(
    "name",
    [
        "not a domain",
        "-bad.dist",
        "bad-.dist",
        "x",
        "dist",
        "",
        ".",
        "a..dist",
        ".dist",
        "1.23",
        "cool.d1st-",
        "under_score.dist",
        "caf\u00e9.dist",
        f"{'a' * 64}.dist",
        ".".join(["abcdefghi"] * 26),
        "cool.dist/path",
        "http://cool.dist",
        "cool.dist:80",
    ],
)
def test_what_is_no_domain_name_is_refused_by_name(name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(name))):
        domains.normalize(name)


@pytest.mark.parametrize("value", [None, 5, ["cool.dist"], {"name": "cool.dist"}])
def test_what_is_no_string_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="is not a domain name"):
        domains.normalize(value)


# The throttle's key.


def test_the_throttle_key_holds_the_window_and_the_account(monkeypatch: pytest.MonkeyPatch) -> None:
    throttle = LoginThrottle(ThrottleBase)
    assert (throttle.limit, throttle.window) == (LIMIT, WINDOW_SECONDS) == (5, 15 * 60)
    start = 1_800_000_000 // WINDOW_SECONDS * WINDOW_SECONDS
    now = [float(start)]
    monkeypatch.setattr("chalicelib.sessions.throttle.time.time", lambda: now[0])
    key = throttle._key("ada@example.com")
    account = hashlib.sha256(b"ada@example.com").hexdigest()
    assert key == f"login#{account}#{start // WINDOW_SECONDS}"
    assert "ada" not in key
    # The same window, whatever the case or spacing of the email: the same key.
    now[0] = start + WINDOW_SECONDS - 1
    assert throttle._key(" ADA@Example.com ") == key
    # Another account: another key.
    assert throttle._key("bob@example.com") != key
    # The next window: a new key, so a new count.
    now[0] = start + WINDOW_SECONDS
    assert throttle._key("ada@example.com") == f"login#{account}#{start // WINDOW_SECONDS + 1}"


def test_a_custom_window_is_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    throttle = LoginThrottle(ThrottleBase, limit=3, window=60)
    now = [6000.0]
    monkeypatch.setattr("chalicelib.sessions.throttle.time.time", lambda: now[0])
    first = throttle._key("ada@example.com")
    assert first.endswith("#100")
    now[0] = 6059.0
    assert throttle._key("ada@example.com") == first
    now[0] = 6060.0
    assert throttle._key("ada@example.com").endswith("#101")


# Passwords.


def test_passwords_hash_with_argon2id_and_verify() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert passwords.hash_password("correct horse battery") != stored  # salted
    assert passwords.verify_password("correct horse battery", stored)
    assert not passwords.verify_password("incorrect horse battery", stored)
    assert not passwords.needs_rehash(stored)


class SpyHasher:
    """The product's hasher, noting every hash it verifies against."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self.verified: list[str] = []

    def verify(self, stored: str, password: str) -> bool:
        self.verified.append(stored)
        return self.hasher.verify(stored, password)

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)


def test_without_a_stored_hash_the_dummy_is_verified_and_the_answer_is_no(monkeypatch: pytest.MonkeyPatch) -> None:
    dummy = passwords._dummy()
    spy = SpyHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", spy)
    assert passwords.verify_password("a password nobody has", None) is False
    assert passwords.verify_password("anything at all", None) is False
    assert passwords.verify_password("anything at all", "") is False
    assert spy.verified == [dummy] * 3
    assert dummy.startswith("$argon2id$")


def test_a_malformed_stored_hash_verifies_nothing() -> None:
    assert passwords.verify_password("correct horse battery", "not a hash") is False
    assert passwords.verify_password("correct horse battery", "$argon2id$v=19$broken") is False


def test_a_hash_with_other_parameters_needs_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1).hash("correct horse battery")
    assert passwords.needs_rehash(weak)
    assert passwords.verify_password("correct horse battery", weak)
    assert not passwords.needs_rehash(passwords.hash_password("correct horse battery"))
