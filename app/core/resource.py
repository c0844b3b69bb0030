"""A resource: one Prisma model (or view) served over HTTP, and what is known of it.

A `Resource` is a declaration: the generated model plus API policy only (tighter
constraints, examples, hidden or read-only fields, what may be filtered, sorted and
included). Everything else — field names, types, nullability, defaults, keys — is read
from the model's columns, so that a column added by a Prisma migration reaches the API
after `make orm` with no hand edit.
"""

from __future__ import annotations

import enum
import keyword
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Time,
    Uuid,
    inspect,
)
from sqlalchemy.orm import Mapper, RelationshipProperty, registry
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel

from app.core.query import QueryPolicy

Kind = Literal[
    "string", "int", "bigint", "float", "decimal", "bool", "datetime", "json", "enum", "uuid",
    "bytes", "other",
]  # fmt: skip

_RESERVED = frozenset(dir(SQLModel)) | {"metadata", "registry"}


def api_name(attribute: str) -> str:
    """The Prisma field name of a model attribute: the generator appends `_` to names
    that Python or SQLModel reserve (`metadata` is held as `metadata_`)."""
    stem = attribute.removesuffix("_")
    if stem != attribute and (keyword.iskeyword(stem) or stem in _RESERVED):
        return stem
    return attribute


def _base_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


def _kind(type_: TypeEngine[Any]) -> Kind:
    # Order matters: BigInteger is an Integer, Float a Numeric, Enum a String.
    checks: tuple[tuple[type[TypeEngine[Any]] | tuple[type[TypeEngine[Any]], ...], Kind], ...] = (
        (Enum, "enum"),
        (Boolean, "bool"),
        (BigInteger, "bigint"),
        (Integer, "int"),
        (Float, "float"),
        (Numeric, "decimal"),
        ((DateTime, Date, Time), "datetime"),
        (JSON, "json"),
        (Uuid, "uuid"),
        (LargeBinary, "bytes"),
        (String, "string"),
    )
    for types, kind in checks:
        if isinstance(type_, types):
            return kind
    return "other"


@dataclass(frozen=True)
class ScalarField:
    """One column of a model, as the API sees it."""

    name: str  # Prisma's field name, used in JSON and queries
    attribute: str  # the model attribute (`metadata_`)
    column: Column[Any]
    kind: Kind
    is_list: bool
    nullable: bool
    filled_on_create: bool  # a default (client-side or the database's) fills it
    generated: bool  # @updatedAt or autoincrement: never written by clients
    is_key: bool

    @property
    def enum(self) -> type[enum.Enum] | None:
        type_ = self.item_type
        return type_.enum_class if isinstance(type_, Enum) else None

    @property
    def item_type(self) -> TypeEngine[Any]:
        """The column's type, or its items' type for a list."""
        type_ = _base_type(self.column.type)
        return _base_type(type_.item_type) if isinstance(type_, ARRAY) else type_


@dataclass(frozen=True)
class RelationField:
    """A Prisma relation field: `author` (to one) or `tags` (to many)."""

    name: str
    target: type[Any]
    to_many: bool
    many_to_many: bool  # through an implicit `_AToB` table


def _scalar_field(mapper: Mapper[Any], attribute: str, column: Column[Any]) -> ScalarField:
    type_ = _base_type(column.type)
    is_list = isinstance(type_, ARRAY)
    kind = _kind(_base_type(type_.item_type) if isinstance(type_, ARRAY) else type_)
    is_key = column in mapper.primary_key
    autoincrement = (
        is_key
        and kind in ("int", "bigint")
        and column.autoincrement is True
        and column.default is None
    )
    updated_at = column.onupdate is not None
    model_default = _has_model_default(mapper.class_, attribute)
    return ScalarField(
        name=api_name(attribute),
        attribute=attribute,
        column=column,
        kind=kind,
        is_list=is_list,
        nullable=bool(column.nullable) and not is_key and not is_list,  # lists: [] not null
        filled_on_create=(
            model_default
            or column.default is not None
            or column.server_default is not None
            or autoincrement
            or updated_at
            or is_list  # Prisma's scalar lists default to empty
        ),
        generated=updated_at or autoincrement,
        is_key=is_key,
    )


