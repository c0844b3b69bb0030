"""The request and response schemas of a resource, derived from its model's columns.

Read (`Page`): every answered column, with Prisma's JSON types. Create
(`PageCreateInput`): what clients may write; required only when neither the database
nor Prisma's client fills it. Update (`PageUpdateInput`): the same fields, every one
omittable, keys excluded. List (`PageList`): a page of rows, a count and a cursor.

Fields are Prisma's names in JSON and the model's attribute names in Python (the two
differ only where the generator renamed a reserved name, `metadata` → `metadata_`).
"""

from __future__ import annotations

import enum
from functools import cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    WithJsonSchema,
    create_model,
)
from pydantic.fields import FieldInfo
from sqlalchemy import Numeric, String

from app.core import api_types as t
from app.core.query import relation_write_model
from app.core.resource import Resource, ScalarField


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


def _stored_enum(enum_class: type[enum.Enum]) -> Any:
    values = [member.value for member in enum_class]
    return Annotated[
        str,
        WithJsonSchema(
            {
                "type": "string",
                "enum": values,
                "title": enum_class.__name__,
                "description": "A value added to the enum by a later Prisma migration is "
                "answered as stored, before this service's models know it",
            }
        ),
    ]


def _read_type(item: ScalarField) -> Any:
    enum_class = item.enum
    read: dict[str, Any] = {
        "string": str,
        "int": int,
        "bigint": t.StoredBigInt,
        "float": float,
        "decimal": t.StoredDecimal,
        "bool": bool,
        "datetime": t.StoredDateTime,
        "json": JsonValue,
        "uuid": str,
        "bytes": t.Bytes,
        "other": str,
    }
    type_: Any = _stored_enum(enum_class) if enum_class is not None else read[item.kind]
    if item.is_list:
        type_ = Annotated[list[type_], BeforeValidator(_none_as_empty)]
    if item.kind == "json":
        return type_  # JsonValue holds null already
    return type_ | None if item.nullable else type_


def _string_type(item: ScalarField) -> Any:
    length = getattr(item.item_type, "length", None)
    if isinstance(item.item_type, String) and length:
        return Annotated[t.Text, StringConstraints(max_length=length)]
    return t.Text


def _write_type(item: ScalarField, constraints: tuple[Any, ...]) -> Any:
    type_: Any
    if item.enum is not None:
        type_ = item.enum
    elif item.kind == "decimal":
        numeric = item.item_type
        assert isinstance(numeric, Numeric)
        type_ = t.decimal_type(numeric.precision, numeric.scale)
    elif item.kind == "string" or item.kind == "other":
        type_ = _string_type(item)
    else:
        type_ = {
            "int": t.Int,
            "bigint": t.BigInt,
            "float": t.Float,
            "bool": t.Bool,
            "datetime": t.DateTime,
            "json": t.Json if item.nullable else t.RequiredJson,
            "uuid": t.Uuid,
            "bytes": t.Bytes,
        }[item.kind]
    if not item.is_list:
        return Annotated[type_, *constraints] if constraints else type_
    # A list's FieldInfo constraints bound the list (`Field(max_length=100)`), the others
    # each item (`StringConstraints(max_length=100)`).
    whole = [constraint for constraint in constraints if isinstance(constraint, FieldInfo)]
    each = [constraint for constraint in constraints if not isinstance(constraint, FieldInfo)]
    type_ = list[Annotated[type_, *each]] if each else list[type_]
    return Annotated[type_, *whole] if whole else type_


def _request_field(item: ScalarField, type_: Any, *, required: bool) -> tuple[Any, Any]:
    alias = item.name if item.name != item.attribute else None
    if required:
        return type_, Field(validation_alias=alias)
    if item.nullable:
        return type_ | None, Field(default=None, validation_alias=alias)
    # May be left out, but not sent as null.
    return type_, Field(default=None, validation_alias=alias, json_schema_extra=_omit_default)


def _omit_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _example(resource: Resource, names: set[str]) -> dict[str, Any]:
    examples = resource.examples or {}
    return {"examples": [{key: examples[key] for key in examples if key in names}]}


