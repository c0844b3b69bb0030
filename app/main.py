"""The FastAPI application: `create_app(settings)` builds one; `app` is this process's.

Order of work: settings (a bad value stops the process with one line), middleware,
exception handlers, routes; the database engine lives in the lifespan.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from loguru import logger
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from app.api.main import API_V1_PREFIX, include_api
from app.core.body_limit import DeclaredBodyLimit
from app.core.config import Settings, settings_or_exit
from app.core.db import Database, create_database
from app.core.errors import (
    DatabaseUnavailable,
    ServiceError,
    is_unavailable,
    schema_mismatch,
    unavailable_detail,
)
from app.core.http_errors import http_error, validation_error
from app.core.middleware import add_edge_middleware
from app.core.observability import setup_observability
from app.core.schema_drift import note_check
from app.core.schema_fit import check_schema_fit
from app.core.unfit_answers import unfit_answers
from app.expected_schema import EXPECTED_SCHEMA

DOCS_ASSETS_PATH = "/docs-assets"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or settings_or_exit()
    setup_observability(settings)
    # /docs and /redoc with their scripts and styles served from the app, not a CDN:
    # they work offline and behind proxies that block CDNs.
    app = FastAPIOffline(
        title=settings.PROJECT_NAME,
        openapi_url=f"{API_V1_PREFIX}/openapi.json",
        lifespan=_lifespan,
        static_url=DOCS_ASSETS_PATH,
    )
    app.state.settings = settings
    app.state.database = None
    app.state.started_at = time.monotonic()
    _add_middleware(app, settings)
    _add_exception_handlers(app)
    include_api(app, settings)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    for warning in settings.warnings():
        logger.warning(warning)
    database = create_database(settings)
    app.state.database = database
    if database is None:
        logger.warning("DATABASE_URL is not set: every database route answers 503")
    else:
        await _log_schema_fit(database)
    # What startup made (modules, models, schemas, routes: about 120,000 objects) lives as
    # long as the process; left to the collector, every full collection walks all of it
    # again, a pause of about 60 ms in the middle of requests.
    gc.freeze()
    try:
        yield
    finally:
        if database is not None:
            await database.dispose()


async def _log_schema_fit(database: Database) -> None:
    """Report at startup whether the models fit the database; never stop the service."""
    try:
        fit = await check_schema_fit(database.engine, EXPECTED_SCHEMA)
    except (DBAPIError, OSError) as exc:
        logger.warning("database unreachable at startup ({}): not ready", type(exc).__name__)
        return
    note_check(fit.problems, fit.warnings, fit.unknown_enum_values)
    if fit.newer_migrations:
        logger.info("database has migrations newer than the models: {}", fit.newer_migrations)
    if fit.ok:
        logger.info("schema fits the models (migration {})", fit.database_migration)


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # Innermost first: add_middleware wraps what is there already.
    app.add_middleware(DeclaredBodyLimit, max_body_size=settings.MAX_BODY_BYTES)
    # Request ids, the access line, CORS and the last-resort 500, in the order that works.
    add_edge_middleware(
        app,
        cors_origins=settings.cors_origins,
        cors_expose_headers=["ETag", "Location", "Retry-After"],
    )


def _error_response(error: ServiceError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers())


def _add_exception_handlers(app: FastAPI) -> None:
    async def service_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceError)
        return _error_response(exc)

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        # Reached only by errors the CRUD layer did not translate.
        if isinstance(exc, PoolTimeout):
            return _error_response(DatabaseUnavailable("The database is busy; retry shortly"))
        if is_unavailable(exc):
            return _error_response(DatabaseUnavailable(unavailable_detail(exc)))
        route = getattr(request.scope.get("route"), "path", request.method)  # never an id
        if mismatch := schema_mismatch(exc, route):
            return _error_response(mismatch)
        raise exc  # a server fault: the last-resort handler answers 500 and logs it

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(ResponseValidationError, unfit_answers(EXPECTED_SCHEMA))
    for error_type in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(error_type, database_error)


app = create_app()
