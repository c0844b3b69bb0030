"""FastAPI dependencies reading Prisma's `where`, `orderBy` and `include` (in `qs`'s
bracket form, see query_string.py) and the paging parameters into one ListQuery, and
the OpenAPI description of those parameters (`style: deepObject`, with `$ref` schemas
from app.core.query.openapi) for the route's `openapi_extra`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlmodel import SQLModel

from app.api.query_string import QueryStringError, parse
from app.core import query
from app.core.errors import InvalidQueryPart
from app.core.query.openapi import (
    component_schemas,
    include_input,
    order_by_input,
    ref,
    where_input,
)

CountMode = Literal["exact", "estimated", "none"]
COUNT_MODES: tuple[CountMode, ...] = ("exact", "estimated", "none")
MAX_SKIP = 1_000_000
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_CURSOR = 4096

LIST_PARAMETERS = ("where", "orderBy", "include", "skip", "cursor", "limit", "count")
GET_PARAMETERS = ("include",)


@dataclass(frozen=True)
class ListQuery:
    """A validated list request. `where.shape`, `order`, `after.null_bounds` (or None)
    and `count` make the statement's shape; `where.params` and `after.params` its values."""

    where: query.Where
    order: query.Order
    include: tuple[query.Included, ...]
    skip: int
    cursor: str | None
    after: query.After | None
    limit: int
    count: CountMode


def _invalid(
    loc: tuple[str | int, ...], message: str, kind: str = "value_error", value: Any = None
) -> RequestValidationError:
    error: dict[str, Any] = {"type": kind, "loc": ("query", *loc), "msg": message}
    if isinstance(value, str):
        error["input"] = value
    return RequestValidationError([error])


def _parsed(request: Request, takes: tuple[str, ...]) -> dict[str, Any]:
    try:
        params = parse(request.scope.get("query_string", b""))
    except QueryStringError as exc:
        raise _invalid(exc.loc, exc.message) from None
    unknown = [name for name in params if name not in takes]
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": f"Unknown query parameter; this route takes: {', '.join(sorted(takes))}",
                }
                for name in unknown
            ]
        )
    return params


def _single(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid((name,), f"{name} takes a single value")
    return value


def _integer(params: Mapping[str, Any], name: str, low: int, high: int, default: int) -> int:
    value = _single(params, name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise _invalid((name,), f"{name} takes an integer from {low} to {high}", value=value)
    return int(value)


def list_query(
    model: type[SQLModel],
    policies: query.Policies,
    *,
    default_order: Any = None,
    limits: query.QueryLimits = query.LIMITS,
) -> Callable[[Request], Awaitable[ListQuery]]:
    """The dependency of a list route of `model`; `default_order` is a Prisma orderBy
    used when the request gives none (`{"createdAt": "desc"}`)."""

    async def list_query_params(request: Request) -> ListQuery:
        params = _parsed(request, LIST_PARAMETERS)
        try:
            where = query.compile_where(model, params.get("where"), policies, limits)
            order_by = params.get("orderBy", default_order)
            order = query.compile_order(model, order_by, policies, limits)
            include = query.compile_include(model, params.get("include"), policies, limits)
            skip = _integer(params, "skip", 0, MAX_SKIP, 0)
            limit = _integer(params, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)
            count = _single(params, "count") or "estimated"
            if count not in COUNT_MODES:
                raise _invalid(("count",), "count takes exact, estimated or none", value=count)
            cursor = _single(params, "cursor")
            after = None
            if cursor is not None:
                if len(cursor) > MAX_CURSOR:
                    raise _invalid(("cursor",), f"cursor is at most {MAX_CURSOR} characters")
                if skip:
                    raise _invalid(("cursor",), "Give either skip or cursor, not both")
                after = query.decode_cursor(model, order, cursor)
        except InvalidQueryPart as exc:
            raise _invalid(exc.loc, exc.detail, exc.kind) from None
        return ListQuery(where, order, include, skip, cursor, after, limit, count)  # pyright: ignore[reportArgumentType]

    list_query_params.query_names = frozenset(LIST_PARAMETERS)  # pyright: ignore[reportFunctionMemberAccess]
    return list_query_params


def get_query(
    model: type[SQLModel], policies: query.Policies, *, limits: query.QueryLimits = query.LIMITS
) -> Callable[[Request], Awaitable[tuple[query.Included, ...]]]:
    """The dependency of a get-by-id route: its `include`."""

    async def get_query_params(request: Request) -> tuple[query.Included, ...]:
        params = _parsed(request, GET_PARAMETERS)
        try:
            return query.compile_include(model, params.get("include"), policies, limits)
        except InvalidQueryPart as exc:
            raise _invalid(exc.loc, exc.detail, exc.kind) from None

    get_query_params.query_names = frozenset(GET_PARAMETERS)  # pyright: ignore[reportFunctionMemberAccess]
    return get_query_params


def _deep(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "deepObject",
        "explode": True,
        "schema": schema,
        "description": description,
    }


def include_parameter(model: type[SQLModel]) -> dict[str, Any]:
    return _deep(
        "include",
        ref(include_input(model)),
        "Related rows to embed, Prisma's include: include[author]=true, "
        "include[author][include][profile]=true, include[tags][take]=5",
    )


def list_openapi_extra(model: type[SQLModel]) -> dict[str, Any]:
    """`openapi_extra` for a list route whose dependency is `list_query(model, ...)`."""
    order = ref(order_by_input(model))
    return {
        "parameters": [
            _deep("where", ref(where_input(model)), "Prisma's where: where[title][contains]=intro"),
            _deep(
                "orderBy",
                {"anyOf": [order, {"type": "array", "items": order}]},
                "Prisma's orderBy, an object or a list: orderBy[0][createdAt]=desc; "
                "the primary key ends every order",
            ),
            include_parameter(model),
            {
                "name": "skip",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SKIP, "default": 0},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "The previous page's nextCursor (keyset paging; not with skip)",
                "schema": {"type": "string", "maxLength": MAX_CURSOR},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                },
            },
            {
                "name": "count",
                "in": "query",
                "required": False,
                "description": "exact; estimated (the planner's estimate, exact for small "
                "counts); none (null)",
                "schema": {"type": "string", "enum": list(COUNT_MODES), "default": "estimated"},
            },
        ]
    }


def get_openapi_extra(model: type[SQLModel]) -> dict[str, Any]:
    """`openapi_extra` for a get-by-id route whose dependency is `get_query(model, ...)`."""
    return {"parameters": [include_parameter(model)]}


def add_query_schemas(
    document: dict[str, Any],
    models: list[type[SQLModel]],
    policies: query.Policies,
    limits: query.QueryLimits = query.LIMITS,
) -> dict[str, Any]:
    """`document` (FastAPI's openapi dict) with the schemas the query parameters of
    `models` refer to in `components.schemas`; call it from the app's `openapi()`."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in component_schemas(models, policies, limits).items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"Two different schemas are named {name}")
        schemas[name] = schema
    return document
