"""Liveness and readiness probes: no authentication."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from loguru import logger
from pydantic import BaseModel
from sqlalchemy import text

from app.core.config import Settings
from app.core.db import Database
from app.core.schema_fit import check_schema_fit

router = APIRouter(prefix="/utils", tags=["utils"])


class Health(BaseModel):
    status: bool


class Readiness(BaseModel):
    status: bool
    problems: list[str]


@router.get("/health-check", operation_id="healthCheck", summary="Liveness (no database)")
async def health_check() -> Health:
    return Health(status=True)


async def readiness_problems(database: Database | None, settings: Settings) -> list[str]:
    """What keeps the service from answering: no database, or a schema that moved on."""
    if database is None:
        return ["database: not configured (DATABASE_URL is not set)"]
    try:
        async with asyncio.timeout(settings.DB_CONNECT_TIMEOUT + settings.DB_STATEMENT_TIMEOUT + 1):
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                fit = await check_schema_fit(conn)
    except Exception as exc:  # any failure to answer means "not ready", never a 500
        logger.warning("readiness: database unreachable: {}", type(exc).__name__)
        return [f"database: unreachable ({type(exc).__name__})"]
    return [f"schema: {problem}" for problem in fit.problems]


@router.get(
    "/ready",
    operation_id="readinessCheck",
    summary="Readiness: the database answers and fits the models",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready, with the reasons"}},
)
async def ready(request: Request) -> Any:
    problems = await readiness_problems(request.app.state.database, request.app.state.settings)
    if problems:
        return JSONResponse(
            Readiness(status=False, problems=problems).model_dump(), status_code=503
        )
    return Readiness(status=True, problems=[])