def _has_model_default(model: type[Any], attribute: str) -> bool:
    fields = getattr(model, "model_fields", {})
    info = fields.get(attribute)
    if info is None:
        return False
    return info.default_factory is not None or (info.default is not None and not info.is_required())


def view_model(table: Table) -> type[Any]:
    """A class mapped onto a view's Table (app/view_tables.py), so that a view is served
    like a model: keyed by the columns the generator marks as its key."""
    model = type(table.name, (), {"__doc__": f"The view {table.name}, read-only."})
    registry(metadata=table.metadata).map_imperatively(model, table)
    return model


def _words(name: str) -> list[str]:
    return re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)


def plural(word: str) -> str:
    """English plural of a model name's last word: Page → Pages, Category → Categories."""
    lower = word.lower()
    if lower.endswith("y") and len(word) > 1 and lower[-2] not in "aeiou":
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class Resource:
    """What a model exposes, beyond what its columns already say.

    `constraints` adds validation metadata to a field's request type (for example
    `StringConstraints(max_length=500)`; on a list, `Field(...)` bounds the list and
    the others each item); `examples` gives one example row; `hidden`
    fields never appear in answers; `read_only` fields are refused in writes (as
    @updatedAt and autoincrement ids always are). `filterable`, `sortable` and
    `includable` narrow what lists accept (None: every field or relation).
    """

    model: type[Any]
    path: str | None = None  # default: the model name in plural kebab case
    # Lists' default order, as Prisma's orderBy (`{"createdAt": "desc"}`); the key follows.
    order_by: Mapping[str, Any] | None = None
    writable: bool = True  # False for views
    constraints: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    examples: Mapping[str, Any] | None = None
    hidden: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()
    filterable: frozenset[str] | None = None
    sortable: frozenset[str] | None = None
    includable: frozenset[str] | None = None

    def __post_init__(self) -> None:
        names = {item.name for item in self.fields} | {item.name for item in self.relations}
        named = set(self.constraints) | self.hidden | self.read_only
        for subset in (self.filterable, self.sortable, self.includable):
            named |= subset or set()
        if unknown := named - names:
            raise ValueError(f"{self.name} has no field {', '.join(sorted(unknown))}")

    @property
    def name(self) -> str:
        return self.model.__name__

    @property
    def plural_name(self) -> str:
        words = _words(self.name)
        return "".join(words[:-1]) + plural(words[-1]) if words else self.name

    @property
    def url_path(self) -> str:
        if self.path is not None:
            return self.path
        return "/" + "-".join(word.lower() for word in _words(self.plural_name))

    @cached_property
    def mapper(self) -> Mapper[Any]:
        return inspect(self.model)

    @cached_property
    def fields(self) -> tuple[ScalarField, ...]:
        mapper = self.mapper
        return tuple(
            _scalar_field(mapper, attribute.key, typing.cast(Column[Any], attribute.columns[0]))
            for attribute in mapper.column_attrs
        )

    @cached_property
    def relations(self) -> tuple[RelationField, ...]:
        relations = []
        for relationship in self.mapper.relationships:
            assert isinstance(relationship, RelationshipProperty)
            relations.append(
                RelationField(
                    name=relationship.key,
                    target=relationship.mapper.class_,
                    to_many=bool(relationship.uselist),
                    many_to_many=relationship.secondary is not None,
                )
            )
        return tuple(relations)

    @cached_property
    def key(self) -> tuple[ScalarField, ...]:
        """The primary key's fields, in the key's column order."""
        by_column: dict[Any, ScalarField] = {item.column: item for item in self.fields}
        return tuple(by_column[column] for column in self.mapper.primary_key)

    @cached_property
    def version_field(self) -> ScalarField | None:
        """The @updatedAt field, whose value names a version of the row (see ETags)."""
        return next((item for item in self.fields if item.column.onupdate is not None), None)

    @cached_property
    def query_policy(self) -> QueryPolicy:
        return QueryPolicy(self.filterable, self.sortable, self.includable)

    def may_include(self, relation: str) -> bool:
        return self.includable is None or relation in self.includable

    def answered(self) -> tuple[ScalarField, ...]:
        return tuple(item for item in self.fields if item.name not in self.hidden)

    def writable_fields(self) -> tuple[ScalarField, ...]:
        return tuple(
            item for item in self.fields if not item.generated and item.name not in self.read_only
        )
