"""Diagnostics for developers. Mounted only when ENVIRONMENT=local, and never documented."""

import os
import platform
import time
from importlib.metadata import version
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.api.deps import DatabaseDep, SettingsDep
from app.core.schema_fit import check_schema_fit
from app.expected_schema import EXPECTED_SCHEMA

router = APIRouter(prefix="/private", tags=["private"], include_in_schema=False)

_PACKAGES = ("fastapi", "starlette", "pydantic", "sqlmodel", "sqlalchemy", "asyncpg", "uvicorn")


@router.get("/diagnostics/server")
async def server_diagnostics(request: Request, settings: SettingsDep) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "packages": {name: version(name) for name in _PACKAGES},
        "pid": os.getpid(),
        "uptimeSeconds": round(time.monotonic() - request.app.state.started_at, 3),
        "settings": settings.public(),
    }


async def _prisma_migrations(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Migrations recorded by Prisma (or by `make migrate`), none on other databases."""
    exists = text("SELECT to_regclass('\"_prisma_migrations\"') IS NOT NULL")
    if not (await conn.execute(exists)).scalar_one():
        return []
    rows = await conn.execute(
        text('SELECT "migration_name", "finished_at" FROM "_prisma_migrations" ORDER BY 1')
    )
    return [
        {"name": name, "finishedAt": finished.isoformat() if finished else None}
        for name, finished in rows
    ]


@router.get("/diagnostics/database")
async def database_diagnostics(database: DatabaseDep) -> dict[str, Any]:
    async with database.engine.connect() as conn:
        server_version = (await conn.execute(text("SHOW server_version"))).scalar_one()
        started = time.perf_counter()
        await conn.execute(text("SELECT 1"))
        latency_ms = (time.perf_counter() - started) * 1000
        migrations = await _prisma_migrations(conn)
        fit = await check_schema_fit(conn, EXPECTED_SCHEMA)
    return {
        "serverVersion": server_version,
        "roundTripMs": round(latency_ms, 3),
        "pool": database.engine.pool.status(),
        "pgbouncerMode": database.pgbouncer,
        "migrations": migrations,
        "schemaFit": fit.model_dump(),
    }
