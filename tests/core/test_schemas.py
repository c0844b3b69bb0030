"""API schemas follow the generated models and Prisma's JSON conventions."""

from datetime import datetime
from decimal import Decimal

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import inspect
from sqlmodel import SQLModel

from app.models import Page
from app.schemas import BigInt, DateTime, PageCreate, PagePublic, PageUpdate

SCHEMAS: list[tuple[type[BaseModel], type[SQLModel]]] = [
    (PageCreate, Page),
    (PageUpdate, Page),
    (PagePublic, Page),
]


def unknown_fields(schema: type[BaseModel], model: type[SQLModel]) -> list[str]:
    """Schema fields whose model attribute (alias, else name) the model does not have."""
    attributes = set(inspect(model).column_attrs.keys())
    missing = []
    for name, field in schema.model_fields.items():
        alias = field.serialization_alias or field.validation_alias
        if (alias if isinstance(alias, str) else name) not in attributes:
            missing.append(name)
    return missing


@pytest.mark.parametrize(("schema", "model"), SCHEMAS, ids=lambda item: item.__name__)
def test_every_schema_field_is_a_model_attribute(
    schema: type[BaseModel], model: type[SQLModel]
) -> None:
    assert unknown_fields(schema, model) == []


def test_a_field_the_model_lost_is_caught() -> None:
    class Stale(BaseModel):
        title: str
        subtitle: str

    assert unknown_fields(Stale, Page) == ["subtitle"]


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


def test_a_page_reads_from_the_model_in_prisma_shape() -> None:
    page = Page(
        id="c1",
        title="T",
        slug="t",
        metadata_={"a": [1]},
        price=Decimal("1.50"),
        viewCount=7,
        authorId="u1",
        createdAt=datetime(2026, 1, 2, 3, 4, 5, 6000),
        updatedAt=datetime(2026, 1, 2, 3, 4, 5, 6000),
    )
    body = PagePublic.model_validate(page).model_dump(mode="json")
    assert body["metadata"] == {"a": [1]}
    assert body["price"] == "1.50" and body["viewCount"] == "7"
    assert body["createdAt"] == "2026-01-02T03:04:05.006Z"
    assert body["keywords"] == []


def test_keywords_stored_as_null_read_as_an_empty_list() -> None:
    page = Page(id="c1", title="T", slug="t", authorId="u1", keywords=None)  # pyright: ignore[reportArgumentType]
    assert PagePublic.model_validate(page).keywords == []


def test_only_sent_fields_reach_the_model() -> None:
    update = PageUpdate.model_validate({"metadata": None, "title": "New"})
    assert update.model_values() == {"metadata_": None, "title": "New"}
