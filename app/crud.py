"""Data access, generic over the generated SQLModel tables.

Every function takes the model class and a session, is keyword-only past those, and
knows nothing of HTTP: it raises `app.core.errors` types (NotFound, Conflict,
InvalidInput, PreconditionFailed, DatabaseUnavailable), never HTTPException. A new
resource needs a schema module and a route module, not new functions here.

Statements that do not depend on arguments are built once per model and reused
with bound parameters, so SQLAlchemy's compiled-statement cache serves them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, ColumnElement, and_, bindparam, func, inspect, text
from sqlalchemy import delete as sql_delete
from sqlalchemy import insert as sql_insert
from sqlalchemy import update as sql_update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import NotFound, Operation, PreconditionFailed, from_db_error

M = TypeVar("M", bound=SQLModel)
T = TypeVar("T")

Key = Any
"""A primary key value, or a tuple of them for a composite key."""


@dataclass(frozen=True)
class Listing(Generic[M]):
    """One page of rows and the number of rows matching the filters."""

    data: Sequence[M]
    count: int


# --- Building blocks ----------------------------------------------------------------


def column(model: type[SQLModel], name: str) -> InstrumentedAttribute[Any]:
    """The mapped column attribute `name`; ValueError for anything else."""
    if name not in inspect(model).column_attrs:
        raise ValueError(f"{model.__name__} has no column attribute {name!r}")
    return getattr(model, name)


def _per_model(build: Callable[[type[SQLModel]], T]) -> Callable[[type[SQLModel]], T]:
    """Memoize `build` per model class (the statements and facts derived from it)."""
    built: dict[type[SQLModel], T] = {}

    def get(model: type[SQLModel]) -> T:
        if model not in built:
            built[model] = build(model)
        return built[model]

    return get


@_per_model
def _key_columns(model: type[SQLModel]) -> tuple[ColumnElement[Any], ...]:
    return tuple(inspect(model).primary_key)


def _key_params(model: type[SQLModel], key: Key) -> dict[str, Any]:
    values = key if isinstance(key, tuple) else (key,)
    return {f"key_{i}": value for i, value in enumerate(values)}


@_per_model
def _key_clause(model: type[SQLModel]) -> ColumnElement[bool]:
    return and_(
        *(col == bindparam(f"key_{i}", type_=col.type) for i, col in enumerate(_key_columns(model)))
    )


@_per_model
def _key_names(model: type[SQLModel]) -> tuple[str, ...]:
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(col).key for col in _key_columns(model))


def _select_by_key(model: type[M]) -> SelectOfScalar[M]:
    return _cached_select_by_key(model)  # pyright: ignore[reportReturnType]


@_per_model
def _cached_select_by_key(model: type[SQLModel]) -> SelectOfScalar[SQLModel]:
    return select(model).where(_key_clause(model))


@_per_model
def _touched_columns(model: type[SQLModel]) -> tuple[Column[Any], ...]:
    """Timestamps set on every update (Prisma's @updatedAt)."""
    touched = []
    for col in model.__table__.columns:  # pyright: ignore[reportAttributeAccessIssue]
        if col.onupdate is not None and col.type.python_type is datetime:
            touched.append(col)
    return tuple(touched)


def _touch(model: type[SQLModel]) -> dict[Any, Any]:
    """New @updatedAt values, strictly later than the stored ones.

    Two updates in the same millisecond would otherwise leave the same timestamp,
    and an ETag derived from it could not tell the versions apart.
    """
    values: dict[Any, Any] = {}
    for col in _touched_columns(model):
        now = col.onupdate.arg(None)  # pyright: ignore[reportOptionalMemberAccess, reportAttributeAccessIssue]
        values[col] = func.greatest(
            bindparam(None, now, type_=col.type), col + text("interval '1 millisecond'")
        )
    return values


@asynccontextmanager
async def _translated(model: type[SQLModel], operation: Operation) -> AsyncIterator[None]:
    try:
        yield
    except DBAPIError as exc:
        error = from_db_error(exc, model, operation)
        if error is None:
            raise
        raise error from exc


# --- Reads --------------------------------------------------------------------------


async def get(session: AsyncSession, model: type[M], key: Key) -> M:
    """The row with this primary key; NotFound when there is none."""
    async with _translated(model, "read"):
        result = await session.exec(_select_by_key(model), params=_key_params(model, key))
        row = result.first()
    if row is None:
        raise NotFound(model.__name__, key)
    return row


def _ordering(model: type[SQLModel], order_by: Sequence[str]) -> list[Any]:
    """`name` ascending, `-name` descending; the primary key breaks ties, same direction."""
    clauses: list[Any] = []
    for item in order_by:
        attr = column(model, item.removeprefix("-"))
        clauses.append(attr.desc() if item.startswith("-") else attr.asc())
    descending = bool(order_by) and order_by[0].startswith("-")
    named = {item.removeprefix("-") for item in order_by}
    for name in _key_names(model):
        if name not in named:
            attr = column(model, name)
            clauses.append(attr.desc() if descending else attr.asc())
    return clauses


async def get_many(
    session: AsyncSession,
    model: type[M],
    *,
    equals: Mapping[str, Any] | None = None,
    contains: Mapping[str, str | None] | None = None,
    order_by: Sequence[str] = (),
    skip: int = 0,
    limit: int = 100,
) -> Listing[M]:
    """Rows matching every filter, ordered, with the total count.

    `equals` compares columns for equality and `contains` matches a case-insensitive
    substring; filters whose value is None are left out.
    """
    conditions: list[ColumnElement[bool]] = [
        column(model, name) == value for name, value in (equals or {}).items() if value is not None
    ]
    conditions += [
        column(model, name).icontains(value, autoescape=True)
        for name, value in (contains or {}).items()
        if value is not None
    ]
    rows = (
        select(model)
        .where(*conditions)
        .order_by(*_ordering(model, order_by))
        .offset(skip)
        .limit(limit)
    )
    count = select(func.count()).select_from(model).where(*conditions)
    async with _translated(model, "read"):
        data = (await session.exec(rows)).all()
        total = (await session.exec(count)).one()
    return Listing(data=data, count=total)


# --- Writes -------------------------------------------------------------------------


def _with_defaults(model: type[SQLModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` and the model's own defaults for the columns they leave out (ids and
    timestamps made by the service, as Prisma's client makes them). A column without
    one is left out, so that the database's default applies."""
    filled = dict(values)
    for attribute in inspect(model).column_attrs:
        name = attribute.key
        field = model.model_fields.get(name)
        if name not in filled and field is not None:
            default = field.get_default(call_default_factory=True)
            if default is not None:
                filled[name] = default
    return filled


async def create(session: AsyncSession, model: type[M], values: Mapping[str, Any]) -> M:
    """Insert a row; model defaults (ids, timestamps) fill what `values` leaves out.

    One `INSERT ... RETURNING`: the row returned is the one stored (a price given as
    `1e5` comes back as the database keeps it, `100000.00`).
    """
    statement = (
        sql_insert(model)
        .values({column(model, name): v for name, v in _with_defaults(model, values).items()})
        .returning(model)
    )
    async with _translated(model, "write"):
        row = (await session.exec(statement)).scalars().one()
        await session.commit()
    return row


def _conditions(model: type[SQLModel], expected: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    return [column(model, name) == value for name, value in expected.items()]


async def _missing_or_changed(
    session: AsyncSession, model: type[SQLModel], key: Key, expected: Mapping[str, Any]
) -> Exception:
    """Why a keyed write touched no row: it does not exist, or it no longer matches."""
    if expected:
        found = await session.exec(_select_by_key(model), params=_key_params(model, key))
        if found.first() is not None:
            return PreconditionFailed(model.__name__, key)
    return NotFound(model.__name__, key)


async def update(
    session: AsyncSession,
    model: type[M],
    key: Key,
    values: Mapping[str, Any],
    *,
    expected: Mapping[str, Any] | None = None,
) -> M:
    """Change the given attributes of one row in one statement; return the new row.

    `expected` holds attribute values the row must still have (optimistic
    concurrency, e.g. the `updatedAt` behind an ETag); PreconditionFailed otherwise.
    """
    expected = expected or {}
    statement = (
        sql_update(model)
        .where(_key_clause(model), *_conditions(model, expected))
        .values({**_touch(model), **{column(model, name): v for name, v in values.items()}})
        .returning(model)
        .execution_options(synchronize_session=False)
    )
    async with _translated(model, "write"):
        result = await session.exec(statement, params=_key_params(model, key))
        row = result.scalars().first()
        if row is None:
            raise await _missing_or_changed(session, model, key, expected)
        await session.commit()
    return row


async def delete(
    session: AsyncSession,
    model: type[SQLModel],
    key: Key,
    *,
    expected: Mapping[str, Any] | None = None,
) -> None:
    """Delete one row; NotFound when absent, PreconditionFailed when `expected` differs."""
    expected = expected or {}
    statement = (
        sql_delete(model)
        .where(_key_clause(model), *_conditions(model, expected))
        .returning(*_key_columns(model))
    )
    async with _translated(model, "delete"):
        result = await session.exec(statement, params=_key_params(model, key))
        if result.first() is None:
            raise await _missing_or_changed(session, model, key, expected)
        await session.commit()
