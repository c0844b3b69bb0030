"""The `prisma_oracle` fixture: Prisma Client over the session's test database.

Registered for every test from tests/conftest.py. One oracle per session; tests that
need another schema call `start_oracle(url, schema)` themselves.
"""

from collections.abc import Iterator

import pytest

from scripts.prisma_client import NodeUnavailable
from tests.prisma_oracle import PrismaOracle, start_oracle


@pytest.fixture(scope="session")
def prisma_oracle(database_url: str) -> Iterator[PrismaOracle]:
    try:
        with start_oracle(database_url) as oracle:
            yield oracle
    except NodeUnavailable as exc:
        pytest.skip(f"Prisma oracle unavailable: {exc}")
