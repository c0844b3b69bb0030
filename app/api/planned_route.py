"""Routes whose request handling is planned once, when the route is built.

FastAPI solves a route's dependency graph on every request: it classifies every
dependency again (generator? scopes? cache key?), opens exit stacks for dependencies
with `yield`, and re-reads the endpoint for its error context. The routes this service
builds use none of that: `async def` dependencies of the request (and of each other),
path and header parameters, at most one JSON body, a response model. `PlannedRoute`
works out their order once and then only calls them; the validation and serialisation
are FastAPI's own functions on the same fields, so what the OpenAPI document declares is
what is checked. A route with anything else (a dependency with `yield` or a plain `def`,
query, cookie or form parameters, background tasks, streams) keeps FastAPI's handler, and
so does a request to an app with `dependency_overrides`.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response, params
from fastapi._body_limit import get_body_limit_error, wrap_app_with_body_limit
from fastapi._compat import ModelField, field_annotation_is_sequence
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import (
    _get_param_aliases,  # pyright: ignore[reportPrivateUsage]
    _get_param_model,  # pyright: ignore[reportPrivateUsage]
    _validate_value_with_model_field,  # pyright: ignore[reportPrivateUsage]
    request_body_to_args,
)
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, request_response, serialize_response
from fastapi.utils import is_body_allowed_for_status_code
from pydantic_core import PydanticUndefined
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import Receive, Scope, Send

Values = dict[str, Any]
Errors = list[Any]


@dataclass(frozen=True)
class _Param:
    """A path or header parameter of one value: where the request has it, and the field
    that validates it."""

    field: ModelField
    key: str
    loc: tuple[str, str]


def _params(fields: list[ModelField]) -> tuple[_Param, ...] | None:
    """The fields as `_Param`s, or None when one needs FastAPI's general reading (a list,
    a parameter model, several aliases)."""
    found = []
    for field in fields:
        aliases = _get_param_aliases(field)
        if (
            len(aliases) != 1
            or _get_param_model(field) is not None
            or field_annotation_is_sequence(field.field_info.annotation)
            or not isinstance(field.field_info, params.Param)
        ):
            return None
        key = aliases[0][1]
        found.append(_Param(field, key, (field.field_info.in_.value, key)))
    return tuple(found)


def _read(
    fields: tuple[_Param, ...], given: Mapping[str, Any], values: Values, errors: Errors
) -> None:
    """What `request_params_to_args` does for these fields, without working out again,
    on every request, how each is read."""
    read: Values = {}
    for param in fields:
        value = given.get(param.key)
        found, failed = _validate_value_with_model_field(
            field=param.field,
            value=PydanticUndefined if value is None else value,
            values=read,
            loc=param.loc,
        )
        if failed:
            errors += failed
        else:
            read[param.field.name] = found
    values.update(read)


@dataclass(frozen=True)
class _Plan:
    """How one dependant gets its arguments: its dependencies first, in order (each
    `(name, call, plan, cached)`), then its own path and header parameters."""

    dependencies: tuple[tuple[str | None, Callable[..., Awaitable[Any]], _Plan, bool], ...]
    dependant: Dependant
    path: tuple[_Param, ...]
    headers: tuple[_Param, ...]

    async def values(
        self, request: Request, response: Response, body: Any, cache: dict[Any, Any]
    ) -> tuple[Values, Errors]:
        values: Values = {}
        errors: Errors = []
        for name, call, plan, cached in self.dependencies:
            if cached and call in cache:
                solved = cache[call]
            else:
                arguments, failed = await plan.values(request, response, body, cache)
                if failed:
                    errors += failed
                    continue
                solved = cache[call] = await call(**arguments)
            if name is not None:
                values[name] = solved
        dependant = self.dependant
        if self.path:
            _read(self.path, request.path_params, values, errors)
        if self.headers:
            _read(self.headers, request.headers, values, errors)
        if dependant.body_params:
            found, failed = await request_body_to_args(
                body_fields=dependant.body_params, received_body=body, embed_body_fields=False
            )
            values.update(found)
            errors += failed
        for name in (dependant.request_param_name, dependant.http_connection_param_name):
            if name:
                values[name] = request
        if dependant.response_param_name:
            values[dependant.response_param_name] = response
        return values, errors


def _is_async(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 (an instance's async __call__)
    )


def _plan(dependant: Dependant, *, top: bool) -> _Plan | None:
    """The plan for `dependant`, or None when it needs something only FastAPI's solver
    does."""
    if (
        dependant.query_params
        or dependant.cookie_params
        or (dependant.body_params and not top)
        or len(dependant.body_params) > 1
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.websocket_param_name
    ):
        return None
    path, headers = _params(dependant.path_params), _params(dependant.header_params)
    if path is None or headers is None:
        return None
    steps = []
    for sub in dependant.dependencies:
        plan = _plan(sub, top=False)
        if plan is None or sub.call is None or not _is_async(sub.call) or sub.scope:
            return None
        steps.append((sub.name, sub.call, plan, sub.use_cache))
    return _Plan(tuple(steps), dependant, path, headers)


class PlannedRoute(APIRoute):
    """An APIRoute that runs its plan (see the module docstring) when it has one."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        plan = _plan(self.dependant, top=True)
        self.planned = (
            plan is not None
            and inspect.iscoroutinefunction(endpoint)
            and isinstance(self.response_class, DefaultPlaceholder)
            and not (self.body_field and self._embed_body_fields)
            # The answer is serialised as declared, with exclude_unset at most.
            and self.response_model_include is None
            and self.response_model_exclude is None
            and self.response_model_by_alias
            and not self.response_model_exclude_defaults
            and not self.response_model_exclude_none
        )
        if plan is not None and self.planned:
            # A route that reads no body needs no limit on it.
            limit = self.max_body_size if self.body_field is not None else None
            self.app = wrap_app_with_body_limit(self._asgi(plan), limit)

    def _asgi(self, plan: _Plan) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        endpoint = self.endpoint
        status_code = self.status_code
        response_field = self.response_field
        exclude_unset = self.response_model_exclude_unset
        reads_body = self.body_field is not None

        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if getattr(scope.get("app"), "dependency_overrides", None):
                await self._overridden(scope, receive, send)
                return
            request = Request(scope, receive, send)

            async def respond(scope: Scope, receive: Receive, send: Send) -> None:
                body = await _json_body(request) if reads_body else None
                sub_response = Response()
                del sub_response.headers["content-length"]
                sub_response.status_code = None  # type: ignore[assignment]  # unset, as FastAPI does
                values, errors = await plan.values(request, sub_response, body, {})
                if errors:
                    given = None if body is PydanticUndefined else body
                    raise RequestValidationError(errors, body=given)
                answer = await endpoint(**values)
                if not isinstance(answer, Response):
                    status = sub_response.status_code or status_code
                    answer = await _response(answer, response_field, exclude_unset, status)
                    answer.headers.raw.extend(sub_response.headers.raw)
                await answer(scope, receive, send)

            if reads_body:
                # The app's exception handlers answer here, inside the body limit.
                await wrap_app_handling_exceptions(respond, request)(scope, receive, send)
            else:
                await respond(scope, receive, send)

        return handle

    async def _overridden(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own handler, with the app's `dependency_overrides` (tests replacing a
        dependency): the plan knows only the declared dependencies, and the route, shared
        by the apps of a process, belongs to none of them."""
        route = copy.copy(self)
        route.dependency_overrides_provider = scope["app"]
        await request_response(APIRoute.get_route_handler(route))(scope, receive, send)


async def _json_body(request: Request) -> Any:
    """The body as FastAPI reads it for a JSON body field: parsed when it is declared as
    JSON, the bytes otherwise (refused by the field), Undefined when there is none."""
    try:
        raw = await request.body()
        if not raw:
            return PydanticUndefined
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        maintype, _, subtype = media_type.partition("/")
        if maintype != "application" or not (subtype == "json" or subtype.endswith("+json")):
            return raw
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        error = {
            "type": "json_invalid",
            "loc": ("body", exc.pos),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": exc.msg},
        }
        raise RequestValidationError([error], body=exc.doc) from exc
    except HTTPException:
        raise
    except Exception as exc:  # over the streamed limit, not UTF-8, nested too deep...
        if MAX_BODY_SIZE_SCOPE_KEY in request.scope and (error := get_body_limit_error(exc)):
            raise error from exc
        raise HTTPException(400, "There was an error parsing the body") from exc


async def _response(
    content: Any, field: Any, exclude_unset: bool, status_code: int | None
) -> Response:
    if field is None:
        response: Response = JSONResponse(jsonable_encoder(content), status_code=status_code or 200)
    else:
        body = await serialize_response(
            field=field, response_content=content, exclude_unset=exclude_unset, dump_json=True
        )
        response = Response(body, status_code=status_code or 200, media_type="application/json")
    if not is_body_allowed_for_status_code(response.status_code):
        response.body = b""
    return response
