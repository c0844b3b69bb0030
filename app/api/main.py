"""The versioned API: every route needs a bearer token except the probes."""

from fastapi import APIRouter, Depends, FastAPI

from app.api.deps import current_caller, known_query_only
from app.api.resource_routes import resource_router
from app.api.routes import pages, private, utils
from app.core.config import Settings
from app.resources import RESOURCES

API_V1_PREFIX = "/api/v1"


def include_api(app: FastAPI, settings: Settings) -> None:
    """Mount the probes, every resource and the domain routes under the version prefix.

    Each router is included directly: every level of nested routers is matched again on
    every request. The body limit sits on the routes (not the app) so that
    DeclaredBodyLimit, a middleware, answers a too-large Content-Length first, in JSON.
    """
    # Probes take no parameters and ignore any an orchestrator adds: they must never fail
    # for a query string. Elsewhere unknown query parameters are refused, after
    # authentication (a stranger learns nothing).
    protected = [Depends(current_caller), Depends(known_query_only)]
    routers: list[tuple[APIRouter, list]] = [(utils.router, [])]
    routers += [(resource_router(resource), protected) for resource in RESOURCES]
    routers.append((pages.router, protected))
    if settings.ENVIRONMENT == "local":
        routers.append((private.router, protected))
    for router, dependencies in routers:
        app.include_router(
            router,
            prefix=API_V1_PREFIX,
            dependencies=dependencies,
            max_body_size=settings.MAX_BODY_BYTES,
        )
