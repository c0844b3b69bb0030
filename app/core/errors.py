"""The service's own errors, and their translation from database errors.

CRUD code raises these; `app.main` turns each into FastAPI's `{"detail": ...}` shape
with its status code. Database errors are mapped by SQLSTATE and, for constraint
violations, by constraint name to the API field (Prisma names constraints
`<Table>_<column>_key` / `_fkey`), so a client mistake is never a 500. They come
wrapped by SQLAlchemy (DBAPIError) or, from the statements CRUD runs on the driver, as
asyncpg's own.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, cast

import asyncpg
from sqlalchemy import Table, inspect
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from app.core import schema_drift

RETRY_AFTER_SECONDS = 5

Operation = Literal["read", "write", "delete"]


class ServiceError(Exception):
    """An error with a status code and a message meant for the client."""

    status_code: ClassVar[int] = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}

    def headers(self) -> dict[str, str] | None:
        return None


class NotFound(ServiceError):
    status_code = 404

    def __init__(self, model: str, key: object) -> None:
        super().__init__(f"{model} {key} not found")


class Conflict(ServiceError):
    """A unique value is taken, or a row is still referenced."""

    status_code = 409

    def __init__(self, detail: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.fields = fields


class PreconditionFailed(ServiceError):
    status_code = 412

    def __init__(self, model: str, key: object) -> None:
        super().__init__(
            f"{model} {key} has changed since it was read (If-Match does not match its ETag)"
        )


class InvalidInput(ServiceError):
    """A value the database refused; reported like FastAPI's own validation errors."""

    status_code = 422

    def __init__(self, detail: str, *, field: str | None = None, kind: str) -> None:
        super().__init__(detail)
        self.field = field
        self.kind = kind

    def body(self) -> dict[str, Any]:
        loc = ["body", self.field] if self.field else ["body"]
        return {"detail": [{"type": self.kind, "loc": loc, "msg": self.detail}]}


class InvalidQuery(InvalidInput):
    """A query parameter the route's own validation cannot judge (a stale cursor)."""

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail, field=field, kind="value_error")

    def body(self) -> dict[str, Any]:
        return {"detail": [{"type": self.kind, "loc": ["query", self.field], "msg": self.detail}]}


class InvalidQueryPart(InvalidInput):
    """A part of a structured query parameter (`where[title][contains]`) that is not
    valid; `loc` is its path below `query`, `("where", "title", "contains")`."""

    def __init__(self, detail: str, *, loc: tuple[str | int, ...], kind: str = "value_error"):
        super().__init__(detail, field=str(loc[0]), kind=kind)
        self.loc = loc

    def body(self) -> dict[str, Any]:
        return {"detail": [{"type": self.kind, "loc": ["query", *self.loc], "msg": self.detail}]}


class UnknownRelated(InvalidInput):
    """A relation write (`connect`, `set`) names rows that do not exist."""

    def __init__(self, field: str, target: str, missing: list[Any]) -> None:
        names = ", ".join(str(key) for key in missing)
        super().__init__(f"No {target} with id {names}", field=field, kind="reference")
        self.missing = missing


class InvalidReference(InvalidInput):
    """A foreign key names a row that does not exist."""

    def __init__(self, field: str | None, target: str) -> None:
        where = f"{field} " if field else ""
        super().__init__(
            f"{where}does not name an existing {target}", field=field, kind="reference"
        )


class Unauthorized(ServiceError):
    status_code = 401

    def __init__(self, detail: str, *, token_given: bool) -> None:
        super().__init__(detail)
        self.token_given = token_given

    def headers(self) -> dict[str, str]:
        # RFC 6750: no error code when no credentials were sent at all.
        if not self.token_given:
            return {"WWW-Authenticate": "Bearer"}
        reason = self.detail.replace('"', "'")
        return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'}


class DatabaseUnavailable(ServiceError):
    status_code = 503

    def __init__(self, detail: str = "The database is unavailable; retry shortly") -> None:
        super().__init__(detail)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


class SchemaMismatch(DatabaseUnavailable):
    """The database refused a statement because its schema moved on (a column, table or
    type gone or changed by a migration): not the client's fault, and gone again when
    the migration is rolled back or a deployment that fits is rolled out."""

    def __init__(self) -> None:
        super().__init__("The database schema no longer fits this deployment; retry shortly")


# What PostgreSQL answers when a statement names what a migration dropped, renamed or
# retyped: undefined column, table, object (a type) or function (an operator for the old
# type), a datatype mismatch, a type that cannot be coerced, and a cached plan whose
# result type changed (feature not supported) even after a fresh plan.
_SCHEMA_MISMATCH_STATES = ("42703", "42P01", "42704", "42883", "42804", "42846", "0A000")


STALE_CACHE_ERRORS = (
    asyncpg.InvalidCachedStatementError,
    asyncpg.OutdatedSchemaCacheError,
    asyncpg.InternalServerError,
)
"""What a statement prepared, or type data read, before a migration may raise; see
`is_stale_cache`."""


def is_stale_cache(exc: BaseException) -> bool:
    """Whether a statement failed only because what its connection cached went stale:
    a plan whose result type changed, type data that no longer matches the rows, or a
    prepared statement whose parameter's type was dropped (an enum recreated: "cache
    lookup failed for type", SQLSTATE XX000)."""
    if isinstance(exc, asyncpg.InvalidCachedStatementError | asyncpg.OutdatedSchemaCacheError):
        return True
    return isinstance(exc, asyncpg.InternalServerError) and str(exc).startswith(
        "cache lookup failed for type"
    )


