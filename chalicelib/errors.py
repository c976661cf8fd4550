"""Errors a client may see. Every one carries a stable `code`; nothing else leaks out."""

from __future__ import annotations

from typing import Any

PERMISSION_DENIED = "GGT_PERMISSION_DENIED"
INVALID_RECORD = "GGT_INVALID_RECORD"
RECORD_NOT_FOUND = "GGT_RECORD_NOT_FOUND"
INVALID_INPUT = "GGT_INVALID_INPUT"
UNAVAILABLE = "GGT_UNAVAILABLE"
INTERNAL_ERROR = "GGT_INTERNAL_ERROR"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_REQUEST = "GGT_BAD_REQUEST"
RESPONSE_TOO_LARGE = "GGT_RESPONSE_TOO_LARGE"
# A single-use token (password reset, email verification, file upload) that is wrong, spent or expired.
INVALID_TOKEN = "GGT_INVALID_TOKEN"


class ApiError(Exception):
    """An error meant for the client: its message and extensions are shown as they are."""

    def __init__(self, code: str, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions = extensions


def unavailable() -> ApiError:
    """DynamoDB kept declining until the request had to give up: the client may try again later."""
    return ApiError(UNAVAILABLE, "The database is busy; try again shortly")


def permission_denied(action: str, target: str) -> ApiError:
    return ApiError(PERMISSION_DENIED, f"Permission denied to {action} {target}")


def not_found(model: str, which: str, purpose: str) -> ApiError:
    """GGT_RECORD_NOT_FOUND, in the words Genie's clients look for ("not found", "does not exist")."""
    return ApiError(RECORD_NOT_FOUND, f"{model} not found: no {model} with {which} exists to {purpose}")


def not_unique(model: str, field: str) -> ApiError:
    return ApiError(
        INVALID_RECORD,
        f"{model}.{field} must be unique: another {model} already has this value",
        model=model,
        field=field,
        validationErrors=[{"apiIdentifier": field, "message": "is already taken"}],
    )
