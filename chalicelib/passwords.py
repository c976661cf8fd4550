"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from argon2 import PasswordHasher

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)