class RequestBody(BaseModel):
    """Unknown keys are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")

    def model_values(self) -> dict[str, Any]:
        """The fields the client sent, keyed by model attribute."""
        return self.model_dump(exclude_unset=True)


def read_schema(resource: Resource, resources: tuple[Resource, ...] = ()) -> type[BaseModel]:
    """`Page`: every answered column, and, for each relation to one of `resources` that
    the resource lets clients include, the related row(s) (present when included)."""
    if resource not in resources:
        resources = (*resources, resource)
    return _read_schemas(resources)[resource]


@cache
def _read_schemas(resources: tuple[Resource, ...]) -> dict[Resource, type[BaseModel]]:
    """The read schemas of `resources` together: relations refer to each other (a page's
    author, the author's pages), resolved once all exist."""
    by_model = {resource.model: resource for resource in resources}
    schemas: dict[Resource, type[BaseModel]] = {}
    for resource in resources:
        fields: dict[str, Any] = {}
        for item in resource.answered():
            alias = item.name if item.name != item.attribute else None
            fields[item.attribute] = (_read_type(item), Field(serialization_alias=alias))
        for relation in resource.relations:
            target = by_model.get(relation.target)
            if target is None or not resource.may_include(relation.name):
                continue
            type_ = f"list[{target.name}]" if relation.to_many else f"{target.name} | None"
            fields[relation.name] = (
                type_,
                Field(default=None, description=f"Answered when `include[{relation.name}]` asks"),
            )
        config = ConfigDict(
            json_schema_extra=_example(resource, {item.name for item in resource.answered()})
            if resource.examples
            else None
        )
        schemas[resource] = create_model(resource.name, __config__=config, **fields)
    namespace = {resource.name: schema for resource, schema in schemas.items()}
    for schema in schemas.values():
        schema.model_rebuild(_types_namespace=namespace)
    return schemas


def _relation_writes(resource: Resource, resources: tuple[Resource, ...]) -> dict[str, Any]:
    """`tags: {connect, disconnect, set}` for each implicit many-to-many relation to one
    of `resources`."""
    exposed = {other.model for other in resources}
    return {
        relation.name: (
            relation_write_model(resource.model, relation.name) | None,
            Field(default=None, description="Prisma's connect, disconnect or set, by id"),
        )
        for relation in resource.relations
        if relation.many_to_many and relation.target in exposed
    }


@cache
def create_schema(resource: Resource, resources: tuple[Resource, ...] = ()) -> type[RequestBody]:
    fields: dict[str, Any] = _relation_writes(resource, resources)
    for item in resource.writable_fields():
        type_ = _write_type(item, tuple(resource.constraints.get(item.name, ())))
        required = not item.nullable and not item.filled_on_create
        fields[item.attribute] = _request_field(item, type_, required=required)
    return create_model(
        f"{resource.name}CreateInput",
        __base__=_request_base(resource, fields),
        __doc__=f"A new {resource.name}; what is left out gets Prisma's default",
        **fields,
    )


@cache
def update_schema(resource: Resource, resources: tuple[Resource, ...] = ()) -> type[RequestBody]:
    fields: dict[str, Any] = _relation_writes(resource, resources)
    for item in resource.writable_fields():
        if item.is_key:
            continue  # a row's identity stays: its URL and ETag name it
        type_ = _write_type(item, tuple(resource.constraints.get(item.name, ())))
        fields[item.attribute] = _request_field(item, type_, required=False)
    return create_model(
        f"{resource.name}UpdateInput",
        __base__=_request_base(resource, fields),
        __doc__="Only the fields sent change; the others keep their values",
        **fields,
    )


def _request_base(resource: Resource, fields: dict[str, Any]) -> type[RequestBody]:
    """RequestBody, with the declaration's example restricted to these fields."""
    if not resource.examples:
        return RequestBody
    names = {info.validation_alias or attribute for attribute, (_, info) in fields.items()}
    config = ConfigDict(extra="forbid", json_schema_extra=_example(resource, names))
    return type("RequestBody", (RequestBody,), {"model_config": config})


@cache
def list_schema(resource: Resource, resources: tuple[Resource, ...] = ()) -> type[BaseModel]:
    return create_model(
        f"{resource.name}List",
        data=(list[read_schema(resource, resources)], ...),  # type: ignore[valid-type]
        count=(
            int | None,
            Field(
                description="Rows matching the filters: exact, estimated or null, as `count` asked"
            ),
        ),
        nextCursor=(
            str | None,
            Field(description="Pass as `cursor` for the next page; null on the last page"),
        ),
    )
