"""FastAPI's own HTTP errors, completed: the full `Allow` on a 405, a body that cannot be
read as JSON answered like malformed JSON (422), with what to fix, a 413 that names the
limit, and validation errors in plain words (app.core.error_messages) that can always be
written as JSON.

Starlette answers a 405 from the first route whose path matches, so a path served by
several routes (GET and POST on `/pages/`) would list that route's methods only; RFC 9110
wants them all. FastAPI answers a body that is not UTF-8, or nested past Python's
recursion limit, with a bare 400 that says nothing of the cause. A validation error echoes
the value it refused as `input`, and FastAPI's own handler fails with a 500 on the values
JSON cannot hold (Python's parser takes `NaN` and `1e999` as floats, and `"\\ud800"` as a
string UTF-8 cannot encode) or on one nested a few hundred levels deep.
"""

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from app.core.body_limit import too_large
from app.core.error_messages import readable

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods some route serves at this scope's path."""
    return [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in app.routes)
    ]


def _unreadable_body(cause: BaseException) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return "is not UTF-8 encoded JSON"
    if isinstance(cause, RecursionError):
        return "is JSON nested too deeply to read"
    return "is not valid JSON"


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allow = ", ".join(allowed_methods(request.app, request.scope))
        exc = HTTPException(405, exc.detail, headers={**(exc.headers or {}), "Allow": allow})
    elif exc.status_code == 400 and exc.__cause__ is not None:  # FastAPI's body parser
        error = {"type": "json_invalid", "loc": ["body"], "msg": _unreadable_body(exc.__cause__)}
        return JSONResponse({"detail": [readable(error)]}, status_code=422)
    elif exc.status_code == 413 and MAX_BODY_SIZE_SCOPE_KEY in request.scope:
        # A body that grew past the route's limit while streaming (no Content-Length).
        detail = too_large(request.scope[MAX_BODY_SIZE_SCOPE_KEY])
        exc = HTTPException(413, detail, headers=exc.headers)
    return await http_exception_handler(request, exc)


def _plain(value: Any) -> bool:
    """Whether JSON can hold `value` and it is small enough to be worth echoing."""
    if isinstance(value, str):
        try:
            value.encode()  # a lone surrogate escape gives a str UTF-8 cannot hold
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, bool | int)


def _echoable(error: dict[str, Any]) -> dict[str, Any]:
    """The error, with its `input` only when that is a plain value (not a whole object)."""
    if "input" in error and not _plain(error["input"]):
        error = {key: value for key, value in error.items() if key != "input"}
    return error


async def validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_echoable(readable(error)) for error in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
