"""Liveness and readiness probes: no authentication."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from loguru import logger
from pydantic import BaseModel, Field
from sqlalchemy import text

from app.core import schema_drift
from app.core.config import Settings
from app.core.db import Database
from app.core.schema_fit import check_schema_fit
from app.expected_schema import EXPECTED_SCHEMA

router = APIRouter(prefix="/utils", tags=["utils"])


class Health(BaseModel):
    status: bool


class Readiness(BaseModel):
    status: bool
    problems: list[str]
    warnings: list[str] = Field(
        default=[],
        description="Schema changes the service survives (new columns, tables, enum values, "
        "compatible types), each with the Prisma migration that brought it",
    )


@router.get("/health-check", operation_id="healthCheck", summary="Liveness (no database)")
async def health_check() -> Health:
    return Health(status=True)


async def readiness(database: Database | None, settings: Settings) -> Readiness:
    """What keeps the service from answering (no database, a schema that no longer fits
    it), and the schema changes it survives. Checked afresh every time, so that the
    service is ready again as soon as the schema fits again."""
    if database is None:
        return Readiness(
            status=False, problems=["database: not configured (DATABASE_URL is not set)"]
        )
    try:
        async with asyncio.timeout(settings.DB_CONNECT_TIMEOUT + settings.DB_STATEMENT_TIMEOUT + 1):
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                fit = await check_schema_fit(conn, EXPECTED_SCHEMA)
    except Exception as exc:  # any failure to answer means "not ready", never a 500
        logger.warning("readiness: database unreachable: {}", type(exc).__name__)
        return Readiness(status=False, problems=[f"database: unreachable ({type(exc).__name__})"])
    schema_drift.note_check(fit.problems, fit.warnings, fit.unknown_enum_values)
    problems = [f"schema: {problem}" for problem in fit.problems]
    warnings = [f"schema: {warning}" for warning in fit.warnings]
    return Readiness(status=not problems, problems=problems, warnings=warnings)


@router.get(
    "/ready",
    operation_id="readinessCheck",
    summary="Readiness: the database answers and fits the models",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready, with the reasons"}},
)
async def ready(request: Request) -> Any:
    found = await readiness(request.app.state.database, request.app.state.settings)
    if not found.status:
        return JSONResponse(found.model_dump(), status_code=503)
    return found
