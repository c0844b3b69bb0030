"""Prisma's `orderBy` (several keys, `asc`/`desc`, `{sort, nulls: first|last}`), always
ended by the primary key, and keyset paging under any such order: the cursor holds the
last row's sort values, NULLs included, and `after_clause` selects the rows after it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, bindparam, false, or_, tuple_
from sqlalchemy import Enum as SQLEnum
from sqlmodel import SQLModel

from app.core import cursors
from app.core.errors import InvalidQueryPart
from app.core.query.model_info import describe
from app.core.query.policy import LIMITS, Policies, QueryLimits

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class OrderKey:
    name: str  # attribute name
    descending: bool
    nulls_first: bool  # where NULLs sort (PostgreSQL's default: first when descending)
    nullable: bool
    explicit_nulls: bool  # `nulls` was given: ORDER BY says it


@dataclass(frozen=True)
class Order:
    keys: tuple[OrderKey, ...]  # the primary key last

    @property
    def signature(self) -> tuple[str, ...]:
        """What a cursor is made for: `title:asc:last`..."""
        return tuple(
            f"{k.name}:{'desc' if k.descending else 'asc'}:{'first' if k.nulls_first else 'last'}"
            for k in self.keys
        )


@dataclass(frozen=True)
class After:
    """Where a keyset page starts: which sort values are NULL (part of the statement's
    shape) and the others' parameter values (`a0`, `a1`...)."""

    null_bounds: tuple[bool, ...]
    params: dict[str, Any]


def _fail(loc: Loc, message: str, kind: str = "value_error") -> InvalidQueryPart:
    return InvalidQueryPart(message, loc=loc, kind=kind)


def compile_order(
    model: type[SQLModel],
    order_by: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
    policies: Policies,
    limits: QueryLimits = LIMITS,
    loc: Loc = ("orderBy",),
) -> Order:
    """The keys of a Prisma `orderBy` (an object, its keys in order, or a list of
    objects), then the primary key in the first key's direction."""
    info = describe(model)
    policy = policies(model)
    items: list[tuple[Loc, str, Any]] = []
    if isinstance(order_by, Mapping):
        items = [((*loc, name), name, value) for name, value in order_by.items()]
    elif isinstance(order_by, Sequence) and not isinstance(order_by, str):
        for i, entry in enumerate(order_by):
            if not isinstance(entry, Mapping):
                raise _fail(
                    (*loc, i), "Expected an object: orderBy[0][createdAt]=desc", "dict_type"
                )
            items += [((*loc, i, name), name, value) for name, value in entry.items()]
    elif order_by is not None:
        raise _fail(loc, "Expected an object: orderBy[createdAt]=desc", "dict_type")
    if len(items) > limits.max_order_keys:
        raise _fail(loc, f"At most {limits.max_order_keys} orderBy keys", "too_many_keys")
    sortable = [
        name
        for name, field in info.scalars.items()
        if field.sortable and policy is not None and policy.may_sort(name)
    ]
    keys: list[OrderKey] = []
    for at, name, value in items:
        if name not in sortable:
            raise _fail(
                at,
                f"{name!r} is not a sortable field of {model.__name__}; use one of: "
                + ", ".join(sortable),
                "unknown_field",
            )
        if any(key.name == name for key in keys):
            raise _fail(at, f"{name} is ordered by twice")
        keys.append(_key(name, value, info.scalars[name].nullable, at))
    descending = bool(keys) and keys[0].descending
    for name in info.key:
        if all(key.name != name for key in keys):
            keys.append(OrderKey(name, descending, descending, False, False))
    return Order(tuple(keys))


