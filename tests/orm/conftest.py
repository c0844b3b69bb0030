"""ORM fixtures: an async engine (asyncpg) and sessions on the session's migrated database."""

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.dburl import asyncpg_url, parse
from scripts.throwaway_pg import database_on


@pytest.fixture(scope="session")
async def orm_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(asyncpg_url(database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(orm_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(orm_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """Another, empty database on the session's server, for tests that change schema."""
    server_url = parse(database_url).set(database="postgres").render_as_string(hide_password=False)
    with database_on(server_url, "orm") as url:
        yield url
