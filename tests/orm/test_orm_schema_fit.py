"""Schema fit: what readiness reports when the database moves away from the models."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app import models
from app.cli.prisma_migrate import deploy
from app.core.dburl import asyncpg_url
from app.core.schema_fit import check_schema_fit
from tests.conftest import EXAMPLE_MIGRATIONS


@pytest.fixture
async def migrated(empty_database: str) -> AsyncIterator[AsyncEngine]:
    """A database of its own with the example migrations, free to be altered."""
    await deploy(empty_database, EXAMPLE_MIGRATIONS)
    engine = create_async_engine(asyncpg_url(empty_database))
    yield engine
    await engine.dispose()


async def alter(engine: AsyncEngine, *statements: str) -> None:
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


async def test_the_models_fit_the_migrated_database(orm_engine: AsyncEngine) -> None:
    async with orm_engine.connect() as conn:
        fit = await check_schema_fit(conn)

    assert fit.ok, fit.problems
    assert fit.models_migration == models.PRISMA_MIGRATION == fit.database_migration
    assert fit.newer_migrations == []


async def test_a_dropped_column_and_a_changed_type_are_reported(migrated: AsyncEngine) -> None:
    await alter(
        migrated,
        'DROP VIEW "PublishedPage"',
        'ALTER TABLE "Page" DROP COLUMN "content"',
        'ALTER TABLE "Page" ALTER COLUMN "viewCount" TYPE INTEGER',
    )

    fit = await check_schema_fit(migrated)

    assert not fit.ok
    assert fit.problems == [
        'column "Page"."content" is missing from the database',
        'column "Page"."viewCount" is INTEGER in the database, the models expect BIGINT',
        'table "PublishedPage" is missing from the database',
    ]


async def test_a_new_required_column_and_enum_value_are_reported(migrated: AsyncEngine) -> None:
    await alter(
        migrated,
        'ALTER TABLE "Tag" ADD COLUMN "color" TEXT NOT NULL',
        """ALTER TYPE "PageStatus" ADD VALUE 'REVIEW'""",
    )

    fit = await check_schema_fit(migrated)

    assert fit.problems == [
        'column "Tag"."color" is required (NOT NULL, no default) but unknown to the models: '
        "inserts will fail",
        'enum "PageStatus" has values the models do not know (reading them fails): REVIEW',
    ]


async def test_migrations_newer_than_the_models_are_listed(migrated: AsyncEngine) -> None:
    await alter(
        migrated,
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at) '
        "VALUES ('x', 'y', '20990101000000_later', now())",
        'ALTER TABLE "Tag" ADD COLUMN "color" TEXT',  # additive: still fits
    )

    fit = await check_schema_fit(migrated)

    assert fit.ok
    assert fit.newer_migrations == ["20990101000000_later"]
    assert fit.database_migration == "20990101000000_later"
