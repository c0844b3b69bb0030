"""The versioned API: every route needs a bearer token except the probes."""

from fastapi import APIRouter, Depends

from app.api.deps import current_caller, known_query_only
from app.api.routes import pages, private, utils
from app.core.config import Settings

API_V1_PREFIX = "/api/v1"


def api_router(settings: Settings) -> APIRouter:
    # The body limit sits on the routes (not the app) so that DeclaredBodyLimit, a
    # middleware, answers a too-large Content-Length first, in JSON.
    router = APIRouter(max_body_size=settings.MAX_BODY_BYTES)
    # Probes take no parameters and ignore any an orchestrator adds: they must never fail
    # for a query string. Elsewhere unknown query parameters are refused, after
    # authentication (a stranger learns nothing).
    router.include_router(utils.router)

    protected = APIRouter(dependencies=[Depends(current_caller), Depends(known_query_only)])
    protected.include_router(pages.router)
    if settings.ENVIRONMENT == "local":
        protected.include_router(private.router)
    router.include_router(protected)
    return router
