"""Data access, generic over the mapped classes (generated SQLModel tables, mapped views).

Every function takes the Database (or a Transaction) and the model class, is
keyword-only past those, and knows nothing of HTTP: it raises `app.core.errors` types
(NotFound, Conflict, InvalidInput, PreconditionFailed, DatabaseUnavailable), never
HTTPException. Rows come back as dicts keyed by the model's attribute names, with the
values the model holds (enum members by Prisma's name, UUIDs as text).

Each call is one statement (a second only to count an empty page, or to tell a
missing row from a changed one after a write that matched none), atomic on its own,
on a pooled connection held only while it runs. Several calls given one `transaction`
share it instead (domain logic that must change several rows at once). SQLAlchemy
builds each statement from the table's columns once per shape (model, columns named,
order), every value a bound parameter, and compiles it once; asyncpg runs it.
SQLAlchemy's session, execution and result layers cost more CPU than the query itself.
"""

from __future__ import annotations

import hashlib
import json
import typing
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, ParamSpec, TypeVar

import asyncpg
from pydantic_core import PydanticUndefined
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Delete,
    Enum,
    Insert,
    Integer,
    Select,
    Table,
    Time,
    Update,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    inspect,
    literal,
    select,
    table,
    text,
)
from sqlalchemy import column as sql_column
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import CIDR, INET, REGCLASS
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.types import NullType, TypeDecorator, TypeEngine
from sqlalchemy.util import greenlet_spawn

from app.core import query
from app.core.db import Database
from app.core.errors import (
    DATABASE_ERRORS,
    STALE_CACHE_ERRORS,
    DatabaseUnavailable,
    NotFound,
    Operation,
    PreconditionFailed,
    from_db_error,
    is_stale_cache,
    is_unavailable,
    unavailable_detail,
)
from app.core.schema_drift import note_unknown_enum_value
from app.prisma_defaults import now

P = ParamSpec("P")
T = TypeVar("T")

Model = type[Any]
"""A mapped class: a generated SQLModel table, or a view mapped onto its Table."""

Key = Any
"""A primary key value, or a tuple of them for a composite key."""

Record = dict[str, Any]
"""A row, keyed by the model's attribute names (`page["updatedAt"]`, `page["metadata_"]`)."""


# --- Building blocks ----------------------------------------------------------------


SHAPES_KEPT = 256
"""What `_per_shape` keeps per function. Shapes include combinations of column names
that clients choose (the fields of a partial update): bounded, so that no sequence of
requests grows memory without end."""


def _per_shape(build: Callable[P, T]) -> Callable[P, T]:
    """Memoize `build` per shape: its arguments (a model, names of columns; never
    values), keeping the SHAPES_KEPT most recently used. For the statements and facts
    derived from a model."""
    built: dict[tuple[Any, ...], T] = {}

    def get(*args: P.args, **kwargs: P.kwargs) -> T:
        shape = (*args, *kwargs.items())
        found = built.pop(shape, None)
        if found is None:
            found = build(*args, **kwargs)
            if len(built) >= SHAPES_KEPT:
                del built[next(iter(built))]  # the least recently used
        built[shape] = found  # (re)inserted last: dicts keep insertion order
        return found

    return get


@_per_shape
def _columns(model: Model) -> dict[str, Column[Any]]:
    """Attribute name -> table column (`metadata_` -> the column `metadata`)."""
    table_ = _table(model)
    return {
        attribute.key: table_.c[attribute.columns[0].key]
        for attribute in inspect(model).column_attrs
    }


def column(model: Model, name: str) -> Column[Any]:
    """The table column of the attribute `name`; ValueError for anything else."""
    try:
        return _columns(model)[name]
    except KeyError:
        raise ValueError(f"{model.__name__} has no column attribute {name!r}") from None


def _table(model: Model) -> Table:
    return typing.cast(Table, inspect(model).local_table)


