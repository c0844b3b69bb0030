"""A database schema that moved on under the CRUD layer: what callers get and what is logged.

On a database of its own (the example migrations, then changed here as a migration
would), never the session's shared one.
"""

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from loguru import logger

from app import crud
from app.cli.prisma_migrate import deploy
from app.core import query, schema_drift
from app.core.db import Database, create_database
from app.core.dburl import libpq_url, parse
from app.core.errors import SchemaMismatch
from app.models import Page, PageStatus, User
from scripts.throwaway_pg import database_on
from tests.conftest import EXAMPLE_MIGRATIONS
from tests.core.conftest import make_settings

DRAFTS = query.compile_where(Page, {"status": "DRAFT"}, query.expose_all)


@pytest.fixture
def drifting_url(database_url: str) -> Iterator[str]:
    server = parse(database_url).set(database="postgres").render_as_string(hide_password=False)
    with database_on(server, "drift") as url:
        yield url


@pytest.fixture
async def drifting(drifting_url: str) -> AsyncIterator[Database]:
    await deploy(drifting_url, EXAMPLE_MIGRATIONS)
    database = create_database(make_settings(drifting_url, DB_POOL_SIZE=1))
    assert database is not None
    yield database
    await database.dispose()


@pytest.fixture
def logged() -> Iterator[list[tuple[str, str]]]:
    """(level, message) of every line logged during the test, starting a fresh episode."""
    schema_drift.note_check([], [])
    lines: list[tuple[str, str]] = []
    sink = logger.add(lambda m: lines.append((m.record["level"].name, m.record["message"])))
    yield lines
    logger.remove(sink)
    schema_drift.note_check([], [])


async def migrate(url: str, sql: str) -> None:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_a_renamed_column_is_a_schema_mismatch_logged_once(
    drifting: Database, drifting_url: str, logged: list[tuple[str, str]]
) -> None:
    author = await crud.create(drifting, User, {"email": "a@example.com"})
    await migrate(drifting_url, 'ALTER TABLE "Page" RENAME COLUMN "content" TO "body"')

    for _ in range(3):
        with pytest.raises(SchemaMismatch):
            await crud.get_many(drifting, Page)
        with pytest.raises(SchemaMismatch):
            await crud.create(drifting, Page, {"title": "t", "slug": "s", "authorId": author["id"]})
    with pytest.raises(SchemaMismatch) as raised:
        await crud.get(drifting, Page, "any")

    assert raised.value.status_code == 503
    assert raised.value.headers() == {"Retry-After": "5"}
    assert (
        raised.value.detail == "The database schema no longer fits this deployment; retry shortly"
    )
    errors = [message for level, message in logged if level == "ERROR"]
    assert len(errors) == len(set(errors)) >= 1  # once per distinct statement error
    assert all("content" in message for message in errors), errors


async def test_an_insert_missing_a_new_required_column_is_a_schema_mismatch(
    drifting: Database, drifting_url: str, logged: list[tuple[str, str]]
) -> None:
    author = await crud.create(drifting, User, {"email": "r@example.com"})
    await migrate(drifting_url, 'ALTER TABLE "Page" ADD COLUMN "rank" INTEGER NOT NULL')

    with pytest.raises(SchemaMismatch):
        await crud.create(drifting, Page, {"title": "t", "slug": "s", "authorId": author["id"]})

    assert [level for level, _ in logged] == ["ERROR"]
    assert "rank" in logged[0][1]


async def test_a_write_of_an_enum_value_the_database_dropped_is_a_schema_mismatch(
    drifting: Database, drifting_url: str, logged: list[tuple[str, str]]
) -> None:
    author = await crud.create(drifting, User, {"email": "b@example.com"})
    await migrate(  # how Prisma removes an enum value
        drifting_url,
        """
        ALTER TYPE "PageStatus" RENAME TO "PageStatus_old";
        CREATE TYPE "PageStatus" AS ENUM ('DRAFT', 'PUBLISHED');
        ALTER TABLE "Page" ALTER COLUMN "status" DROP DEFAULT;
        ALTER TABLE "Page" ALTER COLUMN "status" TYPE "PageStatus"
            USING ("status"::text::"PageStatus");
        ALTER TABLE "Page" ALTER COLUMN "status" SET DEFAULT 'DRAFT';
        DROP TYPE "PageStatus_old";
        """,
    )
    values = {"title": "t", "slug": "archived", "authorId": author["id"]}

    with pytest.raises(SchemaMismatch):
        await crud.create(drifting, Page, {**values, "status": PageStatus.ARCHIVED})
    created = await crud.create(drifting, Page, {**values, "status": PageStatus.DRAFT})

    assert created["status"] == "DRAFT"
    assert [level for level, _ in logged] == ["ERROR"]


async def test_statements_prepared_before_an_enum_is_recreated_are_prepared_again(
    drifting: Database, drifting_url: str
) -> None:
    author = await crud.create(drifting, User, {"email": "c@example.com"})
    page = {"title": "t", "slug": "draft", "authorId": author["id"]}
    await crud.create(drifting, Page, page)
    await crud.get_many(drifting, Page, where=DRAFTS)  # prepared, cached
    await migrate(
        drifting_url,
        """
        ALTER TYPE "PageStatus" RENAME TO "PageStatus_old";
        CREATE TYPE "PageStatus" AS ENUM ('DRAFT', 'PUBLISHED', 'ARCHIVED');
        ALTER TABLE "Page" ALTER COLUMN "status" DROP DEFAULT;
        ALTER TABLE "Page" ALTER COLUMN "status" TYPE "PageStatus"
            USING ("status"::text::"PageStatus");
        DROP TYPE "PageStatus_old";
        """,
    )

    # The same pooled connection (the pool holds one) and the same cached statement.
    listed = await crud.get_many(drifting, Page, where=DRAFTS)

    assert [row["slug"] for row in listed.data] == ["draft"]


def test_an_unknown_enum_value_is_a_warning_logged_once_per_value(
    logged: list[tuple[str, str]],
) -> None:
    for _ in range(3):
        schema_drift.note_unknown_enum_value("PageStatus", "SCHEDULED")
        schema_drift.note_unknown_enum_value("PageStatus", "REVIEW")

    assert [level for level, _ in logged] == ["WARNING", "WARNING"]
    assert "SCHEDULED" in logged[0][1] and "REVIEW" in logged[1][1]


def test_a_problem_is_logged_again_only_after_the_schema_fitted_again(
    logged: list[tuple[str, str]],
) -> None:
    schema_drift.note_mismatch('column "Page"."content" is missing from the database')
    schema_drift.note_check(['column "Page"."content" is missing from the database'], [])
    schema_drift.note_mismatch('column "Page"."content" is missing from the database')
    schema_drift.note_check([], [])  # rolled back
    schema_drift.note_mismatch('column "Page"."content" is missing from the database')

    assert [level for level, _ in logged] == ["ERROR", "INFO", "ERROR"]
