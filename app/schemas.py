"""Request and response bodies, shaped as the Prisma client shapes JSON.

Keys are Prisma field names. A field whose model attribute differs (`metadata`,
held as `metadata_` because SQLAlchemy reserves `metadata`) says so with an alias:
`validation_alias` on responses (read from the model), `serialization_alias` on
requests (dumped into the model). DateTimes are ISO-8601 UTC with milliseconds and
`Z`; Decimal and BigInt travel as strings; Json as given.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    JsonValue,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from app.models import PageStatus

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

BigInt = Annotated[
    int,
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+$", "examples": ["0"]}),
]


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


def _omit_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable() -> Any:
    """A field that may be left out of a partial update but not set to null."""
    return Field(default=None, json_schema_extra=_omit_default)


# --- Common -----------------------------------------------------------------------


class RequestBody(BaseModel):
    """Unknown keys are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")

    def model_values(self) -> dict[str, Any]:
        """The fields the client sent, keyed by model attribute."""
        return self.model_dump(exclude_unset=True, by_alias=True)


class Message(BaseModel):
    """The body of every error except validation errors."""

    detail: str


# --- Page -------------------------------------------------------------------------

Title = Annotated[Text, StringConstraints(min_length=1, max_length=500)]
# Unique: B-tree index entries are limited in size, so is the slug.
Slug = Annotated[Text, StringConstraints(min_length=1, max_length=191)]
Keywords = Annotated[
    list[Annotated[Text, StringConstraints(max_length=100)]], Field(max_length=100)
]
# Decimal(10, 2) in the Prisma schema. Documented as a string, as Prisma's Decimal
# serializes; a JSON number is accepted too.
Price = Annotated[
    Decimal,
    Field(max_digits=10, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,8}(\.\d{1,2})?$", "examples": ["9.99"]}),
]


class PageCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Hello",
                    "slug": "hello",
                    "content": "First page",
                    "keywords": ["intro"],
                    "metadata": {"layout": "wide"},
                    "price": "9.99",
                    "authorId": "0b6f7a4e-3f0e-4c57-9a53-1c2f4a8f2d11",
                }
            ]
        }
    )

    title: Title
    slug: Slug
    content: Text | None = None
    status: PageStatus = PageStatus.DRAFT
    published: Annotated[bool, Field(strict=True)] = False
    keywords: Keywords = []
    metadata: Json = Field(default=None, serialization_alias="metadata_")
    price: Price | None = None
    authorId: Id
    parentId: Id | None = None


class PageUpdate(RequestBody):
    """Only the fields sent change; the others keep their values."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "Hello again", "status": "PUBLISHED"}]}
    )

    title: Title = omittable()
    slug: Slug = omittable()
    content: Text | None = None
    status: PageStatus = omittable()
    published: Annotated[bool, Field(strict=True)] = omittable()
    keywords: Keywords = omittable()
    metadata: Json = Field(default=None, serialization_alias="metadata_")
    price: Price | None = None
    authorId: Id = omittable()
    parentId: Id | None = None


class PagePublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "cm5x2k9q80000abcdxyz12345",
                    "title": "Hello",
                    "slug": "hello",
                    "content": "First page",
                    "status": "DRAFT",
                    "published": False,
                    "keywords": ["intro"],
                    "metadata": {"layout": "wide"},
                    "price": "9.99",
                    "viewCount": "0",
                    "authorId": "0b6f7a4e-3f0e-4c57-9a53-1c2f4a8f2d11",
                    "parentId": None,
                    "createdAt": "2026-01-02T03:04:05.678Z",
                    "updatedAt": "2026-01-02T03:04:05.678Z",
                }
            ]
        },
    )

    id: str
    title: str
    slug: str
    content: str | None
    status: PageStatus
    published: bool
    keywords: Annotated[list[str], BeforeValidator(_none_as_empty)]
    metadata: JsonValue = Field(validation_alias="metadata_")
    price: Decimal | None
    viewCount: BigInt
    authorId: str
    parentId: str | None
    createdAt: StoredDateTime
    updatedAt: StoredDateTime


class PagesPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    data: list[PagePublic]
    count: int | None = Field(
        description="Rows matching the filters: exact, estimated or null, as `count` asked"
    )
    nextCursor: str | None = Field(
        validation_alias="next_cursor",
        description="Pass as `cursor` for the next page; null on the last page",
    )
