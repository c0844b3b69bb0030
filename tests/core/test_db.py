"""The engine: driver options from settings and URL, pooler-safe mode, statement timeout."""

import pytest
from sqlalchemy import NullPool, text
from sqlalchemy.exc import DBAPIError

from app import crud
from app.core.db import create_database, engine_options
from app.core.errors import DatabaseUnavailable, from_db_error
from app.models import Page
from tests.core.conftest import make_settings

URL = "postgresql://app:pw@db.example:5432/app"


def test_direct_mode_pools_and_lets_the_server_enforce_the_statement_timeout() -> None:
    url, options = engine_options(make_settings(URL, DB_POOL_SIZE=7, DB_STATEMENT_TIMEOUT=2.5))
    assert url.drivername == "postgresql+asyncpg"
    assert options["pool_size"] == 7
    server_settings = options["connect_args"]["server_settings"]
    assert server_settings["statement_timeout"] == "2500"
    assert options["connect_args"]["command_timeout"] > 2.5


@pytest.mark.parametrize("how", ["setting", "url"])
def test_pgbouncer_mode_turns_off_prepared_statement_reuse(how: str) -> None:
    settings = (
        make_settings(URL, DB_PGBOUNCER=True)
        if how == "setting"
        else make_settings(URL + "?pgbouncer=true")
    )
    url, options = engine_options(settings)
    connect_args = options["connect_args"]
    assert options["poolclass"] is NullPool
    assert connect_args["statement_cache_size"] == 0
    assert connect_args["prepared_statement_cache_size"] == 0
    names = {connect_args["prepared_statement_name_func"]() for _ in range(3)}
    assert len(names) == 3
    assert "server_settings" not in connect_args  # PgBouncer refuses unknown startup parameters
    assert "pgbouncer" not in url.query


def test_prisma_url_parameters_are_understood_or_dropped() -> None:
    prisma_url = URL + "?schema=tenant&sslmode=require&connection_limit=5&pool_timeout=10"
    url, options = engine_options(make_settings(prisma_url))
    assert dict(url.query) == {}
    assert options["connect_args"]["ssl"] == "require"
    assert options["connect_args"]["server_settings"]["search_path"] == "tenant"


def test_no_database_url_means_no_engine() -> None:
    assert create_database(make_settings(None)) is None


async def test_a_statement_over_the_timeout_is_cancelled_and_reported_as_unavailable(
    database_url: str,
) -> None:
    database = create_database(make_settings(database_url, DB_STATEMENT_TIMEOUT=0.2))
    assert database is not None
    try:
        async with database.engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(text("SELECT pg_sleep(5)"))
        error = from_db_error(caught.value, Page)
        assert isinstance(error, DatabaseUnavailable)
        assert error.detail == "The database did not answer in time; retry shortly"
    finally:
        await database.dispose()


async def test_pgbouncer_mode_reads_and_writes_on_a_plain_server(database_url: str) -> None:
    database = create_database(make_settings(database_url, DB_PGBOUNCER=True))
    assert database is not None
    try:
        for _ in range(3):  # each round on a new connection, with new statement names
            listing = await crud.get_many(database, Page, limit=1)
            assert listing.count is not None and listing.count >= 0
    finally:
        await database.dispose()
