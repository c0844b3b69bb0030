"""Shared fixtures: one throwaway PostgreSQL per test session, migrated like production.

With TEST_DATABASE_URL set, a uniquely named database is created on that server and
dropped at the end; otherwise an embedded PostgreSQL is started. DATABASE_URL is
never touched.

Two tiers: `make test` runs `pytest --fast` (the edit-test loop), which leaves out the
files under FULL_TIER without importing them (they import the model generator and the
fuzzer, seconds on their own); `make test MODE=full`, CI and plain `pytest` run everything.
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

# Fixtures every test directory may use.
pytest_plugins = ["tests.prisma_oracle.plugin"]

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
EXAMPLE_MIGRATIONS = ROOT / "prisma" / "migrations"
EXAMPLE_SCHEMA = ROOT / "prisma" / "schema.prisma"

# Folders, files and single tests (relative to tests/) of the full tier: they start servers
# or processes of their own (PostgreSQL, uvicorn, PgBouncer, a Sentry stand-in, the app in a
# fresh interpreter), run Node or the model generator, rebuild the image's environment, or fuzz.
FULL_TIER = {
    "contract/test_openapi_document.py::test_the_committed_document_is_the_one_the_app_generates",
    "core/test_config.py::test_startup_is_refused_for_changethis_in_production_with_one_line",
    "core/test_config.py::test_startup_without_environment_names_it",
    "bench",
    "contract/test_typescript_client.py",
    "core/test_make_check.py",
    "core/test_make_run.py",
    "deploy/test_image.py",
    "observability/test_sentry.py",
    "api/test_prisma_json.py",
    "api/test_query_fuzz.py",
    "api/test_query_matches_prisma.py",
    "core/test_schema_drift.py",
    "orm/test_migration_reaches_the_api.py",
    "orm/test_orm_edge_cases.py",
    "orm/test_orm_generation.py",
    "orm/test_orm_prisma_shapes.py",
    "orm/test_orm_realworld.py",
    "prisma_oracle",
    "reliability/test_database_faults.py",
    "reliability/test_fuzz.py",
    "reliability/test_graceful_shutdown.py",
    "reliability/test_live_migration.py",
    "reliability/test_pgbouncer.py",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        help="the fast tier: leave out tests that start servers, run Node or fuzz",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.getoption("fast") and collection_path.is_relative_to(TESTS):
        return collection_path.relative_to(TESTS).as_posix() in FULL_TIER or None
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("fast"):
        return
    kept, full = [], []
    for item in items:
        test = item.nodeid.removeprefix("tests/").split("[")[0]  # parameters aside
        (full if test in FULL_TIER else kept).append(item)
    if full:
        config.hook.pytest_deselected(items=full)
        items[:] = kept


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """URL of a database with the example Prisma migrations applied."""
    with throwaway_database("test") as url:
        asyncio.run(deploy(url, EXAMPLE_MIGRATIONS))
        yield url
