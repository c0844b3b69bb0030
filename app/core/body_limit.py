"""Refuse a declared request body over MAX_BODY_BYTES with the service's JSON error.

FastAPI's `max_body_size` (set on the API router) also stops bodies that grow past the
limit while streaming (chunked uploads), but answers a too-large Content-Length in
plain text; this runs first, so every 413 has the `{"detail": ...}` shape, and says
the body's size and the limit.
"""

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# Reading the headers costs on every request; GET, HEAD and OPTIONS carry no body here.
_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


def too_large(limit: int, size: int | None = None) -> str:
    """What a 413 says: the body's size when it was declared, and always the limit."""
    if size is None:
        return f"body is larger than the limit of {limit:,} bytes"
    return f"body is {size:,} bytes; the limit is {limit:,}"


class DeclaredBodyLimit:
    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _WITHOUT_BODY:
            length = Headers(scope=scope).get("content-length", "")
            if length.isdigit() and int(length) > self.max_body_size:
                detail = too_large(self.max_body_size, int(length))
                response = JSONResponse({"detail": detail}, status_code=413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
