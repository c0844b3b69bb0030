"""API schemas are derived from the generated models, in Prisma's JSON conventions."""

from datetime import datetime
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Column, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from app.core.api_types import BigInt, DateTime, format_decimal
from app.core.resource import Resource
from app.core.resource_schemas import create_schema, read_schema, update_schema
from app.models import AuditLog, Tag
from app.resources import PAGES, RESOURCES


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.name)
def test_every_column_is_answered_and_written_under_its_prisma_name(resource: Resource) -> None:
    fields = read_schema(resource).model_fields
    answered = {info.serialization_alias or name for name, info in fields.items()}
    relations = {relation.name for relation in resource.relations}
    assert answered - relations == {item.name for item in resource.fields} - resource.hidden
    if resource.writable:
        written = set(create_schema(resource).model_json_schema()["properties"])
        assert written == {item.name for item in resource.writable_fields()}


def test_a_column_the_model_gains_reaches_every_schema() -> None:
    # What a Prisma migration plus `make orm` does to a model: a new attribute, a new column.
    class Base(SQLModel, registry=registry()):  # kept out of the app's metadata
        pass

    class Note(Base, table=True):
        id: str = Field(sa_column=Column("id", Text, primary_key=True))
        summary: str | None = Field(default=None, sa_column=Column("summary", Text))

    resource = Resource(Note)
    assert "summary" in read_schema(resource).model_json_schema(mode="serialization")["properties"]
    assert "summary" in create_schema(resource).model_json_schema()["properties"]
    assert "summary" in update_schema(resource).model_json_schema()["properties"]


def test_what_prisma_fills_is_optional_on_create_and_generated_fields_are_not_written() -> None:
    tags = create_schema(Resource(Tag)).model_json_schema()
    assert "id" not in tags["properties"]  # autoincrement
    assert tags["required"] == ["name"]
    logs = create_schema(Resource(AuditLog)).model_json_schema()
    assert "id" not in logs["properties"]
    assert set(logs["required"]) == {"action"}  # cuid(2), nanoid, ulid, uuid(7), now: filled
    pages = update_schema(PAGES).model_json_schema()
    assert "updatedAt" not in pages["properties"] and "id" not in pages["properties"]
    assert "required" not in pages


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        ("9.90", "9.9"),
        ("10.00", "10"),
        ("0.00", "0"),
        ("-0.50", "-0.5"),
        ("100000.00", "100000"),
        ("0.0000001", "1e-7"),
        ("0.000001", "0.000001"),
        ("123456789012345678901234", "1.23456789012345678901234e+23"),
        ("1000000000000000000000", "1e+21"),
        ("100000000000000000000", "100000000000000000000"),
    ],
)
def test_decimals_are_printed_as_prisma_prints_them(value: str, printed: str) -> None:
    assert format_decimal(Decimal(value)) == printed


DATETIME = TypeAdapter(DateTime)


@pytest.mark.parametrize(
    "given",
    ["2026-01-02T05:04:05.678+02:00", "2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05.678"],
)
def test_datetimes_are_accepted_with_or_without_offset_and_held_as_naive_utc(
    given: str,
) -> None:
    assert DATETIME.validate_python(given) == datetime(2026, 1, 2, 3, 4, 5, 678000)


def test_datetimes_are_written_in_utc_with_milliseconds_and_z() -> None:
    value = DATETIME.validate_python("2026-01-02T03:04:05.678999")
    assert DATETIME.dump_json(value) == b'"2026-01-02T03:04:05.678Z"'
    assert DATETIME.dump_json(datetime(2026, 1, 2)) == b'"2026-01-02T00:00:00.000Z"'


def test_numbers_are_not_taken_as_datetimes() -> None:
    with pytest.raises(ValidationError, match="ISO-8601"):
        DATETIME.validate_python(1767225600)


def test_bigint_travels_as_a_string() -> None:
    assert TypeAdapter(BigInt).dump_json(2**62) == f'"{2**62}"'.encode()


ROW = {
    "id": "c1",
    "title": "T",
    "slug": "t",
    "content": None,
    "status": "DRAFT",
    "published": False,
    "keywords": None,
    "metadata_": {"a": [1]},
    "price": Decimal("1.50"),
    "viewCount": 7,
    "authorId": "u1",
    "parentId": None,
    "createdAt": datetime(2026, 1, 2, 3, 4, 5, 6000),
    "updatedAt": datetime(2026, 1, 2, 3, 4, 5, 6000),
}


def test_a_page_reads_from_a_row_in_prisma_shape() -> None:
    body = read_schema(PAGES).model_validate(ROW).model_dump(mode="json", by_alias=True)
    assert body["metadata"] == {"a": [1]}
    assert body["price"] == "1.5" and body["viewCount"] == "7"
    assert body["createdAt"] == "2026-01-02T03:04:05.006Z"
    assert body["keywords"] == []  # a list stored as NULL reads as empty, as in Prisma


def test_only_sent_fields_reach_the_model() -> None:
    update = update_schema(PAGES).model_validate({"metadata": None, "title": "New"})
    assert update.model_values() == {"metadata_": None, "title": "New"}  # type: ignore[attr-defined]


def test_an_unknown_enum_value_is_answered_as_stored() -> None:
    page = read_schema(PAGES).model_validate(ROW | {"status": "SCHEDULED"})
    assert page.model_dump(mode="json")["status"] == "SCHEDULED"
