"""The versioned API: every route needs a bearer token except the probes."""

from functools import cache
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.routing import BaseRoute

from app.api.deps import current_caller, known_query_only
from app.api.query_params import add_query_schemas
from app.api.resource_routes import resource_router
from app.api.routes import pages, private, utils
from app.core.config import Settings
from app.resources import RESOURCES, query_policy

API_V1_PREFIX = "/api/v1"
# Probes take no parameters and ignore any an orchestrator adds: they must never fail for a
# query string. Elsewhere unknown query parameters are refused, after authentication (a
# stranger learns nothing).
PROTECTED = (Depends(current_caller), Depends(known_query_only))


def include_api(app: FastAPI, settings: Settings) -> None:
    """Mount the probes, every resource and the domain routes under the version prefix.

    The resources' routes are built with their full path and dependencies and added to
    the app's own routes: an included router is matched again on every request, and
    builds its routes' models a second time, lazily, at an app's first request. The body
    limit sits on the routes (not the app) so that DeclaredBodyLimit, a middleware,
    answers a too-large Content-Length first, in JSON.
    """
    # First: routes are tried in order, and nearly every request is for a resource.
    app.router.routes[:0] = _resource_routes(settings.MAX_BODY_BYTES)
    routers: list[tuple[APIRouter, tuple]] = [(utils.router, ()), (pages.router, PROTECTED)]
    if settings.ENVIRONMENT == "local":
        routers.append((private.router, PROTECTED))
    for router, dependencies in routers:
        app.include_router(
            router,
            prefix=API_V1_PREFIX,
            dependencies=list(dependencies),
            max_body_size=settings.MAX_BODY_BYTES,
        )
    _describe_query_schemas(app)


@cache
def _resource_routes(max_body_size: int) -> tuple[BaseRoute, ...]:
    """Every resource's routes. Built from the declarations and the body limit alone, and
    holding no state of an app's, they serve every app of the process with that limit
    (building them is most of an app's construction; the tests build dozens of apps)."""
    return tuple(
        route
        for resource in RESOURCES
        for route in resource_router(
            resource,
            RESOURCES,
            query_policy,
            prefix=API_V1_PREFIX,
            dependencies=PROTECTED,
            max_body_size=max_body_size,
        ).routes
    )


def _describe_query_schemas(app: FastAPI) -> None:
    """Put the schemas of the lists' `where`, `orderBy` and `include` (which the routes
    refer to by `$ref`) into the document FastAPI builds."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            models = [resource.model for resource in RESOURCES]
            app.openapi_schema = add_query_schemas(build(), models, query_policy)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
