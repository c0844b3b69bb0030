"""Answers that do not fit their schema because the database schema moved on.

A migration that retypes a column (a list turned into text, say) leaves statements
running and values flowing, but what they return no longer fits the answer's schema and
FastAPI raises ResponseValidationError. When the schema-fit check confirms that the
database no longer fits the models, that is the same outage as a statement the
migration broke: a 503 saying so, with Retry-After, and one ERROR line per problem.
Otherwise it is this service's bug, and stays a 500.
"""

from __future__ import annotations

import asyncio
import time
import weakref

from fastapi import Request
from fastapi.exceptions import ResponseValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import schema_drift
from app.core.errors import SchemaMismatch
from app.core.schema_fit import SchemaFit, check_schema_fit

RECHECK_SECONDS = 1.0
"""How long one schema-fit check answers for every failing answer: many requests fail at
once, and reflecting the database for each would add load to an outage. Short, so that
a schema that fits again is seen as soon as it does."""

_recent: weakref.WeakKeyDictionary[AsyncEngine, tuple[float, asyncio.Task[SchemaFit]]] = (
    weakref.WeakKeyDictionary()
)


async def _recent_fit(engine: AsyncEngine) -> SchemaFit:
    found = _recent.get(engine)
    if found is None or time.monotonic() - found[0] > RECHECK_SECONDS:
        found = _recent[engine] = (time.monotonic(), asyncio.create_task(check_schema_fit(engine)))
    return await asyncio.shield(found[1])


async def unfit_answer(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ResponseValidationError)
    database = request.app.state.database
    if database is None:
        raise exc
    try:
        fit = await _recent_fit(database.engine)
    except Exception:  # the check itself failed: no evidence of a schema change
        raise exc from None
    if fit.ok:
        raise exc
    for problem in fit.problems:
        schema_drift.note_mismatch(problem)
    error = SchemaMismatch()
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers())
