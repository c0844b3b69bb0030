"""The API's scalar types: how each Prisma type is read from requests and written to
responses, in the Prisma client's JSON.

DateTimes are ISO-8601 UTC with milliseconds and `Z`; Decimal and BigInt travel as
strings (Decimal as decimal.js prints it: `"9.9"`, `"10"`); Bytes as base64; Json as
given. Request types are strict (no number taken for a string, no `"true"` for a
boolean) and refuse what PostgreSQL cannot store (NUL characters, lone surrogates).
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    JsonValue,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# --- Scalar types -----------------------------------------------------------------


MAX_JSON_DEPTH = 100


def _no_nul(value: str) -> str:
    """Text PostgreSQL can store: no NUL, and valid Unicode (JSON's `\\ud800` escapes
    can carry half a surrogate pair, which UTF-8 cannot encode)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode (a lone surrogate escape is not)") from None
    return value


def _json_not_too_deep(value: Any) -> Any:
    # Checked before validation, which would recurse as deep as the value goes.
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"must not be nested deeper than {MAX_JSON_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return value


def _json_without_nul(value: JsonValue) -> JsonValue:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            _no_nul(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("must not hold NaN or Infinity, which are not JSON numbers")
        elif isinstance(item, dict):
            for key in item:
                _no_nul(key)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return value


def _naive_utc_ms(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _iso_string_only(value: Any) -> Any:
    # Lax datetime parsing would take numbers as Unix times; Prisma sends strings.
    if isinstance(value, str | datetime):
        return value
    raise ValueError("must be an ISO-8601 date-time string")


def format_datetime(value: datetime) -> str:
    """`2026-01-02T03:04:05.678Z` for a naive UTC (or aware) datetime."""
    return _naive_utc_ms(value).isoformat(timespec="milliseconds") + "Z"


class _NoNulPattern:
    """Documents what `_no_nul` enforces, so that clients and generated tests know it too."""

    @staticmethod
    def __get_pydantic_json_schema__(
        core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(core_schema), "pattern": "^[^\\u0000]*$"}


Text = Annotated[str, Field(strict=True), AfterValidator(_no_nul), _NoNulPattern()]
"""A string, never coerced from another type, without NUL (PostgreSQL refuses it)."""

Id = Annotated[Text, StringConstraints(min_length=1, max_length=191)]
"""A text key in a path. Prisma's ids (cuid, uuid...) are far shorter; the bound keeps
the key a B-tree index can hold."""

Json = Annotated[
    JsonValue,
    BeforeValidator(_json_not_too_deep),
    AfterValidator(_json_without_nul),
    Field(
        description=f"Any JSON value, nested at most {MAX_JSON_DEPTH} levels deep; its strings "
        "and keys may not contain NUL (\\u0000)"
    ),
]
"""Any JSON value, stored as given (jsonb refuses NUL characters too)."""


def _not_null(value: JsonValue) -> JsonValue:
    if value is None:
        raise ValueError("must not be null: this Json field is required")
    return value


RequiredJson = Annotated[
    JsonValue,
    BeforeValidator(_json_not_too_deep),
    AfterValidator(_not_null),
    AfterValidator(_json_without_nul),
    WithJsonSchema(
        {
            "not": {"type": "null"},
            "description": f"Any JSON value but null, nested at most {MAX_JSON_DEPTH} levels "
            "deep; its strings and keys may not contain NUL (\\u0000)",
        }
    ),
]
"""A required Json field's value: anything but null."""


DateTime = Annotated[
    datetime,
    BeforeValidator(_iso_string_only),
    AfterValidator(_naive_utc_ms),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-01-02T03:04:05.678Z"]}
    ),
]
"""Accepted with or without an offset (none means UTC), held as naive UTC to the ms."""


def _format_stored_datetime(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds") + "Z"


StoredDateTime = Annotated[
    datetime,
    PlainSerializer(_format_stored_datetime, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-01-02T03:04:05.678Z"]}
    ),
]
"""A DateTime read from the database, for responses: TIMESTAMP(3) values are already
naive UTC to the millisecond, so the request type's checks are skipped."""

INT4 = (-(2**31), 2**31 - 1)
INT8 = (-(2**63), 2**63 - 1)


def _integer_from_json(value: Any) -> Any:
    # JSON does not tell 5 from 5.0 (JavaScript sends either); neither is a string.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError("must be an integer")


# Bounds before the validator, so that they are checked on the int and documented.
Int = Annotated[int, Field(ge=INT4[0], le=INT4[1]), BeforeValidator(_integer_from_json)]
"""Prisma's Int: a JSON integer within PostgreSQL's `integer`."""

Float = Annotated[float, Field(strict=True, allow_inf_nan=False)]

Bool = Annotated[bool, Field(strict=True)]
"""`true` or `false`, never `"true"` or 1."""


def _bigint_from_json(value: Any) -> Any:
    # A Next.js route sends BigInt as a string (JSON has no BigInt); a number is fine too.
    if isinstance(value, str) and value.removeprefix("-").isdigit() and len(value) < 21:
        return int(value)
    try:
        return _integer_from_json(value)
    except ValueError:
        raise ValueError("must be an integer, or a string of digits") from None


BigInt = Annotated[
    int,
    Field(ge=INT8[0], le=INT8[1]),
    BeforeValidator(_bigint_from_json),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+$", "examples": ["0"]}),
]
"""Prisma's BigInt: a string in JSON, accepted as a string of digits or a number."""

StoredBigInt = Annotated[
    int,
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+$", "examples": ["0"]}),
]


def format_decimal(value: Decimal) -> str:
    """As decimal.js's `toString()` prints it, which is what Prisma's client gives: no
    trailing zeros, exponent notation only from 1e21 or below 1e-6."""
    if not value.is_finite():
        return str(value)
    if not value:
        return "0"
    leading = value.adjusted()  # the exponent of the first digit
    if -7 < leading < 21:  # nearly every value: fixed point, exactly, by the C code
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    sign, digits, _ = value.as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{'+' if leading > 0 else '-'}{abs(leading)}"


def _decimal_from_json(value: Any) -> Any:
    # Lax parsing would take `true` as 1; Prisma sends strings (or numbers).
    if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
        return value
    raise ValueError("must be a decimal number or a string holding one")


def decimal_type(precision: int | None, scale: int | None) -> Any:
    """Prisma's Decimal for a `numeric(precision, scale)` column (either may be absent)."""
    digits = r"\d+"
    if precision is not None and scale is not None:
        whole = precision - scale
        digits = (rf"\d{{1,{whole}}}" if whole > 0 else "0") + (
            rf"(\.\d{{1,{scale}}})?" if scale else ""
        )
    else:
        digits = r"\d+(\.\d+)?"
    return Annotated[
        Decimal,
        BeforeValidator(_decimal_from_json),
        Field(max_digits=precision, decimal_places=scale, allow_inf_nan=False),
        WithJsonSchema({"type": "string", "pattern": rf"^-?{digits}$", "examples": ["9.99"]}),
    ]


StoredDecimal = Annotated[
    Decimal,
    PlainSerializer(format_decimal, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?(e[+-]\d+)?$"}),
]

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

Uuid = Annotated[
    str,
    Field(strict=True),
    StringConstraints(pattern=UUID_PATTERN),
    WithJsonSchema({"type": "string", "format": "uuid", "pattern": UUID_PATTERN}),
]
"""A `@db.Uuid` column's value: a UUID as text (the database keeps it in its own form)."""


def _base64_bytes(value: Any) -> Any:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("must be a base64 string") from None


def _to_base64(value: bytes) -> str:
    return base64.b64encode(value).decode()


Bytes = Annotated[
    bytes,
    BeforeValidator(_base64_bytes),
    PlainSerializer(_to_base64, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "byte", "contentEncoding": "base64"}),
]
"""Prisma's Bytes, as standard base64 in both directions (JSON has no bytes)."""


class Message(BaseModel):
    """The body of every error except validation errors."""

    detail: str
