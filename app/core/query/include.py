"""Prisma's `include`: related rows attached to each row under the relation's name (an
object or null for a to-one relation, a list for a to-many one), nested to any allowed
depth. One statement per included relation and level, whatever the number of rows:
each batches the parents' keys into `= ANY(:keys)`. A to-many include returns at most
`take` rows per parent (QueryLimits.max_take by default), in the target's key order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.expression import ClauseElement, any_
from sqlmodel import SQLModel

from app.core.errors import InvalidQueryPart
from app.core.query.memo import per_model
from app.core.query.model_info import Relation, describe
from app.core.query.operators import strict_bool
from app.core.query.policy import LIMITS, Policies, QueryLimits

Loc = tuple[str | int, ...]
Row = dict[str, Any]
Fetch = Callable[[ClauseElement, Mapping[str, Any]], Awaitable[list[Row]]]
"""Runs one statement with these parameter values; its rows as dicts keyed by label."""

_PARENT = "__parent"  # the parent's key beside a row fetched through a link table
_RANK = "__rank"


@dataclass(frozen=True)
class Included:
    """One included relation: its name, the rows per parent (to-many), its own includes."""

    name: str
    take: int | None
    include: tuple[Included, ...] = ()


def _fail(loc: Loc, message: str, kind: str = "value_error") -> InvalidQueryPart:
    return InvalidQueryPart(message, loc=loc, kind=kind)


@per_model
def includable(model: type[SQLModel], policies: Policies) -> tuple[str, ...]:
    """The relations of `model` that its policy lets clients include."""
    policy = policies(model)
    if policy is None:
        return ()
    return tuple(
        name
        for name, relation in describe(model).relations.items()
        if policy.may_include(name)
        and policies(relation.target) is not None
        and len(relation.pairs) == 1  # joins on one column (every relation Prisma makes on an @id)
    )


def compile_include(
    model: type[SQLModel],
    include: Mapping[str, Any] | None,
    policies: Policies,
    limits: QueryLimits = LIMITS,
    loc: Loc = ("include",),
) -> tuple[Included, ...]:
    """The validated include tree: `{author: true}`, `{author: {include: {profile: true}}}`,
    `{tags: {take: 5}}`. InvalidQueryPart for a non-relation, a relation the policy does
    not include, or a bound exceeded."""
    counter = [0]
    return _tree(model, include or {}, policies, limits, loc, 1, counter)


def _tree(
    model: type[SQLModel],
    include: Any,
    policies: Policies,
    limits: QueryLimits,
    loc: Loc,
    depth: int,
    counter: list[int],
) -> tuple[Included, ...]:
    if include == "":  # an empty object, as some serialisers write one (`include[tags][include]=`)
        include = {}
    if not isinstance(include, Mapping):
        raise _fail(loc, "Expected an object of relations: include[author]=true", "dict_type")
    if depth > limits.max_include_depth:
        raise _fail(loc, f"Includes nest at most {limits.max_include_depth} levels", "too_deep")
    allowed = includable(model, policies)
    found = []
    for name, value in include.items():
        at = (*loc, name)
        if name not in allowed:
            raise _fail(
                at,
                f"{name!r} is not an includable relation of {model.__name__}; use one of: "
                + (", ".join(allowed) or "none"),
                "unknown_field",
            )
        counter[0] += 1
        if counter[0] > limits.max_includes:
            raise _fail(at, f"At most {limits.max_includes} includes in all", "too_many_includes")
        relation = describe(model).relations[name]
        if value == "":  # `include[tags]=`: an empty object, the relation with no options
            value = {}
        if not isinstance(value, Mapping):
            try:
                if not strict_bool(value):
                    continue
            except ValueError:
                raise _fail(at, f"{name} takes true, or include and take") from None
            value = {}
        unknown = set(value) - ({"include", "take"} if relation.to_many else {"include"})
        if unknown:
            raise _fail(
                (*at, sorted(unknown)[0]),
                f"{name} takes {'include and take' if relation.to_many else 'include'}",
                "unknown_field",
            )
        take = _take(value.get("take"), limits, (*at, "take")) if relation.to_many else None
        inner = _tree(
            relation.target,
            value.get("include", {}),
            policies,
            limits,
            (*at, "include"),
            depth + 1,
            counter,
        )
        found.append(Included(name, take, inner))
    return tuple(found)


def _take(value: Any, limits: QueryLimits, loc: Loc) -> int:
    if value is None:
        return limits.max_take
    text = str(value)
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= limits.max_take:
        raise _fail(loc, f"take takes an integer from 1 to {limits.max_take}")
    return int(text)


def _columns(model: type[SQLModel], table: Any) -> list[Any]:
    return [
        table.c[field.column.key].label(name) for name, field in describe(model).scalars.items()
    ]


@per_model
def _statement(model: type[SQLModel], name: str, to_many_bounded: bool) -> Select[*tuple[Any, ...]]:
    """The related rows of the parents whose keys are bound as `keys` (and at most
    `take` per parent)."""
    relation = describe(model).relations[name]
    target = describe(relation.target)
    table = target.table
    columns = _columns(relation.target, table)
    order = [table.c[target.scalars[key].column.key] for key in target.key]
    ((local, remote),) = relation.pairs
    if relation.secondary is None:
        parent_column = table.c[remote]
        query = select(*columns)
    else:
        link = relation.secondary
        parent_column = link.c[remote]
        on = and_(*(table.c[other] == link.c[linked] for other, linked in relation.target_pairs))
        query = select(*columns, parent_column.label(_PARENT)).select_from(link.join(table, on))
    keys = bindparam("keys", type_=ARRAY(describe(model).table.c[local].type))
    query = query.where(parent_column == any_(keys))
    if not to_many_bounded:
        return query.order_by(*order)
    ranked = query.add_columns(
        func.row_number().over(partition_by=parent_column, order_by=order).label(_RANK)
    ).subquery()
    names = [*target.scalars, *([_PARENT] if relation.secondary is not None else [])]
    return (
        select(*(ranked.c[label] for label in names))
        .where(ranked.c[_RANK] <= bindparam("take", type_=Integer))
        .order_by(ranked.c[_RANK])
    )


def _parent_key(relation: Relation, model: type[SQLModel]) -> tuple[str, str]:
    """(parent attribute, child attribute or _PARENT) that a relation joins on."""
    ((local, remote),) = relation.pairs
    parent = describe(model).attribute_of(local)
    if relation.secondary is not None:
        return parent, _PARENT
    return parent, describe(relation.target).attribute_of(remote)


async def load_includes(
    fetch: Fetch, model: type[SQLModel], rows: Sequence[Row], include: Sequence[Included]
) -> Sequence[Row]:
    """Attach the included relations to `rows` (dicts keyed by attribute names), in
    place; returns `rows`. One `fetch` per included relation and level, none for a
    level without parents."""
    for included in include:
        relation = describe(model).relations[included.name]
        parent_attr, child_attr = _parent_key(relation, model)
        keys = list(dict.fromkeys(row[parent_attr] for row in rows if row[parent_attr] is not None))
        children: list[Row] = []
        if keys:
            params: dict[str, Any] = {"keys": keys}
            if included.take is not None:
                params["take"] = included.take
            statement = _statement(model, included.name, included.take is not None)
            children = await fetch(statement, params)
        if relation.to_many:
            grouped: dict[Any, list[Row]] = {}
            for child in children:
                owner = child.pop(_PARENT) if relation.secondary is not None else child[child_attr]
                grouped.setdefault(owner, []).append(child)
            for row in rows:
                row[included.name] = grouped.get(row[parent_attr], [])
        else:
            by_key = {child[child_attr]: child for child in children}
            for row in rows:
                row[included.name] = by_key.get(row[parent_attr])
        if included.include and children:
            await load_includes(fetch, relation.target, children, included.include)
    return rows
