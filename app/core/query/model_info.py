"""What the query vocabulary needs to know of a mapped class, read once by inspection:
its scalar fields (column, kind, nullability) and its relations (target, cardinality,
join columns, the secondary table of an implicit many-to-many)."""

from __future__ import annotations

import enum
import typing
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    TypeDecorator,
    Uuid,
    inspect,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import RelationshipProperty
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

from app.core.query.memo import per_model

Kind = Literal[
    "string", "int", "bigint", "float", "decimal", "datetime", "boolean", "enum", "uuid", "json",
    "bytes",
]  # fmt: skip

SORTABLE_KINDS: frozenset[Kind] = frozenset(
    {"string", "int", "bigint", "float", "decimal", "datetime", "boolean", "enum", "uuid"}
)


@dataclass(frozen=True)
class ScalarField:
    name: str  # the attribute name (`metadata_`), as rows and queries name it
    column: Column[Any]
    kind: Kind
    is_list: bool
    nullable: bool
    enum_class: type[enum.Enum] | None

    @property
    def filterable(self) -> bool:
        return self.kind not in ("json", "bytes")

    @property
    def sortable(self) -> bool:
        return not self.is_list and self.kind in SORTABLE_KINDS


@dataclass(frozen=True)
class Relation:
    """A relation field. `pairs` join the parent's column keys to the target's (direct
    relations); an implicit many-to-many joins through `secondary`: `pairs` then hold
    (parent column, secondary column) and `target_pairs` (target column, secondary
    column)."""

    name: str
    target: type[SQLModel]
    to_many: bool
    pairs: tuple[tuple[str, str], ...]
    secondary: Table | None
    target_pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ModelInfo:
    model: type[SQLModel]
    table: Table
    scalars: dict[str, ScalarField]
    relations: dict[str, Relation]
    key: tuple[str, ...]  # the primary key's attribute names

    def attribute_of(self, column_key: str) -> str:
        for field in self.scalars.values():
            if field.column.key == column_key:
                return field.name
        raise KeyError(column_key)


def _kind(type_: TypeEngine[Any]) -> Kind:
    if isinstance(type_, TypeDecorator):
        type_ = typing.cast(TypeEngine[Any], type_.impl_instance)
    checks: tuple[tuple[type, Kind], ...] = (
        (Enum, "enum"),
        (Boolean, "boolean"),
        (BigInteger, "bigint"),
        (Integer, "int"),
        (Float, "float"),
        (Numeric, "decimal"),
        (DateTime, "datetime"),
        (Uuid, "uuid"),
        (JSON, "json"),
        (LargeBinary, "bytes"),
        (String, "string"),
    )
    for sql_type, kind in checks:
        if isinstance(type_, sql_type):
            return kind
    return "json"  # a type the vocabulary has no operators for: neither filtered nor sorted


def _scalar(name: str, column: Column[Any]) -> ScalarField:
    type_ = column.type
    is_list = isinstance(type_, ARRAY)
    item = typing.cast(TypeEngine[Any], type_.item_type) if isinstance(type_, ARRAY) else type_
    kind = _kind(item)
    enum_class = getattr(item, "enum_class", None) if kind == "enum" else None
    return ScalarField(name, column, kind, is_list, bool(column.nullable), enum_class)


def _relation(prop: RelationshipProperty[Any]) -> Relation:
    target = typing.cast(type[SQLModel], prop.mapper.class_)
    to_many = bool(prop.uselist)
    secondary = typing.cast(Table | None, prop.secondary)
    if secondary is None:
        pairs = tuple(
            (str(local.key), str(remote.key)) for local, remote in prop.local_remote_pairs or ()
        )
        return Relation(prop.key, target, to_many, pairs, None, ())
    pairs = tuple((str(parent.key), str(link.key)) for parent, link in prop.synchronize_pairs)
    target_pairs = tuple(
        (str(other.key), str(link.key)) for other, link in prop.secondary_synchronize_pairs or ()
    )
    return Relation(prop.key, target, to_many, pairs, secondary, target_pairs)


@per_model
def describe(model: type[SQLModel]) -> ModelInfo:
    mapper = inspect(model)
    table = typing.cast(Table, mapper.local_table)
    scalars = {
        attribute.key: _scalar(attribute.key, table.c[attribute.columns[0].key])
        for attribute in mapper.column_attrs
    }
    relations = {prop.key: _relation(prop) for prop in mapper.relationships}
    key = tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
    return ModelInfo(model, table, scalars, relations, key)