def _item_reader(type_: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    """How a value of this type, as asyncpg returns it, becomes what the model holds."""
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    if isinstance(type_, Enum) and type_.enum_class is not None:
        # Database label (`admin`) -> the member's value (Prisma's name, `ADMIN`).
        members = dict(zip(type_.enums, (member.value for member in type_.enum_class), strict=True))
        type_name = type_.name or type_.enum_class.__name__

        def enum_member(label: Any) -> Any:
            found = members.get(label)
            if found is None:
                note_unknown_enum_value(type_name, label)
                return label  # passed through as stored: see the read schema
            return found

        return enum_member
    if isinstance(type_, Uuid | INET | CIDR) or type(type_) is NullType:
        return str
    if isinstance(type_, Date) and not isinstance(type_, DateTime):
        return lambda value: datetime.combine(value, time())
    if isinstance(type_, Time):
        return lambda value: datetime.combine(date(1970, 1, 1), value)
    return None


def _reader(type_: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    if isinstance(type_, ARRAY):
        read_item = _item_reader(type_.item_type)
        if read_item is None:
            return None
        return lambda values: [None if item is None else read_item(item) for item in values]
    return _item_reader(type_)


@_per_shape
def _readers(model: Model) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """The columns whose values need converting after the driver, with the conversion."""
    return tuple(
        (name, read)
        for name, col in _columns(model).items()
        for read in [_reader(col.type)]
        if read is not None
    )


def _converted(model: Model, rows: list[Record]) -> list[Record]:
    readers = _readers(model)
    if readers:
        for row in rows:
            for name, read in readers:
                value = row.get(name)
                if value is not None:
                    row[name] = read(value)
    return rows


@_per_shape
def _key_columns(model: Model) -> tuple[ColumnElement[Any], ...]:
    return tuple(inspect(model).primary_key)


def _key_params(model: Model, key: Key) -> dict[str, Any]:
    values = key if isinstance(key, tuple) else (key,)
    return {f"key_{i}": value for i, value in enumerate(values)}


@_per_shape
def _key_clause(model: Model) -> ColumnElement[bool]:
    return and_(
        *(col == bindparam(f"key_{i}", type_=col.type) for i, col in enumerate(_key_columns(model)))
    )


@_per_shape
def _key_names(model: Model) -> tuple[str, ...]:
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(col).key for col in _key_columns(model))


@_per_shape
def _select_by_key(model: Model) -> Select[*tuple[Any, ...]]:
    return select(*_row_columns(model)).where(_key_clause(model))


@_per_shape
def _touched_columns(model: Model) -> tuple[Column[Any], ...]:
    """Timestamps set on every update (Prisma's @updatedAt)."""
    touched = []
    for col in _table(model).columns:
        if col.onupdate is not None and col.type.python_type is datetime:
            touched.append(col)
    return tuple(touched)


@dataclass(frozen=True)
class Link:
    """The driver connection a call's statements run on, and how to drop it for good
    (lost, timed out or interrupted mid-statement: it must never be handed out again)."""

    driver: asyncpg.Connection
    discard: Callable[[BaseException], Awaitable[None]]


@asynccontextmanager
async def _checked_out(database: Database) -> AsyncIterator[Link]:
    """A connection from the pool as it is, back in the pool afterwards: SQLAlchemy's
    Connection around it would cost more CPU than a statement."""
    try:
        pooled = await database.engine.raw_connection()
    except database.engine.dialect.loaded_dbapi.Error as exc:
        # A connection that could not be opened: the dialect's wrapper of the driver's
        # error, which is what CRUD translates (SQLAlchemy's Connection would wrap it too).
        raise (exc.__cause__ or exc) from None

    async def discard(exc: BaseException) -> None:
        await greenlet_spawn(pooled.invalidate, exc if isinstance(exc, Exception) else None)

    try:
        yield Link(typing.cast("asyncpg.Connection", pooled.driver_connection), discard)
    finally:
        await greenlet_spawn(pooled.close)  # back to the pool (or closed, if discarded)


@asynccontextmanager
async def _connected(database: Database, model: Model, operation: Operation) -> AsyncIterator[Link]:
    """A pooled connection for one call (see the module docstring), with database errors
    translated into the service's."""
    try:
        async with _checked_out(database) as link:
            yield link
    except DATABASE_ERRORS as exc:
        error = from_db_error(exc, model, operation)
        if error is None:
            raise
        raise error from exc


@dataclass(frozen=True)
class _Parameter:
    name: str
    value: Any  # the statement's own value (a literal), or None for a parameter to give
    required: bool
    convert: Callable[[Any], Any] | None  # SQLAlchemy's conversion for the driver


@dataclass(frozen=True)
class _Compiled:
    """A statement compiled once for the driver: its SQL and its parameters in order."""

    sql: str
    parameters: tuple[_Parameter, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for parameter in self.parameters:
            value = params[parameter.name] if parameter.required else parameter.value
            values.append(value if parameter.convert is None else parameter.convert(value))
        return values


# Held as long as the statement is (per model, or per shape until evicted).
_compiled_statements: weakref.WeakKeyDictionary[ClauseElement, _Compiled] = (
    weakref.WeakKeyDictionary()
)


def _compiled(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    """The statement compiled for the driver, once per statement object."""
    found = _compiled_statements.get(statement)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
        parameters = tuple(
            _Parameter(
                name=name,
                value=bind.effective_value,
                required=bind.required,
                convert=bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in compiled.positiontup
            for bind in [compiled.binds[name]]
        )
        found = _compiled_statements[statement] = _Compiled(compiled.string, parameters)
    return found


async def _run(
    database: Database,
    link: Link,
    statement: ClauseElement,
    params: Mapping[str, Any],
) -> list[Record]:
    """Run a statement on the driver itself, on the connection checked out from
    SQLAlchemy's pool; the rows it returns.

    SQLAlchemy's execution and result layers cost more CPU than the query; it still
    builds and compiles the statement (once) and owns the pool, and its conversions of
    the values apply. Values come back as asyncpg gives them (JSON decoded, enums as
    their database labels; `_converted` makes them what the model holds). A statement
    refused because a cache on the connection went stale is retried once. Raises
    asyncpg's errors, which `_connected` translates.
    """
    compiled = _compiled(statement, database.engine.dialect)
    driver = link.driver
    arguments = compiled.arguments(params)

    async def fetch() -> list[asyncpg.Record]:
        if database.pgbouncer:
            # Prepared statements must not cross transactions there.
            async with driver.transaction():
                return await driver.fetch(compiled.sql, *arguments)
        return await driver.fetch(compiled.sql, *arguments)

    try:
        try:
            records = await fetch()
        except STALE_CACHE_ERRORS as exc:
            # A migration changed what a statement or type cached on this connection
            # assumed (a column's type, an enum recreated, a table recreated); asyncpg
            # retries only some of these, and only outside a transaction. Once more on a
            # fresh plan and fresh type data, unless it is a write that ran and only its
            # rows could not be read (outside a transaction, which would have rolled it
            # back): it must not run twice.
            if not is_stale_cache(exc) or (
                isinstance(exc, asyncpg.OutdatedSchemaCacheError)
                and statement.is_dml
                and not database.pgbouncer
            ):
                raise
            await driver.reload_schema_state()
            records = await fetch()
    except BaseException as exc:
        if not isinstance(exc, asyncpg.PostgresError) or driver.is_closed():
            await link.discard(exc)
        raise
    return [dict(record) for record in records]


@dataclass(frozen=True)
class Transaction:
    """CRUD calls given this instead of the Database share one transaction."""

    database: Database  # its statements run inside the transaction, unwrapped
    link: Link


Db = Database | Transaction


@asynccontextmanager
async def transaction(database: Database) -> AsyncIterator[Transaction]:
    """One transaction for several CRUD calls: they all take effect, or none does.

    Calls outside a transaction stay one statement each, with no BEGIN/COMMIT round trips.
    """
    try:
        async with _checked_out(database) as link, link.driver.transaction():
            yield Transaction(replace(database, pgbouncer=False), link)
    except DATABASE_ERRORS as exc:  # at BEGIN or COMMIT; statements translate their own
        if is_unavailable(exc):
            raise DatabaseUnavailable(unavailable_detail(exc)) from exc
        raise


@asynccontextmanager
async def _within(db: Db) -> AsyncIterator[Transaction]:
    """`db` itself when it is a transaction, else a new one."""
    if isinstance(db, Transaction):
        yield db
    else:
        async with transaction(db) as tx:
            yield tx


@asynccontextmanager
async def _session(
    db: Db, model: Model, operation: Operation
) -> AsyncIterator[tuple[Database, Link]]:
    """Where a call runs its statements: the transaction's connection, or one of its own."""
    if not isinstance(db, Transaction):
        async with _connected(db, model, operation) as link:
            yield db, link
        return
    try:
        yield db.database, db.link
    except DATABASE_ERRORS as exc:
        raise from_db_error(exc, model, operation) or exc from exc


# --- Reads --------------------------------------------------------------------------


async def get(db: Db, model: Model, key: Key, *, include: Sequence[query.Included] = ()) -> Record:
    """The row with this primary key, with the `include`d relations; NotFound when
    there is none."""
    async with _session(db, model, "read") as (database, link):
        rows = await _run(database, link, _select_by_key(model), _key_params(model, key))
        if not rows:
            raise NotFound(model.__name__, key)
        row = _converted(model, rows)[0]
        await _include(database, link, model, [row], include)
    return row


CountMode = Literal["exact", "estimated", "none"]

ESTIMATE_EXACT_BELOW = 10_000
"""`estimated` counts exactly when the estimate is below this: counting that few rows
costs PostgreSQL about a millisecond, and small counts are where estimates are worst."""

_PG_CLASS = table("pg_class", sql_column("oid"), sql_column("reltuples"))


@dataclass(frozen=True)
class Listing:
    """One page of rows (with the model's attribute names), the number of rows matching
    the filters (None when not asked for), and the cursor of the next page (None on
    the last)."""

    data: Sequence[Record]
    count: int | None
    next_cursor: str | None


@_per_shape
def _row_columns(model: Model) -> tuple[ColumnElement[Any], ...]:
    """Every mapped column, labelled with its attribute name (`metadata_`)."""
    return tuple(col.label(name) for name, col in _columns(model).items())


@_per_shape
def _table_estimate(model: Model) -> ColumnElement[int]:
    """The planner's row count of the whole table (-1 before its first ANALYZE)."""
    table_ = _table(model)
    name = ".".join(f'"{part}"' for part in (table_.schema, table_.name) if part)
    return (
        select(cast(_PG_CLASS.c.reltuples, BigInteger))
        .where(_PG_CLASS.c.oid == cast(literal(name), REGCLASS))
        .scalar_subquery()
    )


class _Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <statement>`, for the planner's estimate of a filtered count."""

    inherit_cache = False  # compiled once per statement by `_compiled`, not SQLAlchemy

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


@dataclass(frozen=True)
class _ListStatements:
    """The statements of one shape of list (model, filters, order, cursor or not, count
    mode), every value a bound parameter: built and compiled once, then reused."""

    page: Select[Any]  # with the count as a `total` column, unless the count is none
    total: Select[Any] | None  # the count alone, for an empty page
    estimate: _Explain | None  # the planner's estimate of the filtered count


@_per_shape
def _list_statements(
    model: Model,
    where: query.Shape | None,
    order: query.Order,
    null_bounds: tuple[bool, ...] | None,
    count: CountMode,
) -> _ListStatements:
    """`where` None: every row; `null_bounds` None: from the first row (else after the
    cursor's row)."""
    filters = [] if where is None else [query.where_clause(model, where)]
    conditions = list(filters)
    if null_bounds is not None:
        conditions.append(query.after_clause(model, order, null_bounds))
    page = (
        select(*_row_columns(model))
        .where(*conditions)
        .order_by(*query.order_clauses(model, order))
        .offset(bindparam("skip", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    estimate = None
    if count == "estimated" and filters:
        estimate = _Explain(select(literal(1)).select_from(model).where(*filters))
    total = _total(model, filters, count)
    if total is None:
        return _ListStatements(page=page, total=None, estimate=estimate)
    return _ListStatements(
        page=page.add_columns(total.label("total")), total=select(total), estimate=estimate
    )


def _total(
    model: Model, filters: Sequence[ColumnElement[bool]], count: CountMode
) -> ColumnElement[Any] | None:
    """The count to select beside the page: exact, the table's estimate, or none (also
    for a filtered estimate, which the EXPLAIN gives)."""
    if count == "none" or (count == "estimated" and filters):
        return None
    exact = select(func.count()).select_from(model).where(*filters).scalar_subquery()
    if count == "exact":
        return exact
    estimate = _table_estimate(model)
    return case((estimate < ESTIMATE_EXACT_BELOW, exact), else_=estimate)


def default_order(model: Model) -> query.Order:
    """By primary key: the order of a list that asks for none."""
    return query.compile_order(model, None, query.expose_all)


async def get_many(
    db: Db,
    model: Model,
    *,
    where: query.Where | None = None,
    order: query.Order | None = None,
    after: query.After | None = None,
    include: Sequence[query.Included] = (),
    skip: int = 0,
    limit: int = 100,
    count: CountMode = "exact",
) -> Listing:
    """Rows matching `where`, in `order` (the primary key last), from `skip` rows in or
    after the cursor's row (`after`), with the `include`d relations attached.

    `count`: `exact`, `none`, or `estimated` (the planner's: `pg_class.reltuples`
    without filters, the plan's row estimate with them; exact below
    ESTIMATE_EXACT_BELOW). The page and an exact or table-wide count are one statement
    (two for an empty page); a filtered estimate adds an EXPLAIN; each included
    relation one more, whatever the number of rows.
    """
    order = order or default_order(model)
    shape_where = None if where is None or where.empty else where.shape
    # One row more than asked: whether there is a next page at all.
    params: dict[str, Any] = {"skip": skip, "limit": limit + 1}
    if shape_where is not None and where is not None:
        params |= where.params
    if after is not None:
        params |= after.params
    shape = (model, shape_where, order, None if after is None else after.null_bounds)
    statements = _list_statements(*shape, count)
    async with _session(db, model, "read") as (database, link):
        matching = None
        if statements.estimate is not None:
            plan = (await _run(database, link, statements.estimate, params))[0]
            plan = plan["QUERY PLAN"]
            matching = int(
                (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
            )
            if matching < ESTIMATE_EXACT_BELOW:  # small estimates are counted exactly
                statements = _list_statements(*shape, "exact")
        rows = await _run(database, link, statements.page, params)
        if statements.total is not None:
            if rows:
                matching = int(rows[0].pop("total"))
                for row in rows[1:]:
                    del row["total"]
            else:  # the count column rides on the rows: none on an empty page
                totals = await _run(database, link, statements.total, params)
                matching = int(next(iter(totals[0].values())))
        data = _converted(model, rows[:limit])
        await _include(database, link, model, data, include)
    next_cursor = None
    if len(rows) > limit:
        next_cursor = query.cursor_for(order, data[-1])
    if matching is not None:  # an estimate may lag behind rows just seen
        matching = max(matching, skip + len(data))
    return Listing(data=data, count=matching, next_cursor=next_cursor)


async def _include(
    database: Database,
    link: Link,
    model: Model,
    rows: list[Record],
    include: Sequence[query.Included],
) -> None:
    """Attach the included relations to `rows`, one statement per relation and level,
    their rows converted like the model's own."""
    if not include or not rows:
        return

    async def fetch(statement: ClauseElement, params: Mapping[str, Any]) -> list[Record]:
        return await _run(database, link, statement, params)

    await query.load_includes(fetch, model, rows, include)
    _convert_included(model, rows, include)


def _convert_included(model: Model, rows: list[Record], include: Sequence[query.Included]) -> None:
    for included in include:
        target = query.describe(model).relations[included.name].target
        # Rows that share a relative (pages of one author) share its record: converted
        # twice, a label would be read as a value the models do not know.
        children: dict[int, Record] = {}
        for row in rows:
            value = row.get(included.name)
            for child in value if isinstance(value, list) else [value]:
                if child is not None:
                    children[id(child)] = child
        relatives = _converted(target, list(children.values()))
        _convert_included(target, relatives, included.include)


# --- Writes -------------------------------------------------------------------------


@_per_shape
def _defaults(model: Model) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """Each column attribute's model default, as a function that makes a value (ids and
    timestamps made by the service, as Prisma's client makes them). Worked out once:
    pydantic's `get_default` inspects the factory's signature on every call."""
    made: list[tuple[str, Callable[[], Any]]] = []
    fields = getattr(model, "model_fields", {})  # none on a mapped view
    for attribute in inspect(model).column_attrs:
        field = fields.get(attribute.key)
        if field is None:
            continue
        if field.default_factory is not None:
            if not field.default_factory_takes_validated_data:
                made.append(
                    (attribute.key, typing.cast("Callable[[], Any]", field.default_factory))
                )
        elif field.default is not None and field.default is not PydanticUndefined:
            made.append((attribute.key, field.get_default))  # a copy of a mutable default
    return tuple(made)


def _with_defaults(model: Model, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` and the model's own defaults for the columns they leave out. A column
    without one is left out, so that the database's default applies."""
    filled = dict(values)
    instant = now()  # one instant per row: `createdAt` equals `updatedAt`, as with Prisma
    for name, make in _defaults(model):
        if name not in filled:
            filled[name] = instant if make is now else make()
    return filled


def _row_values(model: Model, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` keyed by table column, as Core statements on the table take them."""
    return {column(model, name).key: value for name, value in values.items()}


@_per_shape
def _insert(model: Model, keys: tuple[str, ...]) -> Insert:
    """INSERT of the columns `keys` (table column keys), each bound by its key."""
    table_ = _table(model)
    values = {key: bindparam(key, type_=table_.c[key].type) for key in keys}
    return insert(table_).values(values).returning(*_row_columns(model))


async def create(db: Db, model: Model, values: Mapping[str, Any]) -> Record:
    """Insert a row; model defaults (ids, timestamps) fill what `values` leaves out.

    One `INSERT ... RETURNING`: the row returned, with the model's attribute names, is
    the one stored (a price given as `1e5` comes back as the database keeps it,
    `100000.00`).
    """
    values, writes = query.split_relation_writes(model, values)
    if writes:  # the row and its links, in one transaction
        async with _within(db) as tx:
            row = await create(tx, model, values)
            await _write_relations(tx, model, row, writes)
            return row
    params = _row_values(model, _with_defaults(model, values))
    async with _session(db, model, "write") as (database, link):
        rows = await _run(database, link, _insert(model, tuple(params)), params)
    return _converted(model, rows)[0]


async def _write_relations(
    tx: Transaction, model: Model, row: Record, writes: list[query.RelationWrite]
) -> None:
    """Connect, disconnect or set the implicit many-to-many links of `row`."""
    (key,) = (row[name] for name in _key_names(model))  # Prisma's m2m needs a single @id
    async with _session(tx, model, "write") as (database, link):

        async def fetch(statement: ClauseElement, params: Mapping[str, Any]) -> list[Record]:
            return await _run(database, link, statement, params)

        await query.apply_relation_writes(fetch, model, key, writes)


def _expected_clause(model: Model, expected: Sequence[str]) -> list[ColumnElement[bool]]:
    """The row still has the values bound as `expected_<name>`."""
    conditions = []
    for name in expected:
        col = column(model, name)
        conditions.append(col == bindparam(f"expected_{name}", type_=col.type))
    return conditions


def _prefixed(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{prefix}_{name}": value for name, value in values.items()}


@_per_shape
def _update(model: Model, names: tuple[str, ...], expected: tuple[str, ...]) -> Update:
    """UPDATE of the attributes `names` (bound as `set_<name>`) and the @updatedAt
    columns (see `_touch`), of the row with this key that still has the `expected`
    values."""
    values: dict[Any, Any] = {
        col: func.greatest(
            bindparam(f"touch_{col.key}", type_=col.type), col + text("interval '1 millisecond'")
        )
        for col in _touched_columns(model)
    }
    for name in names:
        col = column(model, name)
        values[col] = bindparam(f"set_{name}", type_=col.type)
    return (
        sql_update(_table(model))
        .where(_key_clause(model), *_expected_clause(model, expected))
        .values(values)
        .returning(*_row_columns(model))
    )


def _touch(model: Model) -> dict[str, Any]:
    """New @updatedAt values, strictly later than the stored ones (the statement takes
    the later of this and the stored value plus a millisecond).

    Two updates in the same millisecond would otherwise leave the same timestamp,
    and an ETag derived from it could not tell the versions apart.
    """
    return {
        f"touch_{col.key}": col.onupdate.arg(None)  # pyright: ignore[reportOptionalMemberAccess, reportAttributeAccessIssue]
        for col in _touched_columns(model)
    }


@_per_shape
def _delete(model: Model, expected: tuple[str, ...]) -> Delete:
    return (
        sql_delete(_table(model))
        .where(_key_clause(model), *_expected_clause(model, expected))
        .returning(*_key_columns(model))
    )


_EPOCH = datetime(1970, 1, 1)
_MILLISECOND = timedelta(milliseconds=1)
_NO_VERSION = datetime(1, 1, 1)  # equal to no stored timestamp


@_per_shape
def _version_attribute(model: Model) -> str | None:
    """The @updatedAt attribute, whose value names a version of the row."""
    touched = _touched_columns(model)
    if not touched:
        return None
    return next(name for name, col in _columns(model).items() if col is touched[0])


def version(model: Model, row: Record) -> str:
    """What names this version of the row, for ETags: its @updatedAt in milliseconds since
    1970 (every update moves it forward, see `_touch`), or, for a model without one, a
    digest of all its values."""
    name = _version_attribute(model)
    if name is not None:
        return str((row[name] - _EPOCH) // _MILLISECOND)
    values = [row[name] for name in _columns(model)]
    encoded = json.dumps(values, default=str, separators=(",", ":")).encode()
    return hashlib.blake2b(encoded, digest_size=10).hexdigest()


def _timestamp(version_: str) -> datetime:
    """The @updatedAt a version names (one that matches nothing if it is not one)."""
    if not version_.isdigit() or len(version_) > 15:
        return _NO_VERSION
    return _EPOCH + int(version_) * _MILLISECOND


def _expected(attribute: str | None, if_version: str | None) -> dict[str, datetime]:
    """The @updatedAt value a conditional write expects (none for an unconditional one)."""
    if attribute is None or if_version is None:
        return {}
    return {attribute: _timestamp(if_version)}


@_per_shape
def _select_for_update(model: Model) -> Select[*tuple[Any, ...]]:
    return _select_by_key(model).with_for_update()


async def _locked(tx: Transaction, model: Model, key: Key, if_version: str) -> None:
    """Lock the row for the rest of the transaction if it is at `if_version`."""
    async with _session(tx, model, "read") as (database, link):
        rows = await _run(database, link, _select_for_update(model), _key_params(model, key))
    if not rows:
        raise NotFound(model.__name__, key)
    if version(model, _converted(model, rows)[0]) != if_version:
        raise PreconditionFailed(model.__name__, key)


async def _missing_or_changed(
    database: Database,
    link: Link,
    model: Model,
    key: Key,
    expected: Mapping[str, Any],
) -> Exception:
    """Why a keyed write touched no row: it does not exist, or it no longer matches."""
    if expected and await _run(database, link, _select_by_key(model), _key_params(model, key)):
        return PreconditionFailed(model.__name__, key)
    return NotFound(model.__name__, key)


@_per_shape
def _select_expected(model: Model, expected: tuple[str, ...]) -> Select[*tuple[Any, ...]]:
    return _select_by_key(model).where(*_expected_clause(model, expected))


async def update(
    db: Db,
    model: Model,
    key: Key,
    values: Mapping[str, Any],
    *,
    if_version: str | None = None,
) -> Record:
    """Change the given attributes of one row; return the new row.

    `if_version` (optimistic concurrency, from an ETag): the row must still be at this
    `version`, else PreconditionFailed. With an @updatedAt column that is one
    statement; without one, the row is locked and compared first, in a transaction.
    Nothing to change (and no @updatedAt) answers the row as it is.
    """
    values, writes = query.split_relation_writes(model, values)
    if writes:  # the row and its links, in one transaction
        async with _within(db) as tx:
            row = await update(tx, model, key, values, if_version=if_version)
            await _write_relations(tx, model, row, writes)
            return row
    attribute = _version_attribute(model)
    if if_version is not None and attribute is None:
        async with _within(db) as tx:
            await _locked(tx, model, key, if_version)
            return await update(tx, model, key, values)
    expected = _expected(attribute, if_version)
    if not values and not _touched_columns(model):
        statement: ClauseElement = _select_expected(model, tuple(expected))
        params = {**_key_params(model, key), **_prefixed("expected", expected)}
    else:
        statement = _update(model, tuple(values), tuple(expected))
        params = {
            **_key_params(model, key),
            **_touch(model),
            **_prefixed("set", values),
            **_prefixed("expected", expected),
        }
    async with _session(db, model, "write") as (database, link):
        rows = await _run(database, link, statement, params)
        if not rows:
            raise await _missing_or_changed(database, link, model, key, expected)
    return _converted(model, rows)[0]


async def delete(db: Db, model: Model, key: Key, *, if_version: str | None = None) -> None:
    """Delete one row; NotFound when absent, PreconditionFailed when it is no longer at
    `if_version` (see `update`)."""
    attribute = _version_attribute(model)
    if if_version is not None and attribute is None:
        async with _within(db) as tx:
            await _locked(tx, model, key, if_version)
            return await delete(tx, model, key)
    expected = _expected(attribute, if_version)
    params = {**_key_params(model, key), **_prefixed("expected", expected)}
    async with _session(db, model, "delete") as (database, link):
        if not await _run(database, link, _delete(model, tuple(expected)), params):
            raise await _missing_or_changed(database, link, model, key, expected)
