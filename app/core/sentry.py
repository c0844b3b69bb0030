"""Sentry: one event per unhandled error, tagged with the request id, with nothing secret.

- Errors reach Sentry once: from the FastAPI/Starlette integration for unhandled errors,
  and from loguru for `logger.error(...)`. Sentry's stdlib logging integration is off,
  because stdlib records already flow into loguru (it would report each one twice).
- Loguru events carry the bare message: the integration's default format starts with a
  timestamp, which makes every event a new issue.
- No default PII and no frame variables; `before_send` drops credential headers and
  cookies, tags the request id and masks secrets in every string of the event.

Call after `setup_logging()`. Without a DSN nothing is initialised and nothing is sent.
"""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.loguru import LoguruIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.types import Event, Hint

from app.core.logging import redact
from app.core.request_id import current_request_id

_CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}


def init_sentry(
    *,
    dsn: str | None,
    environment: str,
    release: str | None = None,
    traces_sample_rate: float = 0.0,
) -> bool:
    """Start the Sentry client when `dsn` is set; return whether it was started.

    `release` defaults to Sentry's own detection (the SENTRY_RELEASE variable, then git).
    """
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # 0 means no tracing at all rather than unsampled transactions on every request.
        traces_sample_rate=traces_sample_rate or None,
        # No send_default_pii: unset means no PII, and setting it is deprecated.
        # Frame variables would carry the ASGI scope (raw headers), settings and tokens.
        include_local_variables=False,
        integrations=[
            StarletteIntegration(),
            FastApiIntegration(),
            LoguruIntegration(event_format=_bare_message, breadcrumb_format=_bare_message),
        ],
        disabled_integrations=[LoggingIntegration],
        before_send=_before_send,
    )
    return True


def _bare_message(_record: Any) -> str:
    return "{message}"


def _before_send(event: Event, hint: Hint) -> Event | None:
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    request = event.get("request")
    if request:
        request.pop("cookies", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in [n for n in headers if n.lower() in _CREDENTIAL_HEADERS]:
                del headers[name]
    return _masked(event)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value