def _key(name: str, value: Any, nullable: bool, loc: Loc) -> OrderKey:
    nulls = None
    if isinstance(value, Mapping):
        unknown = set(value) - {"sort", "nulls"}
        if unknown:
            raise _fail(loc, f"{name} takes sort and nulls, not {', '.join(sorted(unknown))}")
        nulls = value.get("nulls")
        if nulls not in (None, "first", "last"):
            raise _fail((*loc, "nulls"), "nulls takes first or last")
        loc, value = (*loc, "sort"), value.get("sort")
    if value not in ("asc", "desc"):
        raise _fail(loc, f"{name} takes asc or desc (or sort and nulls)")
    descending = value == "desc"
    nulls_first = descending if nulls is None else nulls == "first"
    return OrderKey(name, descending, nulls_first, nullable, nulls is not None and nullable)


def order_clauses(
    model: type[SQLModel], order: Order, from_: FromClause | None = None
) -> list[Any]:
    table = describe(model).table if from_ is None else from_
    clauses = []
    for key in order.keys:
        column = table.c[describe(model).scalars[key.name].column.key]
        clause = column.desc() if key.descending else column.asc()
        if key.explicit_nulls:
            clause = clause.nulls_first() if key.nulls_first else clause.nulls_last()
        clauses.append(clause)
    return clauses


def _cursor_types(model: type[SQLModel], order: Order) -> list[type]:
    types: list[type] = []
    for key in order.keys:
        field = describe(model).scalars[key.name]
        # Enum values travel as their database labels, as rows hold them.
        types.append(str if field.kind in ("enum", "uuid") else field.column.type.python_type)
    return types


def cursor_for(order: Order, row: Mapping[str, Any]) -> str:
    """The cursor of the page after `row` (keyed by attribute names)."""
    return cursors.encode(order.signature, [row[key.name] for key in order.keys])


def decode_cursor(
    model: type[SQLModel], order: Order, cursor: str, loc: Loc = ("cursor",)
) -> After:
    try:
        values = cursors.decode(
            cursor,
            order.signature,
            _cursor_types(model, order),
            [key.nullable for key in order.keys],
        )
    except ValueError as exc:
        raise _fail(
            loc, f"Invalid cursor ({exc}); use the nextCursor of a list with the same orderBy"
        ) from None
    for key, value in zip(order.keys, values, strict=True):
        column_type = describe(model).scalars[key.name].column.type
        if (
            isinstance(column_type, SQLEnum)
            and value is not None
            and value not in column_type.enums
        ):
            raise _fail(loc, "Invalid cursor (not a value of its enum)")
    return After(
        tuple(value is None for value in values),
        {f"a{i}": value for i, value in enumerate(values) if value is not None},
    )


def after_clause(
    model: type[SQLModel],
    order: Order,
    null_bounds: tuple[bool, ...],
    from_: FromClause | None = None,
) -> ColumnElement[bool]:
    """Rows strictly after the one whose sort values are bound as `a0`, `a1`... (those
    flagged in `null_bounds` are NULL and not bound), in `order`."""
    info = describe(model)
    table = info.table if from_ is None else from_
    columns = [table.c[info.scalars[key.name].column.key] for key in order.keys]
    bounds = [bindparam(f"a{i}", type_=col.type) for i, col in enumerate(columns)]
    directions = {key.descending for key in order.keys}
    if len(directions) == 1 and not any(key.nullable for key in order.keys):
        # One row comparison, which a B-tree index answers.
        if directions == {True}:
            return tuple_(*columns) < tuple_(*bounds)
        return tuple_(*columns) > tuple_(*bounds)
    alternatives = []
    ties: list[ColumnElement[bool]] = []
    for key, column, bound, is_null in zip(order.keys, columns, bounds, null_bounds, strict=True):
        strictly = column < bound if key.descending else column > bound
        if not key.nullable:
            ahead: ColumnElement[bool] | None = strictly
        elif is_null:  # after a NULL come the values, if NULLs sort first
            ahead = column.is_not(None) if key.nulls_first else None
        else:  # after a value come greater values, then the NULLs if they sort last
            ahead = strictly if key.nulls_first else or_(strictly, column.is_(None))
        if ahead is not None:
            alternatives.append(and_(*ties, ahead))
        ties.append(column.is_(None) if is_null else column == bound)
    return or_(*alternatives) if alternatives else false()
