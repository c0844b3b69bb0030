"""The routes of a resource, built from its declaration: list, get, create, update, delete.

`/pages/` lists, `/pages/{id}` reads, updates (PUT, partial) and deletes; a composite
key takes one path segment per key field (`/page-revisions/{pageId}/{version}`).
Single rows carry an ETag (`crud.version`), honoured by If-None-Match on reads and
If-Match on writes. Views get the two reads only.

Each resource's types (its key, its bodies) are known only at run time, so the endpoint
functions are written once here and given each resource's types through their
signatures, which is what FastAPI reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Request, Response, params, status
from pydantic import Field

from app import crud
from app.api.deps import DatabaseDep, require_json
from app.api.etags import etag, if_match_version, matches
from app.api.planned_route import PlannedRoute
from app.api.query_params import (
    ListQuery,
    get_openapi_extra,
    get_query,
    list_openapi_extra,
    list_query,
)
from app.api.responses import errors
from app.core import api_types, query
from app.core.resource import Resource, ScalarField
from app.core.resource_schemas import create_schema, list_schema, read_schema, update_schema

IfMatch = Annotated[
    str | None,
    Header(description="Only write if the row still has this ETag (else 412)"),
]
IfNoneMatch = Annotated[
    str | None, Header(description="A previously read ETag: 304 while it is current")
]
ETAG = {
    "ETag": {
        "description": "The row's version: send it back in If-Match or If-None-Match",
        "schema": {"type": "string"},
    }
}
LOCATION = {"Location": {"description": "The new row's URL", "schema": {"type": "string"}}}
# The list's parameters are read by one dependency from the raw query string (Prisma's
# nested `where`...), so FastAPI does not declare their 422 by itself.
INVALID_QUERY: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "A query parameter is invalid: each error names it and what to send",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
        },
    }
}


def _path_type(item: ScalarField) -> Any:
    if item.kind == "int":
        return Annotated[int, Field(ge=api_types.INT4[0], le=api_types.INT4[1])]
    if item.kind == "bigint":
        return Annotated[int, Field(ge=api_types.INT8[0], le=api_types.INT8[1])]
    if item.kind == "uuid":
        return api_types.Uuid
    return api_types.Id


def key_of(resource: Resource, values: dict[str, Any]) -> crud.Key:
    """The primary key from the path's values: one value, or a tuple for a composite key."""
    key = tuple(values[item.name] for item in resource.key)
    return key[0] if len(key) == 1 else key


def key_path(resource: Resource) -> str:
    return "".join(f"/{{{item.name}}}" for item in resource.key)


def _signed(endpoint: Callable[..., Any], resource: Resource, **types: Any) -> Callable[..., Any]:
    """`endpoint` with the resource's key as path parameters in place of `**key`, and
    `types` as the annotations of the parameters they name."""
    signature = inspect.signature(endpoint)
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            parameters += [
                inspect.Parameter(
                    item.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=Annotated[
                        _path_type(item), Path(description=f"The {resource.name}'s {item.name}")
                    ],
                )
                for item in resource.key
            ]
        else:
            parameters.append(
                parameter.replace(annotation=types.get(parameter.name, parameter.annotation))
            )
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint


def _answer(resource: Resource, response: Response, row: crud.Record) -> crud.Record:
    response.headers["ETag"] = etag(crud.version(resource.model, row))
    return row


