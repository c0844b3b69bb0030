"""Error responses declared in the OpenAPI document, so clients can type them."""

from typing import Any

from app.core.api_types import Message

_DESCRIPTIONS = {
    401: "Missing, expired or invalid bearer token",
    404: "No row with this id",
    409: "A unique value is already taken",
    412: "If-Match does not match the current ETag",
    413: "The body is larger than MAX_BODY_BYTES",
    415: "The body is not JSON",
    503: "The database is unavailable or too slow; retry after Retry-After seconds",
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": 'Bearer, with error="invalid_token" when a token was sent',
            "schema": {"type": "string"},
        }
    },
    503: {
        "Retry-After": {
            "description": "Seconds to wait before retrying",
            "schema": {"type": "integer"},
        }
    },
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these status codes, each with the `{"detail"}` body."""
    return {
        code: {"model": Message, "description": _DESCRIPTIONS[code]}
        | ({"headers": _HEADERS[code]} if code in _HEADERS else {})
        for code in codes
    }
