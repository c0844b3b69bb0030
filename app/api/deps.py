"""Dependencies shared by the routes, as `Annotated` aliases."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.core.config import Settings
from app.core.db import Database
from app.core.errors import DatabaseUnavailable, UnsupportedMediaType
from app.core.security import CurrentCaller, current_caller

__all__ = [
    "CurrentCaller",
    "DatabaseDep",
    "SettingsDep",
    "current_caller",
    "known_query_only",
    "require_json",
]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    """The engine and its pool. CRUD calls check a connection out for their statement
    only, so a request refused by validation never waits for the pool."""
    database: Database | None = request.app.state.database
    if database is None:
        raise DatabaseUnavailable("No database is configured (DATABASE_URL is not set)")
    return database


async def require_json(request: Request) -> None:
    """415 for a body that is not JSON (FastAPI would otherwise report it as a 422)."""
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType()


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query parameter model
            names |= {field.alias or name for name, field in model.model_fields.items()}
        else:
            names.add(param.alias)
    # A dependency that reads the query string itself (app.api.query_params) names its
    # parameters.
    names |= getattr(dependant.call, "query_names", frozenset())
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def _query_names_of(request: Request, route: APIRoute) -> frozenset[str]:
    """The route's query parameter names, worked out once per route of this app: walking
    the dependency tree on every request showed in the profile. (Routes compare by
    value and are unhashable, hence the id; the app holds its routes for its lifetime.)"""
    state = request.app.state
    try:
        cache: dict[int, frozenset[str]] = state.query_names_by_route
    except AttributeError:
        cache = state.query_names_by_route = {}
    names = cache.get(id(route))
    if names is None:
        names = cache[id(route)] = frozenset(_query_names(route.dependant))
    return names


async def known_query_only(request: Request) -> None:
    """422 for a query parameter the route does not take.

    A misspelt filter (`?author=...`) would otherwise be ignored, and the caller would
    get every row instead of an error. (Like the other dependencies here it is
    `async def`: FastAPI runs a plain `def` in a thread pool, a round trip per request.)
    """
    route = request.scope.get("route")
    if not request.scope.get("query_string") or not isinstance(route, APIRoute):
        return  # most requests have no query string: nothing to parse
    known = _query_names_of(request, route)
    # `where[title][contains]` belongs to `where`.
    unknown = [name for name in request.query_params if name.split("[", 1)[0] not in known]
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": f"Unknown query parameter; this route takes: {takes}",
                    "input": request.query_params[name],
                }
                for name in unknown
            ]
        )


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
