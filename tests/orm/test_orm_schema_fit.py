"""Schema fit: what readiness reports when the database moves away from the models."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app import models
from app.cli.prisma_migrate import deploy
from app.core.dburl import asyncpg_url
from app.core.schema_fit import check_schema_fit
from app.expected_schema import EXPECTED_SCHEMA
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
        fit = await check_schema_fit(conn, EXPECTED_SCHEMA)

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

    fit = await check_schema_fit(migrated, EXPECTED_SCHEMA)

    assert not fit.ok
    assert fit.problems == [
        'column "Page"."content" is missing from the database',
        'column "Page"."viewCount" is INTEGER in the database, the models expect BIGINT',
        'table "PublishedPage" is missing from the database',
    ]


async def test_a_new_required_column_is_a_problem_and_a_new_enum_value_a_warning(
    migrated: AsyncEngine,
) -> None:
    await alter(
        migrated,
        'ALTER TABLE "Tag" ADD COLUMN "color" TEXT NOT NULL',
        """ALTER TYPE "PageStatus" ADD VALUE 'REVIEW'""",
    )

    fit = await check_schema_fit(migrated, EXPECTED_SCHEMA)

    assert fit.problems == [
        'column "Tag"."color" is required (NOT NULL, no default) but unknown to the models: '
        "inserts will fail",
    ]
    assert fit.warnings == [
        'enum "PageStatus" has a value the models do not know: REVIEW (answered as stored) '
        "(not by a recorded Prisma migration)"
    ]
    assert fit.unknown_enum_values == [("PageStatus", "REVIEW")]


def _with_migration(folder: Path, name: str, sql: str) -> Path:
    """The example migrations and one more, as a migrations folder of its own."""
    for migration in EXAMPLE_MIGRATIONS.iterdir():
        (folder / migration.name).symlink_to(migration)
    (folder / name).mkdir()
    (folder / name / "migration.sql").write_text(sql)
    return folder


async def test_additive_changes_are_warnings_naming_the_migration_that_brought_them(
    migrated: AsyncEngine, empty_database: str, tmp_path: Path
) -> None:
    additive = """
        ALTER TYPE "PageStatus" ADD VALUE 'SCHEDULED';
        ALTER TABLE "Page" ADD COLUMN "summary" TEXT;
        ALTER TABLE "Page" ADD COLUMN "rank" INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE "Page" ALTER COLUMN "content" TYPE VARCHAR(5000);
        ALTER TABLE "Tag" ALTER COLUMN "id" TYPE BIGINT;
        CREATE TABLE "Comment" ("id" TEXT PRIMARY KEY, "body" TEXT NOT NULL);
    """
    folder = _with_migration(tmp_path, "20990101000000_additive", additive)
    await deploy(empty_database, folder)
    await alter(migrated, 'ALTER TABLE "User" ADD COLUMN "nickname" TEXT')  # by hand

    fit = await check_schema_fit(migrated, EXPECTED_SCHEMA)

    assert fit.ok, fit.problems
    brought = " (migration 20990101000000_additive)"
    assert sorted(fit.warnings) == sorted(
        [
            'column "Page"."content" is VARCHAR(5000) in the database, the models expect TEXT; '
            "every value survives" + brought,
            'column "Page"."summary" is new to the models' + brought,
            'column "Page"."rank" is new to the models' + brought,
            'column "Tag"."id" is BIGINT in the database, the models expect INTEGER; '
            "every value survives" + brought,
            'column "User"."nickname" is new to the models (not by a recorded Prisma migration)',
            'table "Comment" is new to the models' + brought,
            'enum "PageStatus" has a value the models do not know: SCHEDULED '
            "(answered as stored)" + brought,
        ]
    )


async def test_a_narrower_integer_or_text_turned_number_is_a_problem(
    migrated: AsyncEngine,
) -> None:
    await alter(
        migrated,
        'DROP VIEW "PublishedPage"',
        'ALTER TABLE "Page" ALTER COLUMN "viewCount" TYPE INTEGER',
        'ALTER TABLE "Page" ALTER COLUMN "keywords" TYPE TEXT USING \'\'',
    )

    fit = await check_schema_fit(migrated, EXPECTED_SCHEMA)

    assert 'column "Page"."viewCount" is INTEGER in the database, the models expect BIGINT' in (
        fit.problems
    )
    assert 'column "Page"."keywords" is TEXT in the database, the models expect TEXT[]' in (
        fit.problems
    )


async def test_migrations_newer_than_the_models_are_listed(migrated: AsyncEngine) -> None:
    await alter(
        migrated,
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at) '
        "VALUES ('x', 'y', '20990101000000_later', now())",
        'ALTER TABLE "Tag" ADD COLUMN "color" TEXT',  # additive: still fits
    )

    fit = await check_schema_fit(migrated, EXPECTED_SCHEMA)

    assert fit.ok
    assert fit.newer_migrations == ["20990101000000_later"]
    assert fit.database_migration == "20990101000000_later"
