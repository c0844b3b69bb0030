"""The versioned API: every route needs a bearer token except the probes."""

from fastapi import Depends, FastAPI

from app.api.deps import current_caller, known_query_only
from app.api.routes import pages, private, utils
from app.core.config import Settings

API_V1_PREFIX = "/api/v1"


def include_api(app: FastAPI, settings: Settings) -> None:
    """Mount each route module on the app under the version prefix.

    Each is included directly: every level of nested routers is matched again on
    every request. The body limit sits on the routes (not the app) so that
    DeclaredBodyLimit, a middleware, answers a too-large Content-Length first, in JSON.
    """
    # Probes take no parameters and ignore any an orchestrator adds: they must never fail
    # for a query string. Elsewhere unknown query parameters are refused, after
    # authentication (a stranger learns nothing).
    protected = [Depends(current_caller), Depends(known_query_only)]
    routers = [(utils.router, []), (pages.router, protected)]
    if settings.ENVIRONMENT == "local":
        routers.append((private.router, protected))
    for router, dependencies in routers:
        app.include_router(
            router,
            prefix=API_V1_PREFIX,
            dependencies=dependencies,
            max_body_size=settings.MAX_BODY_BYTES,
        )