def resource_router(
    resource: Resource,
    resources: tuple[Resource, ...],
    policies: query.Policies,
    *,
    prefix: str = "",
    dependencies: Sequence[params.Depends] = (),
    max_body_size: int | None = None,
) -> APIRouter:
    """The routes of `resource` (see the module docstring) under `prefix`, each with
    `dependencies`; relations reach the others among `resources` that `policies` expose."""
    router = APIRouter(
        route_class=PlannedRoute,
        prefix=prefix + resource.url_path,
        tags=[resource.url_path.strip("/")],
        dependencies=dependencies,
        max_body_size=max_body_size,
    )
    model = resource.model
    name, plural = resource.name, resource.plural_name
    read = read_schema(resource, resources)
    one = key_path(resource)
    reads = list_query(model, policies, default_order=resource.order_by)
    includes = get_query(model, policies)

    async def list_rows(database: DatabaseDep, query_: Any) -> Any:
        listing = await crud.get_many(
            database,
            model,
            where=query_.where,
            order=query_.order,
            after=query_.after,
            include=query_.include,
            skip=query_.skip,
            limit=query_.limit,
            count=query_.count,
        )
        return {"data": listing.data, "count": listing.count, "nextCursor": listing.next_cursor}

    router.add_api_route(
        "/",
        _signed(list_rows, resource, query_=Annotated[ListQuery, Depends(reads)]),
        methods=["GET"],
        operation_id=f"list{plural}",
        summary=f"List {plural}",
        response_model=list_schema(resource, resources),
        response_model_exclude_unset=True,  # relations only where included
        responses=errors(401, 503) | INVALID_QUERY,
        openapi_extra=list_openapi_extra(model),
    )

    async def get_row(
        database: DatabaseDep,
        response: Response,
        include: Any,
        if_none_match: IfNoneMatch = None,
        **key: Any,
    ) -> Any:
        row = await crud.get(database, model, key_of(resource, key), include=include)
        current = etag(crud.version(model, row))
        if matches(if_none_match, current):
            return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": current})
        response.headers["ETag"] = current
        return row

    router.add_api_route(
        one,
        _signed(
            get_row, resource, include=Annotated[tuple[query.Included, ...], Depends(includes)]
        ),
        methods=["GET"],
        operation_id=f"get{name}",
        summary=f"Read a {name}",
        response_model=read,
        response_model_exclude_unset=True,
        openapi_extra=get_openapi_extra(model),
        responses={
            200: {"headers": ETAG},
            304: {"description": "If-None-Match names the current ETag", "headers": ETAG},
        }
        | errors(401, 404, 503),
    )
    if not resource.writable:
        return router

    async def create_row(
        database: DatabaseDep, request: Request, response: Response, body: Any
    ) -> Any:
        row = await crud.create(database, model, body.model_values())
        location = "/".join(quote(str(row[item.attribute]), safe="") for item in resource.key)
        response.headers["Location"] = f"{request.url.path.rstrip('/')}/{location}"
        return _answer(resource, response, row)

    router.add_api_route(
        "/",
        _signed(create_row, resource, body=create_schema(resource, resources)),
        methods=["POST"],
        status_code=status.HTTP_201_CREATED,
        operation_id=f"create{name}",
        summary=f"Create a {name}",
        response_model=read,
        response_model_exclude_unset=True,
        dependencies=[Depends(require_json)],
        responses={201: {"headers": ETAG | LOCATION}} | errors(401, 409, 413, 415, 503),
    )

    async def update_row(
        database: DatabaseDep, response: Response, body: Any, if_match: IfMatch = None, **key: Any
    ) -> Any:
        row = await crud.update(
            database,
            model,
            key_of(resource, key),
            body.model_values(),
            if_version=if_match_version(if_match),
        )
        return _answer(resource, response, row)

    router.add_api_route(
        one,
        _signed(update_row, resource, body=update_schema(resource, resources)),
        methods=["PUT"],
        operation_id=f"update{name}",
        summary=f"Update some fields of a {name}",
        response_model=read,
        response_model_exclude_unset=True,
        dependencies=[Depends(require_json)],
        responses={200: {"headers": ETAG}} | errors(401, 404, 409, 412, 413, 415, 503),
    )

    async def delete_row(database: DatabaseDep, if_match: IfMatch = None, **key: Any) -> None:
        await crud.delete(
            database, model, key_of(resource, key), if_version=if_match_version(if_match)
        )

    router.add_api_route(
        one,
        _signed(delete_row, resource),
        methods=["DELETE"],
        status_code=status.HTTP_204_NO_CONTENT,
        operation_id=f"delete{name}",
        summary=f"Delete a {name}",
        responses=errors(401, 404, 409, 412, 503),
    )
    return router
