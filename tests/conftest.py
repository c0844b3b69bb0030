"""Shared fixtures: one throwaway PostgreSQL per test session, migrated like production.

With TEST_DATABASE_URL set, a uniquely named database is created on that server and
dropped at the end; otherwise an embedded PostgreSQL is started. DATABASE_URL is
never touched.
"""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# app.main builds the process's app on import, which needs an environment.
os.environ.setdefault("ENVIRONMENT", "local")

from app.cli.prisma_migrate import deploy
from scripts.throwaway_pg import ensure_runtime_dir, throwaway_database

ensure_runtime_dir()  # before any test module imports the embedded server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_MIGRATIONS = ROOT / "prisma" / "migrations"
EXAMPLE_SCHEMA = ROOT / "prisma" / "schema.prisma"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """URL of a database with the example Prisma migrations applied."""
    with throwaway_database("test") as url:
        asyncio.run(deploy(url, EXAMPLE_MIGRATIONS))
        yield url
