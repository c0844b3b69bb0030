"""Settings and a database handle on the session's throwaway database."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.core.config import Settings
from app.core.db import Database, create_database


def make_settings(database_url: str | None = None, **values: Any) -> Settings:
    given = {"ENVIRONMENT": "local", "DATABASE_URL": database_url, **values}
    return Settings(_env_file=None, **given)  # pyright: ignore[reportCallIssue]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = create_database(make_settings(database_url))
    assert database is not None
    yield database
    await database.dispose()
