"""Prisma's writes of an implicit many-to-many relation by the related rows' ids:
`connect`, `disconnect` and `set`, as statements that the caller runs in the
transaction of the row's own write. Ids that name no row are an UnknownRelated (422)
naming them, checked before any link is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import Delete, Insert, Select, bindparam, delete, func, not_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.expression import any_
from sqlmodel import SQLModel

from app.core.errors import InvalidInput, UnknownRelated
from app.core.query.include import Fetch
from app.core.query.memo import per_model
from app.core.query.model_info import Relation, describe
from app.core.query.operators import coerce
from app.core.query.policy import LIMITS, QueryLimits

OPERATIONS = ("set", "disconnect", "connect")  # the order they apply in


@dataclass(frozen=True)
class RelationWrite:
    relation: str
    connect: tuple[Any, ...] = ()
    disconnect: tuple[Any, ...] = ()
    set: tuple[Any, ...] | None = None  # None: leave the other links alone


def many_to_many(model: type[SQLModel]) -> list[str]:
    """The model's implicit many-to-many relations (through a link table)."""
    return [name for name, rel in describe(model).relations.items() if rel.secondary is not None]


@per_model
def relation_write_model(model: type[SQLModel], relation: str) -> type[BaseModel]:
    """The body schema of a write of `relation` (`PageTagsRelationInput`): `connect`,
    `disconnect` and `set`, each a list of `{id}` objects (or one object)."""
    target = describe(describe(model).relations[relation].target)
    (key,) = target.key
    id_type = target.scalars[key].column.type.python_type
    key_field: dict[str, Any] = {key: (id_type, ...)}
    reference = create_model(
        f"{target.model.__name__}WhereUniqueInput",
        __config__=ConfigDict(extra="forbid"),
        **key_field,
    )
    ids = reference | list[reference]  # pyright: ignore[reportInvalidTypeForm]
    fields: dict[str, Any] = {
        operation: (ids | None, Field(default=None, description=f"{operation} by id"))
        for operation in ("connect", "disconnect", "set")
    }
    name = f"{model.__name__}{relation[:1].upper()}{relation[1:]}RelationInput"
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def split_relation_writes(
    model: type[SQLModel], values: Mapping[str, Any], limits: QueryLimits = LIMITS
) -> tuple[dict[str, Any], list[RelationWrite]]:
    """The column values of a create/update body, and its relation writes
    (`{"tags": {"connect": [{"id": 1}]}}`, as `relation_write_model` validates them)."""
    relations = many_to_many(model)
    columns = {name: value for name, value in values.items() if name not in relations}
    writes = []
    for name in relations:
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, BaseModel):
            value = value.model_dump(exclude_none=True)
        given = {
            op: _ids(model, name, op, value[op], limits)
            for op in OPERATIONS
            if value.get(op) is not None
        }
        if given:
            writes.append(
                RelationWrite(
                    name, given.get("connect", ()), given.get("disconnect", ()), given.get("set")
                )
            )
    return columns, writes


def _ids(
    model: type[SQLModel], relation: str, operation: str, value: Any, limits: QueryLimits
) -> tuple[Any, ...]:
    target = describe(describe(model).relations[relation].target)
    (key,) = target.key
    references = value if isinstance(value, list) else [value]
    field = f"{relation}.{operation}"
    if len(references) > limits.max_list:
        raise InvalidInput(f"At most {limits.max_list} ids", field=field, kind="too_many_values")
    ids = []
    for reference in references:
        if not isinstance(reference, Mapping) or set(reference) != {key}:
            raise InvalidInput(
                f"Expected objects like {{{key!r}: ...}}", field=field, kind="value_error"
            )
        try:
            ids.append(coerce(target.scalars[key], reference[key]))
        except ValueError as exc:
            raise InvalidInput(f"{key}: {exc}", field=field, kind="value_error") from None
    return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class _Statements:
    existing: Select[Any]  # target ids among `ids`
    link: Insert  # links from `key` to `ids`, those present kept
    unlink: Delete  # links from `key` to `ids`
    unlink_others: Delete  # links from `key` to anything but `ids`


@per_model
def _statements(model: type[SQLModel], name: str) -> _Statements:
    relation: Relation = describe(model).relations[name]
    assert relation.secondary is not None, f"{model.__name__}.{name} is not many-to-many"
    link = relation.secondary
    ((_, parent_column),) = relation.pairs
    ((target_key, target_column),) = relation.target_pairs
    target_table = describe(relation.target).table
    id_column = target_table.c[target_key]
    key = bindparam("key", type_=link.c[parent_column].type)
    ids = bindparam("ids", type_=ARRAY(id_column.type))
    mine = link.c[parent_column] == key
    return _Statements(
        existing=select(id_column.label("id")).where(id_column == any_(ids)),
        link=pg_insert(link)
        .from_select([parent_column, target_column], select(key, func.unnest(ids)))
        .on_conflict_do_nothing(),
        unlink=delete(link).where(mine, link.c[target_column] == any_(ids)),
        unlink_others=delete(link).where(mine, not_(link.c[target_column] == any_(ids))),
    )


async def apply_relation_writes(
    fetch: Fetch, model: type[SQLModel], key: Any, writes: list[RelationWrite]
) -> None:
    """Run `writes` for the row `key` through `fetch` (in the caller's transaction).
    UnknownRelated, before any change, for connected or set ids that name no row."""
    for write in writes:
        statements = _statements(model, write.relation)
        wanted = list(dict.fromkeys([*(write.set or ()), *write.connect]))
        if wanted:
            found = {row["id"] for row in await fetch(statements.existing, {"ids": wanted})}
            missing = [id_ for id_ in wanted if id_ not in found]
            if missing:
                target = describe(model).relations[write.relation].target.__name__
                raise UnknownRelated(write.relation, target, missing)
    for write in writes:
        statements = _statements(model, write.relation)
        if write.set is not None:
            await fetch(statements.unlink_others, {"key": key, "ids": list(write.set)})
            if write.set:
                await fetch(statements.link, {"key": key, "ids": list(write.set)})
        if write.disconnect:
            await fetch(statements.unlink, {"key": key, "ids": list(write.disconnect)})
        if write.connect:
            await fetch(statements.link, {"key": key, "ids": list(write.connect)})
