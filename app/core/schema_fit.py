"""Do the generated models still fit the live database?

The database belongs to Prisma migrations run from another repository, so it can move
on without this service. Called at startup and by the readiness check: it compares the
tables, columns, column types and enum values that app/models.py and app/view_tables.py
use with the database, and lists Prisma migrations applied after the one the models were
generated from.

Only what breaks this service's statements is a problem: a table, column or enum value
the models use gone, a type changed beyond what every value survives, a new required
column that inserts would leave empty. What an additive migration brings is a warning,
naming the migration that brought it: new tables, views and columns (nullable or with a
default), enum values the models do not know (answered as stored), and type changes
that every value read or written survives (TEXT and VARCHAR(n) either way, a wider
integer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Enum, MetaData, Table, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.base import PGInspector
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import ARRAY, TypeDecorator, TypeEngine

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


class SchemaFit(BaseModel):
    """The outcome, in plain words for logs and the readiness response."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    problems: list[str]
    warnings: list[str]
    # (enum, value) of each database enum value the models do not know.
    unknown_enum_values: list[tuple[str, str]]
    # Migration the models were generated from, and the newest applied to the database.
    models_migration: str | None
    database_migration: str | None
    newer_migrations: list[str]


@dataclass(frozen=True)
class ExpectedSchema:
    """What the models expect: their tables and views, and the Prisma migration they were
    generated from (`app.expected_schema` has the generated models')."""

    metadatas: tuple[MetaData, ...]
    migration: str | None


async def check_schema_fit(
    bind: AsyncConnection | AsyncEngine, expected: ExpectedSchema
) -> SchemaFit:
    """Compare what `expected` describes with the database at `bind`."""
    if isinstance(bind, AsyncEngine):
        async with bind.connect() as conn:
            return await conn.run_sync(_check, expected.metadatas, expected.migration)
    return await bind.run_sync(_check, expected.metadatas, expected.migration)


class _Findings:
    """Problems and warnings, each warning with the migration that brought the change."""

    def __init__(self, conn: Connection, applied: list[tuple[str, int]]) -> None:
        self.conn = conn
        self.applied = applied  # (migration, age of its row's xid), oldest first
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def warn(self, warning: str, catalog_age: str, **params: str) -> None:
        """`catalog_age` selects the age of the transaction that wrote the catalog row
        of the change (the column, the table's type, the enum value)."""
        self.warnings.append(warning + self._origin(catalog_age, params))

    def _origin(self, catalog_age: str, params: dict[str, str]) -> str:
        # `prisma migrate deploy` records a migration as finished in a transaction of its
        # own right after the migration's: the first migration finished at or after the
        # change is the one that brought it.
        if not self.applied:
            return ""
        changed = self.conn.execute(text(catalog_age), params).scalar()
        if changed is None:
            return ""
        later = [(age, name) for name, age in self.applied if age <= changed]
        if not later:
            return " (not by a recorded Prisma migration)"
        return f" (migration {max(later)[1]})"


_COLUMN_AGE = (
    "SELECT age(a.xmin) FROM pg_attribute a "
    "WHERE a.attrelid = to_regclass(:relation) AND a.attname = :column"
)
_TABLE_AGE = "SELECT age(t.xmin) FROM pg_type t WHERE t.typrelid = to_regclass(:relation)"
_ENUM_VALUE_AGE = (
    "SELECT min(age(e.xmin)) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
    "WHERE t.typname = :enum AND e.enumlabel = :value"
)


