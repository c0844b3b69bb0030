"""A seeded benchmark database beside the session's test database, and both apps on it.

The bench seeds hundreds of pages; they live in a database of their own on the same
server so that no other test sees them.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest
from httpx import ASGITransport, AsyncClient

from app.cli.prisma_migrate import deploy
from app.core.config import Settings
from app.core.dburl import libpq_url, parse
from app.core.security import create_token
from app.main import create_app
from scripts.bench import reference
from scripts.bench.seed import Seeded, seed
from scripts.env import EXAMPLE_PRISMA
from scripts.throwaway_pg import database_on

ROWS = 300
SECRET_KEY = "bench-test-secret-key-" + "x" * 32
BASE_URL = "http://test/api/v1"


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    seeded: Seeded


async def _migrate_and_seed(url: str) -> Seeded:
    await deploy(url, EXAMPLE_PRISMA / "migrations")
    conn = await asyncpg.connect(libpq_url(url))
    try:
        return await seed(conn, ROWS)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def bench_database(database_url: str) -> Iterator[BenchDatabase]:
    server_url = parse(database_url).set(database="postgres").render_as_string(hide_password=False)
    with database_on(server_url, "bench") as url:
        yield BenchDatabase(url=url, seeded=asyncio.run(_migrate_and_seed(url)))


@pytest.fixture(scope="session")
async def service(bench_database: BenchDatabase) -> AsyncIterator[AsyncClient]:
    values = {"ENVIRONMENT": "local", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": bench_database.url}
    settings = Settings(_env_file=None, **values)  # pyright: ignore[reportCallIssue]
    app = create_app(settings)
    token = create_token(SECRET_KEY, "bench-test", expires_in=timedelta(minutes=30))
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        yield await stack.enter_async_context(
            AsyncClient(
                transport=ASGITransport(app=app),
                base_url=BASE_URL,
                headers={"Authorization": f"Bearer {token}"},
            )
        )


@pytest.fixture(scope="session")
async def reference_app(bench_database: BenchDatabase) -> AsyncIterator[AsyncClient]:
    app = reference.create_app(bench_database.url)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        yield await stack.enter_async_context(
            AsyncClient(transport=ASGITransport(app=app), base_url=BASE_URL)
        )
