"""The SQL of a `where` shape (see `where.py`): every value a named bound parameter
typed with its column's type (so an enum binds as its database label whatever its
Python value), relation filters as EXISTS subqueries."""

from __future__ import annotations

import typing
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Text,
    and_,
    bindparam,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.expression import all_, any_
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

from app.core.query.model_info import Relation, ScalarField, describe
from app.core.query.where import Shape


def _compare(field: ScalarField, column: ColumnElement[Any], node: Shape) -> ColumnElement[bool]:
    _, _, op, name, insensitive = node
    type_: TypeEngine[Any] = field.column.type
    if field.is_list:
        if op == "has":
            item = typing.cast(TypeEngine[Any], typing.cast(ARRAY[Any], type_).item_type)
            return bindparam(name, type_=item) == any_(column)
        values = bindparam(name, type_=type_)
        if op == "hasSome":
            return column.op("&&")(values)
        if op == "hasEvery":
            return column.op("@>")(values)
        return column == values  # equals
    if insensitive and op not in ("like", "notLike"):
        column, type_ = func.lower(column), Text()
    if op in ("in", "notIn"):
        values = bindparam(name, type_=ARRAY(type_))
        return column == any_(values) if op == "in" else column != all_(values)
    if op in ("like", "notLike"):
        pattern = bindparam(name, type_=Text())
        matched = (
            column.ilike(pattern, escape="/") if insensitive else column.like(pattern, escape="/")
        )
        return matched if op == "like" else not_(matched)
    value = bindparam(name, type_=type_)
    comparisons = {
        "eq": column == value,
        "ne": column != value,
        "lt": column < value,
        "lte": column <= value,
        "gt": column > value,
        "gte": column >= value,
    }
    return comparisons[op]


def _related(
    relation: Relation, parent: FromClause, condition: Shape | None
) -> ColumnElement[bool]:
    """EXISTS a row of the relation's target joined to `parent` (and matching `condition`)."""
    target = describe(relation.target).table.alias()
    if relation.secondary is None:
        joins = [parent.c[local] == target.c[remote] for local, remote in relation.pairs]
        query = select(1).select_from(target)
    else:
        link = relation.secondary.alias()
        joins = [parent.c[local] == link.c[linked] for local, linked in relation.pairs]
        joins += [target.c[other] == link.c[linked] for other, linked in relation.target_pairs]
        query = select(1).select_from(link.join(target, and_(*joins[len(relation.pairs) :])))
        joins = joins[: len(relation.pairs)]
    if condition is not None:
        joins.append(where_clause(relation.target, condition, target))
    return query.where(*joins).exists()


def where_clause(
    model: type[SQLModel], shape: Shape, from_: FromClause | None = None
) -> ColumnElement[bool]:
    """The condition of `shape` on `from_` (the model's table by default, or an alias of it)."""
    info = describe(model)
    table = info.table if from_ is None else from_
    kind = shape[0]
    if kind in ("and", "or"):
        parts = [where_clause(model, node, table) for node in shape[1]]
        if not parts:
            return true() if kind == "and" else false()
        return and_(*parts) if kind == "and" else or_(*parts)
    if kind == "not":
        return not_(and_(*(where_clause(model, node, table) for node in shape[1])))
    if kind == "rel":
        _, name, quantifier, condition = shape
        relation = info.relations[name]
        if quantifier == "every":
            assert condition is not None
            return not_(_related(relation, table, ("not", (condition,))))
        exists = _related(relation, table, condition)
        # `is: null` is the absence of a related row, `isNot: null` its presence.
        positive = quantifier in ("some", "is") if condition is not None else quantifier == "isNot"
        return exists if positive else not_(exists)
    field = info.scalars[shape[1]]
    column = table.c[field.column.key]
    if kind == "null":
        return column.is_(None) if shape[2] else column.is_not(None)
    if kind == "empty":
        empty = func.coalesce(func.cardinality(column), 0) == 0
        return empty if shape[2] else not_(empty)
    return _compare(field, column, shape)