def _relation(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check(
    conn: Connection, metadatas: Sequence[MetaData], models_migration: str | None
) -> SchemaFit:
    inspector = inspect(conn)
    live = {
        name: {c["name"]: c for c in columns}
        for (_, name), columns in inspector.get_multi_columns(kind=ObjectKind.ANY).items()
    }
    applied = _applied_migrations(conn, inspector)
    found = _Findings(conn, applied)
    known: set[str] = set()
    for metadata in metadatas:
        for table in metadata.sorted_tables:
            known.add(table.name)
            _table_fit(table, live.get(table.name), found)
    for name in sorted(live.keys() - known - {"_prisma_migrations"}):
        found.warn(f'table "{name}" is new to the models', _TABLE_AGE, relation=_relation(name))
    unknown_values = _enum_fit(metadatas, inspector, found)
    names = [name for name, _ in applied]
    newer = [m for m in names if models_migration is None or m > models_migration]
    return SchemaFit(
        ok=not found.problems,
        problems=found.problems,
        warnings=found.warnings,
        unknown_enum_values=unknown_values,
        models_migration=models_migration,
        database_migration=names[-1] if names else None,
        newer_migrations=newer,
    )


def _table_fit(table: Table, columns: dict[str, ReflectedColumn] | None, found: _Findings) -> None:
    if columns is None:
        found.problems.append(f'table "{table.name}" is missing from the database')
        return
    where = {"relation": _relation(table.name)}
    for column in table.columns:
        live = columns.get(column.name)
        if live is None:
            found.problems.append(
                f'column "{table.name}"."{column.name}" is missing from the database'
            )
            continue
        ours, theirs = _type_name(column.type), _type_name(live["type"])
        if ours == theirs:
            continue
        change = (
            f'column "{table.name}"."{column.name}" is {theirs} in the database, '
            f"the models expect {ours}"
        )
        if _survives(ours, theirs):
            found.warn(change + "; every value survives", _COLUMN_AGE, column=column.name, **where)
        else:
            found.problems.append(change)
    known = {c.name for c in table.columns}
    for name, live in columns.items():
        if name in known:
            continue
        optional = live["nullable"] or live["default"] is not None
        if optional or live.get("autoincrement") or live.get("identity") or live.get("computed"):
            found.warn(
                f'column "{table.name}"."{name}" is new to the models',
                _COLUMN_AGE,
                column=name,
                **where,
            )
        else:
            found.problems.append(
                f'column "{table.name}"."{name}" is required (NOT NULL, no default) '
                "but unknown to the models: inserts will fail"
            )


_TEXT_TYPE = re.compile(r"TEXT|VARCHAR(\(\d+\))?")
_INTEGER_WIDTHS = {"SMALLINT": 2, "INTEGER": 4, "BIGINT": 8}


def _survives(ours: str, theirs: str) -> bool:
    """Whether every value the models read or write survives the database's type: text
    of any declared length (a value too long for a write is refused with a 422), or a
    wider integer."""
    ours_item, theirs_item = ours.removesuffix("[]"), theirs.removesuffix("[]")
    if (ours_item == ours) != (theirs_item == theirs):  # an array and a scalar
        return False
    if _TEXT_TYPE.fullmatch(ours_item) and _TEXT_TYPE.fullmatch(theirs_item):
        return True
    ours_width = _INTEGER_WIDTHS.get(ours_item)
    theirs_width = _INTEGER_WIDTHS.get(theirs_item)
    return ours_width is not None and theirs_width is not None and theirs_width >= ours_width


def _type_name(column_type: TypeEngine[Any]) -> str:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        return column_type.compile(dialect=_DIALECT)
    except CompileError:
        return repr(column_type)


def _enum_fit(
    metadatas: Sequence[MetaData], inspector: Inspector, found: _Findings
) -> list[tuple[str, str]]:
    """Problems for enum types or values gone, warnings for values the models do not know
    (returned as (enum, value))."""
    if not isinstance(inspector, PGInspector):
        return []
    live = {e["name"]: list(e["labels"]) for e in inspector.get_enums()}
    expected: dict[str, list[str]] = {}
    for metadata in metadatas:
        for table in metadata.tables.values():
            for column in table.columns:
                enum_type = _enum_of(column)
                if enum_type is not None and enum_type.name:
                    expected[enum_type.name] = list(enum_type.enums)
    unknown_values: list[tuple[str, str]] = []
    for name, values in sorted(expected.items()):
        labels = live.get(name)
        if labels is None:
            found.problems.append(f'enum type "{name}" is missing from the database')
            continue
        for label in labels:
            if label not in values:
                unknown_values.append((name, label))
                found.warn(
                    f'enum "{name}" has a value the models do not know: {label} '
                    "(answered as stored)",
                    _ENUM_VALUE_AGE,
                    enum=name,
                    value=label,
                )
        if gone := [v for v in values if v not in labels]:
            found.problems.append(
                f'enum "{name}" no longer has values the models use: ' + ", ".join(gone)
            )
    return unknown_values


def _enum_of(column: Column[Any]) -> Enum | None:
    column_type = column.type
    if isinstance(column_type, ARRAY):
        column_type = column_type.item_type
    return column_type if isinstance(column_type, Enum) else None


def _applied_migrations(conn: Connection, inspector: Inspector) -> list[tuple[str, int]]:
    """Each applied migration, oldest first, with the age of the transaction that
    recorded it as finished."""
    if not inspector.has_table("_prisma_migrations"):
        return []
    rows = conn.execute(
        text(
            'SELECT "migration_name", age(xmin) FROM "_prisma_migrations" '
            'WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL '
            'ORDER BY "migration_name"'
        )
    )
    return [(row[0], row[1]) for row in rows]
