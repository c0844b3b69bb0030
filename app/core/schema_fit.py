"""Do the generated models still fit the live database?

The database belongs to Prisma migrations run from another repository, so it can move
on without this service. Called at startup and by the readiness check: it compares the
tables, columns, column types and enum values that app/models.py and app/view_tables.py
use with the database, and lists Prisma migrations applied after the one the models were
generated from. Only what would break this service's queries is a problem; newer
migrations that leave the used columns intact are reported, not failed.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from sqlmodel import SQLModel

from app import models, view_tables

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


class SchemaFit(BaseModel):
    """The outcome, in plain words for logs and the readiness response."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    problems: list[str]
    # Migration the models were generated from, and the newest applied to the database.
    models_migration: str | None
    database_migration: str | None
    newer_migrations: list[str]


async def check_schema_fit(
    bind: AsyncConnection | AsyncEngine,
    *,
    metadatas: Sequence[MetaData] = (SQLModel.metadata, view_tables.metadata),
    models_migration: str | None = models.PRISMA_MIGRATION,
) -> SchemaFit:
    """Compare `metadatas` (the generated models by default) with the database at `bind`."""
    if isinstance(bind, AsyncEngine):
        async with bind.connect() as conn:
            return await conn.run_sync(_check, metadatas, models_migration)
    return await bind.run_sync(_check, metadatas, models_migration)


def _check(
    conn: Connection, metadatas: Sequence[MetaData], models_migration: str | None
) -> SchemaFit:
    inspector = inspect(conn)
    live = {
        name: {c["name"]: c for c in columns}
        for (_, name), columns in inspector.get_multi_columns(kind=ObjectKind.ANY).items()
    }
    problems: list[str] = []
    for metadata in metadatas:
        for table in metadata.sorted_tables:
            problems.extend(_table_problems(table, live.get(table.name)))
    problems.extend(_enum_problems(metadatas, inspector))
    applied = _applied_migrations(conn, inspector)
    newer = [m for m in applied if models_migration is None or m > models_migration]
    return SchemaFit(
        ok=not problems,
        problems=problems,
        models_migration=models_migration,
        database_migration=applied[-1] if applied else None,
        newer_migrations=newer if applied else [],
    )


def _table_problems(table: Table, columns: dict[str, ReflectedColumn] | None) -> list[str]:
    if columns is None:
        return [f'table "{table.name}" is missing from the database']
    problems: list[str] = []
    for column in table.columns:
        found = columns.get(column.name)
        if found is None:
            problems.append(f'column "{table.name}"."{column.name}" is missing from the database')
            continue
        ours, theirs = _type_name(column.type), _type_name(found["type"])
        if ours != theirs:
            problems.append(
                f'column "{table.name}"."{column.name}" is {theirs} in the database, '
                f"the models expect {ours}"
            )
    known = {c.name for c in table.columns}
    for name, found in columns.items():
        if name not in known and not found["nullable"] and found["default"] is None:
            if found.get("autoincrement") or found.get("identity") or found.get("computed"):
                continue
            problems.append(
                f'column "{table.name}"."{name}" is required (NOT NULL, no default) '
                "but unknown to the models: inserts will fail"
            )
    return problems


def _type_name(column_type: TypeEngine[Any]) -> str:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        return column_type.compile(dialect=_DIALECT)
    except CompileError:
        return repr(column_type)


def _enum_problems(metadatas: Sequence[MetaData], inspector: Inspector) -> list[str]:
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
    problems: list[str] = []
    for name, values in sorted(expected.items()):
        labels = live.get(name)
        if labels is None:
            problems.append(f'enum type "{name}" is missing from the database')
            continue
        if unknown := [v for v in labels if v not in values]:
            problems.append(
                f'enum "{name}" has values the models do not know (reading them fails): '
                + ", ".join(unknown)
            )
        if gone := [v for v in values if v not in labels]:
            problems.append(
                f'enum "{name}" no longer has values the models use: ' + ", ".join(gone)
            )
    return problems


def _enum_of(column: Column[Any]) -> Enum | None:
    column_type = column.type
    if isinstance(column_type, ARRAY):
        column_type = column_type.item_type
    return column_type if isinstance(column_type, Enum) else None


def _applied_migrations(conn: Connection, inspector: Inspector) -> list[str]:
    if not inspector.has_table("_prisma_migrations"):
        return []
    rows = conn.execute(
        text(
            'SELECT "migration_name" FROM "_prisma_migrations" '
            'WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL '
            'ORDER BY "migration_name"'
        )
    )
    return [row[0] for row in rows]
