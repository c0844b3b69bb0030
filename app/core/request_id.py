"""Request ids: the caller's `X-Request-ID` when it is sane, a new one otherwise.

asgi-correlation-id keeps the id in a contextvar for the whole request (log lines and
Sentry events read it there) and returns it in the response header.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import uuid4

from asgi_correlation_id import CorrelationIdMiddleware, correlation_id

REQUEST_ID_HEADER = "X-Request-ID"

# Ids from proxies and clients (UUIDs, ULIDs, nanoids, trace ids) fit; anything else
# (long, spaces, control characters, log-forging newlines) is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")


def is_sane_request_id(value: str) -> bool:
    return _SANE_REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return correlation_id.get()


@dataclass
class RequestIdMiddleware(CorrelationIdMiddleware):
    """Pure ASGI: sets the id before anything else runs and adds it to every response."""

    header_name: str = REQUEST_ID_HEADER
    generator: Callable[[], str] = field(default=new_request_id)
    validator: Callable[[str], bool] | None = field(default=is_sane_request_id)
