"""Validation errors in plain English that say what to fix: `title: must not be empty`.

pydantic's wording is written for Python programmers ("Value should have at least 1 item
after validation, not 0" for an empty string). Each error keeps its `type`, `loc` and
`ctx`, so clients can still branch on them; only `msg` is rewritten, as
`<field>: <what it must be>`, naming the limit or the expected form. Messages the service
wrote itself (a validator's `ValueError`, an unknown query parameter) keep their words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Error = dict[str, Any]

# Where the request part is named by the first `loc` item, the field by the rest.
_REQUEST_PARTS = ("body", "query", "path", "header", "cookie")


def field_name(loc: Sequence[str | int]) -> str:
    """`title`, `keywords[2]`, `metadata.a`; the part itself (`body`) when it is the field."""
    parts = list(loc[1:] if len(loc) > 1 and loc[0] in _REQUEST_PARTS else loc)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "request"


def _length(error: Error, bound: str, short: bool) -> str:
    ctx = error.get("ctx", {})
    limit = ctx.get(bound)
    if short and limit == 1:
        return "must not be empty"
    is_text = isinstance(error.get("input"), str) or error["type"].startswith("string_")
    unit = "characters" if is_text else "items"
    least_or_most = "at least" if short else "at most"
    actual = ctx.get("actual_length")
    if actual is None and isinstance(error.get("input"), str | list):
        actual = len(error["input"])
    got = f" (it has {actual:,})" if actual is not None else ""
    return f"must have {least_or_most} {limit:,} {unit}{got}"


def _one_of(error: Error) -> str:
    return f"must be one of {error.get('ctx', {}).get('expected', 'the documented values')}"


def _json_invalid(error: Error) -> str:
    reason = error.get("ctx", {}).get("error")
    if not reason:
        return error["msg"]
    loc = error.get("loc", ())
    at = f" at character {loc[1]:,}" if len(loc) > 1 and isinstance(loc[1], int) else ""
    return f"is not valid JSON{at}: {reason}"


# pydantic's error types whose default wording does not say what to fix, by type.
_WORDING: dict[str, Callable[[Error], str]] = {
    "missing": lambda _: "is required",
    "string_too_short": lambda e: _length(e, "min_length", short=True),
    "too_short": lambda e: _length(e, "min_length", short=True),
    "string_too_long": lambda e: _length(e, "max_length", short=False),
    "too_long": lambda e: _length(e, "max_length", short=False),
    "bool_type": lambda e: (
        "must be true or false" + (", without quotes" if isinstance(e.get("input"), str) else "")
    ),
    "bool_parsing": lambda _: "must be true or false",
    "int_type": lambda _: "must be an integer",
    "int_parsing": lambda _: "must be an integer",
    "int_from_float": lambda _: "must be an integer",
    "string_type": lambda _: "must be a string",
    "literal_error": _one_of,
    "enum": _one_of,
    "model_attributes_type": lambda _: "must be a JSON object",
    "dict_type": lambda _: "must be a JSON object",
    "model_type": lambda _: "must be a JSON object",
    "list_type": lambda _: "must be a JSON array",
    "json_invalid": _json_invalid,
}
# pydantic's own message for a field that does not exist: it names nothing.
_EXTRA_FORBIDDEN = "Extra inputs are not permitted"
# Prefixes of pydantic's remaining messages, and how they read after a field name.
_REPHRASED = (
    ("Value error, ", ""),
    ("Input should be ", "must be "),
    ("Value should have ", "must have "),
    ("String should have ", "must have "),
    ("List should have ", "must have "),
)


def _what_to_fix(error: Error) -> str:
    kind = error["type"]
    if kind in _WORDING:
        return _WORDING[kind](error)
    message: str = error["msg"]
    if kind == "extra_forbidden":
        unknown = message == _EXTRA_FORBIDDEN
        return "is not a known field (names are case-sensitive)" if unknown else message
    for prefix, replacement in _REPHRASED:
        if message.startswith(prefix):
            return replacement + message.removeprefix(prefix)
    return message


def readable(error: Error) -> Error:
    """The error with `msg` as `<field>: <what to fix>`."""
    loc = error.get("loc", ())
    # FastAPI puts the parser's character position after "body" for malformed JSON.
    where = "body" if error["type"] == "json_invalid" else field_name(loc)
    message = _what_to_fix(error)
    last = str(loc[-1]) if loc else where
    if message.startswith((f"{where}:", f"{last}:", f"{last} ")):  # it names the field already
        return {**error, "msg": message}
    return {**error, "msg": f"{where}: {message}"}
