"""Opaque keyset cursors: the sort key of a page's last row, for the page after it.

A cursor is base64url (unpadded) JSON: the ordering it was made for and the row's
values of the sort columns, primary key last. It is opaque to clients but not secret:
decoding checks the ordering and the type of every value, so a tampered cursor or one
from another ordering is refused (ValueError) instead of silently paging wrong.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_CURSOR_LENGTH = 4096


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode(ordering: Sequence[str], values: Sequence[Any]) -> str:
    payload = json.dumps(
        [list(ordering), [_plain(value) for value in values]], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


def _typed(value: Any, python_type: type) -> Any:
    """The cursor value as the column's Python type; ValueError if it is not one."""
    if issubclass(python_type, enum.Enum):
        return python_type(value)
    if issubclass(python_type, datetime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if issubclass(python_type, Decimal) and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError("not a decimal") from None
    if python_type in (bool, str) and type(value) is python_type:
        return value
    if python_type in (int, float) and type(value) in (int, python_type):
        return value
    raise ValueError(f"not a {python_type.__name__}")


def decode(
    cursor: str,
    ordering: Sequence[str],
    python_types: Sequence[type],
    nullable: Sequence[bool] | None = None,
) -> list[Any]:
    """The sort key values in `cursor`; ValueError when it was not made by `encode` for
    this ordering and these column types. A value may be null only where `nullable`
    says its column may hold NULL."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError("too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise ValueError("not a cursor this service made") from None
    if made_for != list(ordering):
        raise ValueError("made for another orderBy")
    if not isinstance(values, list) or len(values) != len(python_types):
        raise ValueError("not a cursor this service made")
    may_be_null = nullable or [False] * len(python_types)
    return [
        None if value is None and null_ok else _typed(value, python_type)
        for value, python_type, null_ok in zip(values, python_types, may_be_null, strict=True)
    ]
