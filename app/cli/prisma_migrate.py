"""Replay a Prisma `migrations/` folder the way `prisma migrate deploy` does.

Folders are applied in name order; each `migration.sql` runs as one simple-protocol
query (PostgreSQL runs that as one implicit transaction) and is recorded in
`_prisma_migrations` with Prisma's own DDL and the file's SHA-256 checksum, so that
the real Prisma CLI later accepts the database as its own.

Usage: python -m app.cli.prisma_migrate [DATABASE_URL] [MIGRATIONS_DIR]
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.config import ROOT
from app.core.dburl import libpq_url

# Prisma's exact DDL for its bookkeeping table (schema-engine, PostgreSQL flavour).
PRISMA_MIGRATIONS_DDL = """
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);
"""


class MigrateSettings(BaseSettings):
    """What a migration run reads from the environment and `.env` (the image has no `.env`)."""

    model_config = SettingsConfigDict(env_file=ROOT / ".env", extra="ignore")

    DATABASE_URL: str | None = None
    PRISMA_MIGRATIONS: Path = ROOT / "prisma" / "migrations"


class MigrationError(RuntimeError):
    """A migration failed, or an earlier failure blocks further migrations."""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def read_migrations(folder: Path) -> list[Migration]:
    if not folder.is_dir():
        raise MigrationError(f"migrations folder not found: {folder}")
    return [
        Migration(name=d.name, sql=(d / "migration.sql").read_text())
        for d in sorted(folder.iterdir())
        if d.is_dir() and (d / "migration.sql").is_file()
    ]


async def deploy(database_url: str, folder: Path) -> list[str]:
    """Apply pending migrations; return the names applied now."""
    migrations = read_migrations(folder)
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        await conn.execute(PRISMA_MIGRATIONS_DDL)
        rows = await conn.fetch(
            'SELECT "migration_name", "finished_at", "rolled_back_at" FROM "_prisma_migrations"'
        )
        failed = [
            r["migration_name"]
            for r in rows
            if r["finished_at"] is None and r["rolled_back_at"] is None
        ]
        if failed:
            raise MigrationError(
                f"migration {failed[0]} failed earlier; fix it and mark it rolled back "
                "(`prisma migrate resolve --rolled-back`) before applying more"
            )
        done = {r["migration_name"] for r in rows if r["finished_at"] is not None}
        applied: list[str] = []
        for migration in migrations:
            if migration.name in done:
                continue
            await _apply(conn, migration)
            applied.append(migration.name)
        return applied
    finally:
        await conn.close()


async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
    row_id = str(uuid.uuid4())
    await conn.execute(
        'INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name") VALUES ($1, $2, $3)',
        row_id,
        migration.checksum,
        migration.name,
    )
    try:
        await conn.execute(migration.sql)
    except asyncpg.PostgresError as exc:
        await conn.execute(
            'UPDATE "_prisma_migrations" SET "logs" = $2 WHERE "id" = $1', row_id, str(exc)
        )
        raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
    await conn.execute(
        'UPDATE "_prisma_migrations" SET "finished_at" = now(), "applied_steps_count" = 1 '
        'WHERE "id" = $1',
        row_id,
    )


def main(argv: list[str]) -> int:
    settings = MigrateSettings()
    url = argv[1] if len(argv) > 1 else settings.DATABASE_URL
    if not url:
        print("error: DATABASE_URL is not set (environment or .env)", file=sys.stderr)
        return 2
    folder = Path(argv[2]) if len(argv) > 2 else settings.PRISMA_MIGRATIONS
    try:
        applied = asyncio.run(deploy(url, folder))
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {n}" for n in applied))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