def _is_schema_mismatch(exc: BaseException) -> bool:
    state = sqlstate(exc)
    if state in _SCHEMA_MISMATCH_STATES:
        return True
    driver_error = _driver_error(exc)
    if driver_error is not None and is_stale_cache(driver_error):  # even on a fresh plan
        return True
    # A value the models write that the database enum no longer has.
    return state == "22P02" and (_driver_attr(exc, "message") or "").startswith(
        "invalid input value for enum"
    )


def schema_mismatch(exc: BaseException, where: str) -> SchemaMismatch | None:
    """The client's error when the database refused a statement because its schema moved
    on, noting the database's words once for the operators (they name the column or
    type, never a value); None for any other error. `where`: the model or statement."""
    if not _is_schema_mismatch(exc):
        return None
    message = _driver_attr(exc, "message") or type(_driver_error(exc)).__name__
    if sqlstate(exc) == "22P02":
        message = message.partition(":")[0]  # the enum, without the value
    schema_drift.note_mismatch(f"{where}: {message}")
    return SchemaMismatch()


# SQLSTATE classes that mean "not now" rather than "not this": connection exceptions,
# insufficient resources, operator intervention (incl. statement timeout 57014).
_UNAVAILABLE_CLASSES = ("08", "53", "57")
_RETRYABLE_STATES = ("40001", "40P01")  # serialization failure, deadlock


# What asyncpg raises when it has no connection to speak on (or lost it mid-statement).
_CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.InternalClientError)

DATABASE_ERRORS = (DBAPIError, asyncpg.PostgresError, asyncpg.InterfaceError, *_CONNECTION_ERRORS)
"""What a database call raises: SQLAlchemy's wrapper, or, from a statement CRUD runs
on the driver, asyncpg's own errors."""


def _driver_error(exc: BaseException) -> BaseException | None:
    if isinstance(exc, DBAPIError):
        try:
            return exc.driver_exception
        except ValueError:
            return None
    return exc


def sqlstate(exc: BaseException) -> str | None:
    if isinstance(exc, DBAPIError):
        return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return getattr(exc, "sqlstate", None)


def is_unavailable(exc: BaseException) -> bool:
    """Whether the database, not the request, is at fault, so a retry may succeed."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    state = sqlstate(exc)
    if state is not None:
        return state[:2] in _UNAVAILABLE_CLASSES or state in _RETRYABLE_STATES
    # No server answer at all: the driver lost or could not open the connection.
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(cause, _CONNECTION_ERRORS):
        return True
    return (
        isinstance(exc, DBAPIError | asyncpg.InterfaceError) and "connection" in str(cause).lower()
    )


def unavailable_detail(exc: BaseException) -> str:
    if sqlstate(exc) == "57014" or isinstance(exc, TimeoutError):
        return "The database did not answer in time; retry shortly"
    return DatabaseUnavailable().detail


def _driver_attr(exc: BaseException, name: str) -> str | None:
    value = getattr(_driver_error(exc), name, None)
    return value if isinstance(value, str) else None


def _field_names(model: type[SQLModel], columns: list[str]) -> tuple[str, ...]:
    by_column = {
        column.name: attr.key for attr in inspect(model).column_attrs for column in attr.columns
    }
    return tuple(by_column.get(column, column) for column in columns)


def _constraint_columns(table: Table, constraint: str) -> list[str]:
    for item in [*table.constraints, *table.indexes]:
        if item.name == constraint:
            return [column.name for column in item.columns]
    # Prisma's naming: <Table>_<col>[_<col>...]_key | _fkey | _pkey
    stem = constraint.removeprefix(f"{table.name}_")
    for suffix in ("_key", "_fkey", "_pkey"):
        if stem != constraint and stem.endswith(suffix):
            candidate = stem.removesuffix(suffix)
            return [candidate] if candidate in table.columns else []
    return []


def from_db_error(
    exc: BaseException, model: type[SQLModel], operation: Operation = "write"
) -> ServiceError | None:
    """The client-facing error for a database error, or None when it is a server fault."""
    if mismatch := schema_mismatch(exc, model.__name__):
        return mismatch
    if is_unavailable(exc):
        return DatabaseUnavailable(unavailable_detail(exc))
    state = sqlstate(exc) or ""
    name = model.__name__
    table = cast(Table, inspect(model).local_table)
    constraint = _driver_attr(exc, "constraint_name") or ""
    columns = _constraint_columns(table, constraint)
    fields = _field_names(model, columns)
    field = ", ".join(fields) or None
    if state == "23505":
        what = f" with this {' and '.join(fields)}" if fields else " with these values"
        return Conflict(f"{name}{what} already exists", fields)
    if state == "23001" or (state == "23503" and operation == "delete"):
        referrer = _driver_attr(exc, "table_name") or "another table"
        return Conflict(f"{name} is still referenced by {referrer} ({constraint})")
    if state == "23503":
        return InvalidReference(field, _referred_table(table, columns))
    if state == "23502":
        column = _driver_attr(exc, "column_name")
        if column and column not in table.columns:
            # A required column a migration added without a default: not the client's
            # to fill, since the models do not know it.
            schema_drift.note_mismatch(f"{name}: column {column!r} is required but unknown")
            return SchemaMismatch()
        field = _field_names(model, [column])[0] if column else None
        return InvalidInput("may not be null", field=field, kind="not_null")
    if state.startswith("22") or state in ("23514", "54000"):
        message = _driver_attr(exc, "message") or "invalid value"
        return InvalidInput(f"The database refused a value: {message}", field=field, kind="value")
    return None


def _referred_table(table: Table, columns: list[str]) -> str:
    for column in columns:
        for foreign_key in table.columns[column].foreign_keys:
            return foreign_key.column.table.name
    return "row"


class UnsupportedMediaType(ServiceError):
    status_code = 415

    def __init__(self) -> None:
        super().__init__("Send the body as JSON (Content-Type: application/json)")
