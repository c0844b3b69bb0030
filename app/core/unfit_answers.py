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
import math
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.exceptions import ResponseValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import schema_drift
from app.core.errors import SchemaMismatch
from app.core.schema_fit import ExpectedSchema, SchemaFit, check_schema_fit

RECHECK_SECONDS = 1.0
"""How long one schema-fit check answers for every failing answer: many requests fail at
once, and reflecting the database for each would add load to an outage. Short, so that
a schema that fits again is seen as soon as it does."""

FITTING_RECHECK_SECONDS = 0.1

SETTLING_SECONDS = 5.0
"""How long after a check last found the schema unfit an answer that does not fit still
counts as the schema's doing: a statement that ran just before a rollback committed
returns the old shape, and the check after it sees the new one."""


@dataclass
class _Checks:
    checked_at: float = -math.inf
    fit: asyncio.Task[SchemaFit] | None = None
    unfit_at: float = -math.inf


_checks: weakref.WeakKeyDictionary[AsyncEngine, _Checks] = weakref.WeakKeyDictionary()


def _fresh_for(check: asyncio.Task[SchemaFit]) -> float:
    """A check that found problems answers for RECHECK_SECONDS; one that found the schema
    fitting hardly at all, since a migration may have committed right after it."""
    if not check.done() or (check.exception() is None and not check.result().ok):
        return RECHECK_SECONDS
    return FITTING_RECHECK_SECONDS


async def _schema_moved(engine: AsyncEngine, expected: ExpectedSchema) -> list[str] | None:
    """The problems of a recent check, or None when the schema fits and has for a while."""
    checks = _checks.setdefault(engine, _Checks())
    if checks.fit is None or time.monotonic() - checks.checked_at > _fresh_for(checks.fit):
        checks.checked_at = time.monotonic()
        checks.fit = asyncio.create_task(check_schema_fit(engine, expected))
    fit = await asyncio.shield(checks.fit)
    if not fit.ok:
        checks.unfit_at = time.monotonic()
        return fit.problems
    if time.monotonic() - checks.unfit_at < SETTLING_SECONDS:
        return []
    return None


def unfit_answers(
    expected: ExpectedSchema,
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """The exception handler for ResponseValidationError, checking against `expected`."""

    async def unfit_answer(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ResponseValidationError)
        database = request.app.state.database
        if database is None:
            raise exc
        try:
            problems = await _schema_moved(database.engine, expected)
        except Exception:  # the check itself failed: no evidence of a schema change
            raise exc from None
        if problems is None:
            raise exc
        for problem in problems:
            schema_drift.note_mismatch(problem)
        error = SchemaMismatch()
        return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers())

    return unfit_answer
