"""The JSON Schemas of the vocabulary, for `components.schemas`: `PageWhereInput`,
`PageOrderByInput`, `PageInclude`, the shared per-type filters (`StringFilter`,
`EnumPageStatusFilter`...), written from the same operator table that validation uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import SQLModel

from app.core.query.include import includable
from app.core.query.model_info import ScalarField, describe
from app.core.query.operators import operators
from app.core.query.policy import LIMITS, Policies, QueryLimits

Schema = dict[str, Any]
REF = "#/components/schemas/"


def ref(name: str) -> Schema:
    return {"$ref": REF + name}


def where_input(model: type[SQLModel]) -> str:
    return f"{model.__name__}WhereInput"


def order_by_input(model: type[SQLModel]) -> str:
    return f"{model.__name__}OrderByInput"


def include_input(model: type[SQLModel]) -> str:
    return f"{model.__name__}Include"


_VALUES: dict[str, Schema] = {
    "string": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer", "format": "int32"},
    "bigint": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^-?[0-9]+$"}]},
    "float": {"type": "number"},
    "decimal": {"anyOf": [{"type": "number"}, {"type": "string"}]},
    "datetime": {"type": "string", "format": "date-time"},
    "boolean": {"type": "boolean"},
}
_TYPE_NAMES = {
    "string": "String", "uuid": "Uuid", "int": "Int", "bigint": "BigInt", "float": "Float",
    "decimal": "Decimal", "datetime": "DateTime", "boolean": "Bool",
}  # fmt: skip


def _value(field: ScalarField) -> Schema:
    if field.enum_class is not None:
        return {"type": "string", "enum": list(field.enum_class.__members__)}
    return dict(_VALUES[field.kind])


def _nullable(schema: Schema, nullable: bool) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


def filter_name(field: ScalarField) -> str:
    """Prisma's names: StringFilter, StringNullableFilter, EnumRoleFilter,
    StringNullableListFilter."""
    if field.enum_class is not None:
        base = f"Enum{field.enum_class.__name__}"
    else:
        base = _TYPE_NAMES[field.kind]
    if field.is_list:
        return f"{base}NullableListFilter"
    return f"{base}{'Nullable' if field.nullable else ''}Filter"


def _filter(field: ScalarField, limits: QueryLimits) -> Schema:
    value = _value(field)
    values = {"type": "array", "items": value, "maxItems": limits.max_list}
    forms: dict[str, Schema] = {
        "value": value,
        "nullable": _nullable(value if not field.is_list else values, field.nullable),
        "values": values,
        "not": {"anyOf": [_nullable(value, field.nullable), ref(filter_name(field))]},
        "mode": {"type": "string", "enum": ["default", "insensitive"]},
        "text": {"type": "string"},
        "item": value,
        "bool": {"type": "boolean"},
    }
    properties = {name: forms[form] for name, form in operators(field).items()}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _where(
    model: type[SQLModel], policies: Policies, schemas: dict[str, Schema], limits: QueryLimits
) -> list[type[SQLModel]]:
    """Adds the model's WhereInput (and its filters); the related models it refers to."""
    info = describe(model)
    policy = policies(model)
    assert policy is not None
    name = where_input(model)
    properties: dict[str, Schema] = {
        "AND": {"anyOf": [ref(name), {"type": "array", "items": ref(name)}]},
        "OR": {"type": "array", "items": ref(name)},
        "NOT": {"anyOf": [ref(name), {"type": "array", "items": ref(name)}]},
    }
    for field_name, field in info.scalars.items():
        if not field.filterable or not policy.may_filter(field_name):
            continue
        schemas.setdefault(filter_name(field), _filter(field, limits))
        shorthand = _nullable(
            _value(field) if not field.is_list else {"type": "array", "items": _value(field)},
            field.nullable,
        )
        properties[field_name] = {"anyOf": [shorthand, ref(filter_name(field))]}
    related = []
    for relation_name, relation in info.relations.items():
        if not policy.may_filter(relation_name) or policies(relation.target) is None:
            continue
        target = ref(where_input(relation.target))
        if relation.to_many:
            quantifiers = dict.fromkeys(("some", "every", "none"), target)
            filter_ = f"{relation.target.__name__}ListRelationFilter"
        else:
            quantifiers = {q: _nullable(target, True) for q in ("is", "isNot")}
            filter_ = f"{relation.target.__name__}RelationFilter"
        schemas.setdefault(
            filter_, {"type": "object", "properties": quantifiers, "additionalProperties": False}
        )
        properties[relation_name] = ref(filter_)
        related.append(relation.target)
    schemas[name] = {
        "type": "object",
        "description": f"Prisma's where for {model.__name__}; see docs/querying.md",
        "properties": properties,
        "additionalProperties": False,
    }
    return related


def _order_by(model: type[SQLModel], policies: Policies, schemas: dict[str, Schema]) -> None:
    policy = policies(model)
    assert policy is not None
    schemas.setdefault("SortOrder", {"type": "string", "enum": ["asc", "desc"]})
    schemas.setdefault(
        "SortOrderInput",
        {
            "type": "object",
            "properties": {
                "sort": ref("SortOrder"),
                "nulls": {"type": "string", "enum": ["first", "last"]},
            },
            "required": ["sort"],
            "additionalProperties": False,
        },
    )
    schemas[order_by_input(model)] = {
        "type": "object",
        "properties": {
            name: {"anyOf": [ref("SortOrder"), ref("SortOrderInput")]}
            for name, field in describe(model).scalars.items()
            if field.sortable and policy.may_sort(name)
        },
        "additionalProperties": False,
        # One field per object, as in Prisma: several keys go in a list, in their order.
        "minProperties": 1,
        "maxProperties": 1,
    }


def _include(
    model: type[SQLModel], policies: Policies, schemas: dict[str, Schema], limits: QueryLimits
) -> list[type[SQLModel]]:
    properties = {}
    related = []
    for name in includable(model, policies):
        relation = describe(model).relations[name]
        args: Schema = {"include": ref(include_input(relation.target))}
        if relation.to_many:
            args["take"] = {
                "type": "integer",
                "minimum": 1,
                "maximum": limits.max_take,
                "default": limits.max_take,
            }
        properties[name] = {
            "anyOf": [
                {"type": "boolean"},
                {"type": "object", "properties": args, "additionalProperties": False},
            ]
        }
        related.append(relation.target)
    schemas[include_input(model)] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    return related


def component_schemas(
    models: Iterable[type[SQLModel]], policies: Policies, limits: QueryLimits = LIMITS
) -> dict[str, Schema]:
    """Every schema the query parameters of `models` refer to (related models' inputs included)."""
    schemas: dict[str, Schema] = {}
    pending = [model for model in models if policies(model) is not None]
    done: set[type[SQLModel]] = set()
    while pending:
        model = pending.pop()
        if model in done:
            continue
        done.add(model)
        _order_by(model, policies, schemas)
        pending += _where(model, policies, schemas, limits)
        pending += _include(model, policies, schemas, limits)
    return dict(sorted(schemas.items()))
