"""The benchmark's database: migrated and seeded once, reset after each create run."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from app.cli.prisma_migrate import deploy
from app.core.dburl import libpq_url
from scripts.bench import cpu
from scripts.bench.seed import Seeded, seed, skip_foreign_key_checks
from scripts.env import EXAMPLE_PRISMA

CREATED_SLUG_PREFIX = "bench-"


def forget_created_pages(url: str, seeded_until: datetime) -> None:
    """Leave the table as seeded, so that every create run starts from the same state.

    Created pages are newer than every seeded one (the createdAt index finds them) and
    nothing refers to them, so the per-row foreign-key checks are skipped when the role
    may: the one on `parentId` scans the whole table for each deleted row.
    """

    async def go() -> None:
        conn = await asyncpg.connect(libpq_url(url))
        try:
            async with conn.transaction():
                await skip_foreign_key_checks(conn)
                await conn.execute(
                    'DELETE FROM "Page" WHERE "createdAt" > $1 AND "slug" LIKE $2',
                    seeded_until,
                    f"{CREATED_SLUG_PREFIX}%",
                )
            await conn.execute('VACUUM ANALYZE "Page"')
        finally:
            await conn.close()

    asyncio.run(go())


@dataclass(frozen=True)
class Database:
    seeded: Seeded
    version: str
    postmaster: int | None  # pid of the server, when it runs on this machine
    seeded_until: datetime  # the newest seeded createdAt


def prepare_database(url: str, rows: int) -> Database:
    async def go() -> Database:
        await deploy(url, EXAMPLE_PRISMA / "migrations")
        conn = await asyncpg.connect(libpq_url(url))
        try:
            seeded = await seed(conn, rows)
            version = await conn.fetchval("SHOW server_version")
            seeded_until = await conn.fetchval('SELECT max("createdAt") FROM "Page"')
            # Read while the backend still runs: its parent is the server.
            postmaster = cpu.postmaster_of(await conn.fetchval("SELECT pg_backend_pid()"))
        finally:
            await conn.close()
        return Database(seeded, version, postmaster, seeded_until)

    return asyncio.run(go())


@dataclass(frozen=True)
class Connections:
    opened: int  # connections ever opened to this database (PostgreSQL's own counter)
    held: dict[str, int]  # connections open now, by application_name


def db_connections(url: str) -> Connections:
    """How many connections were opened so far, and who holds the open ones."""

    async def go() -> Connections:
        conn = await asyncpg.connect(libpq_url(url))
        try:
            # The counter is flushed by each backend within about a second.
            await asyncio.sleep(1.1)
            opened = await conn.fetchval(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            held = await conn.fetch(
                "SELECT application_name, count(*) AS n FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "GROUP BY application_name"
            )
            return Connections(opened, {row["application_name"]: row["n"] for row in held})
        finally:
            await conn.close()

    return asyncio.run(go())
