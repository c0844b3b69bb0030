"""The HTTP edge: request ids, one access line per request, a last-resort 500, CORS.

All pure ASGI (no BaseHTTPMiddleware: it buffers and costs a task per request).
`add_edge_middleware` installs them in the one order that works:

    RequestId -> AccessLog -> CORS -> InternalError -> TrailingNewlinePath
        -> FastAPI's exception handlers -> routes

- the request id is set before anything logs and is added to every response, CORS
  preflights and unhandled errors included;
- the access line sees every request, preflights included, with its final status;
- an unhandled error becomes a plain JSON 500 inside CORS, so browsers can read it too.
  The error is re-raised afterwards, as Starlette does, so that Sentry's ASGI middleware
  reports it and the server logs the traceback.
"""

from collections.abc import Sequence
from time import perf_counter

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from loguru import logger
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.request_id import REQUEST_ID_HEADER, RequestIdMiddleware

# Where the auth dependency leaves the caller's `sub` for the access line (request.state).
_CALLER_KEY = "caller_sub"


def add_edge_middleware(
    app: FastAPI, *, cors_origins: Sequence[str] = (), cors_expose_headers: Sequence[str] = ()
) -> None:
    """Install the edge middleware; CORS only when origins are given (it always exposes
    the request id header to browsers, besides `cors_expose_headers`)."""
    # add_middleware wraps what is there already: the last one added runs first.
    app.add_middleware(TrailingNewlinePathMiddleware)
    app.add_middleware(InternalErrorMiddleware)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[*cors_expose_headers, REQUEST_ID_HEADER],
        )
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)


class TrailingNewlinePathMiddleware:
    """404 for a path ending in a newline (`/pages/%0A`).

    Starlette's route patterns end in `$`, which also matches before a final newline, so
    `/api/v1/pages/%0A` would otherwise be answered by the list route. Other control
    characters reach the routes and are refused by validation, saying why.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("\n"):
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def remember_caller(request: Request, sub: str) -> None:
    """Record the authenticated caller for this request's access line."""
    setattr(request.state, _CALLER_KEY, sub)


class AccessLogMiddleware:
    """Logs `METHOD /path/{template} STATUS DURATIONms` once per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # what the client gets when the app fails before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            _log_access(scope, status, perf_counter() - started)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    # The template keeps ids out of the path field; unmatched paths are logged as sent.
    path = _route_template(scope) or scope["path"]
    method = scope["method"]
    duration_ms = round(seconds * 1000, 2)
    logger.bind(
        method=method,
        path=path,
        status=status,
        duration_ms=duration_ms,
        sub=(scope.get("state") or {}).get(_CALLER_KEY),
    ).info(f"{method} {path} {status} {duration_ms}ms")


def _route_template(scope: Scope) -> str | None:
    # FastAPI 0.137+ keeps the route of an included router unprefixed in scope["route"]
    # and the full template on its effective route context (Sentry reads it there too).
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    return getattr(context, "path", None) or getattr(scope.get("route"), "path", None)


class InternalErrorMiddleware:
    """Answers an unhandled error with `{"detail": "Internal Server Error"}`, never a trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception:
            if not response_started:
                response = JSONResponse({"detail": "Internal Server Error"}, status_code=500)
                await response(scope, receive, send)
            raise
