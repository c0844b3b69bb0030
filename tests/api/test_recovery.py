"""The database drops or withholds connections: 503 with Retry-After, then recovery."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from fastapi import FastAPI

from app.core.dburl import libpq_url
from tests.api.conftest import bearer, client_for, make_settings, running


@pytest.fixture
async def small_pool(database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        PROJECT_NAME="recovery-test",  # also the connections' application_name
        DB_POOL_SIZE=1,
        DB_MAX_OVERFLOW=0,
        DB_POOL_TIMEOUT=0.2,
    )
    async with running(settings) as app:
        yield app


async def test_dropped_connections_fail_fast_then_the_service_recovers(
    small_pool: FastAPI, database_url: str
) -> None:
    async with client_for(small_pool, headers=bearer()) as client:
        assert (await client.get("/pages/")).status_code == 200  # a pooled connection now
        admin = await asyncpg.connect(libpq_url(database_url))
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'recovery-test'"
            )
        finally:
            await admin.close()
        # The pool does not ping before each checkout (a round trip per request): the
        # request that finds the dead connection gets a 503, and the pool is renewed.
        first = await client.get("/pages/")
        assert first.status_code == 503
        assert first.headers["retry-after"].isdigit()
        assert (await client.get("/pages/")).status_code == 200


async def test_an_exhausted_pool_is_503_not_a_hang(small_pool: FastAPI) -> None:
    async with client_for(small_pool, headers=bearer()) as client:
        async with small_pool.state.database.engine.connect():  # the only connection
            response = await client.get("/pages/")
        assert response.status_code == 503
        assert response.json() == {"detail": "The database is busy; retry shortly"}
        assert response.headers["retry-after"].isdigit()
        assert (await client.get("/pages/")).status_code == 200
