"""Prisma's filter operators per field type, and the coercion of their values.

One table drives both the validation of a `where` and its OpenAPI schema, so that what
the schema promises is what the service takes."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from app.core.query.model_info import Kind, ScalarField

Form = Literal["value", "nullable", "values", "not", "mode", "text", "item", "bool"]
"""What an operator takes: one value; one value or null; a list of values; a value,
null or a nested filter (`not`); `default`/`insensitive`; a string; one list item;
`true`/`false`."""

_ORDERED: dict[str, Form] = {"lt": "value", "lte": "value", "gt": "value", "gte": "value"}
_BASE: dict[str, Form] = {"equals": "nullable", "in": "values", "notIn": "values", "not": "not"}
_TEXT: dict[str, Form] = {
    "contains": "text", "startsWith": "text", "endsWith": "text", "mode": "mode",
}  # fmt: skip
_LIST: dict[str, Form] = {
    "equals": "nullable", "has": "item", "hasSome": "values", "hasEvery": "values",
    "isEmpty": "bool",
}  # fmt: skip

_BY_KIND: dict[Kind, dict[str, Form]] = {
    "string": _BASE | _ORDERED | _TEXT,
    "uuid": _BASE | _ORDERED,
    "int": _BASE | _ORDERED,
    "bigint": _BASE | _ORDERED,
    "float": _BASE | _ORDERED,
    "decimal": _BASE | _ORDERED,
    "datetime": _BASE | _ORDERED,
    "boolean": {"equals": "nullable", "not": "not"},
    "enum": dict(_BASE),
}


def operators(field: ScalarField) -> dict[str, Form]:
    """The operators `field` takes, with the form of their values."""
    return _LIST if field.is_list else _BY_KIND.get(field.kind, {})


def strict_bool(value: Any) -> bool:
    """`true` or `false` only (pydantic's lax bool would take `1`, `yes`, `on`...)."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("expected true or false")


def _uuid_text(value: Any) -> str:
    return str(uuid.UUID(str(value)))


_ADAPTED: dict[Kind, type] = {
    "string": str,
    "int": int,
    "bigint": int,
    "float": float,
    "decimal": Decimal,
    "datetime": datetime,
}

_EXPECTED: dict[Kind, str] = {
    "string": "a string",
    "uuid": "a UUID",
    "int": "an integer",
    "bigint": "an integer",
    "float": "a number",
    "decimal": "a decimal number",
    "datetime": "an ISO 8601 date-time",
    "boolean": "true or false",
}
INT4 = 2**31
INT8 = 2**63


def expected_form(field: ScalarField) -> str:
    if field.enum_class is not None:
        return "one of " + ", ".join(field.enum_class.__members__)
    return _EXPECTED.get(field.kind, "a value")


@cache
def _adapter(python_type: type) -> TypeAdapter[Any]:
    return TypeAdapter(python_type)


def _checked_int(bound: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        number = _adapter(int).validate_python(value)
        if not -bound <= number < bound:
            raise ValueError("out of range")
        return number

    return check


def coerce(field: ScalarField, value: Any) -> Any:
    """`value` (a string from a query string, or already typed) as the column's Python
    value; ValueError naming the expected form when it is not one. Enums take their
    Prisma names and give the member, which the column type binds as its label."""
    try:
        if isinstance(value, dict | list):
            raise ValueError("not a single value")
        if field.enum_class is not None:
            if isinstance(value, field.enum_class):
                return value
            return field.enum_class.__members__[value]
        if field.kind == "boolean":
            return strict_bool(value)
        if field.kind == "uuid":
            return _uuid_text(value)
        if field.kind == "int":
            return _checked_int(INT4)(value)
        if field.kind == "bigint":
            return _checked_int(INT8)(value)
        if field.kind == "datetime" and isinstance(value, str) and value.isdigit():
            raise ValueError("not a date-time")  # pydantic would read a number as a Unix time
        adapted = _ADAPTED.get(field.kind)
        if adapted is None:
            raise ValueError("not filterable")
        if adapted is str and not isinstance(value, str):
            raise ValueError("not a string")
        result = _adapter(adapted).validate_python(value)
        if isinstance(result, Decimal) and not result.is_finite():
            raise ValueError("not finite")
        if isinstance(result, float) and not math.isfinite(result):
            raise ValueError("not finite")
        return result
    except (KeyError, TypeError, ValueError, ValidationError):
        raise ValueError(f"expected {expected_form(field)}") from None
