"""One logging pipeline: loguru, readable locally, one flat JSON object per line elsewhere.

Standard-library loggers (uvicorn, SQLAlchemy, asyncpg, FastAPI) are routed into loguru
under their own names, every line carries the current request id, and every rendered
line goes through `redact()` so that tokens, cookies and passwords never reach the output
even when some code logs them by mistake.

Call `setup_logging()` once at startup, before `init_sentry()`: Sentry's loguru
integration adds its own sinks, and they must survive.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC
from typing import TYPE_CHECKING, Any

from loguru import logger

from app.core.request_id import current_request_id

if TYPE_CHECKING:
    from loguru import Message, Record

LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
MASK = "***"

# Loggers that log through their own handlers: emptied so that they reach loguru once.
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "fastapi")
# Replaced by the app's own access line (app.core.access_log).
_ACCESS_LOGGERS = ("uvicorn.access",)
# Chatty below WARNING: SQLAlchemy logs every statement and result row at INFO/DEBUG
# as soon as the root level allows it, and watchfiles logs every file change.
_NOISY_LOGGERS = ("sqlalchemy", "asyncpg", "watchfiles")

# Key of the stdlib logger name in `extra`, moved into the record's name by `_patch`.
_STDLIB_NAME = "_stdlib_logger"

_SENSITIVE_HEADERS = r"(?:proxy-)?authorization|set-cookie|cookie|x-api-key"
_SENSITIVE_NAMES = r"[a-z0-9_-]*?(?:password|passwd|secret|token|api[_-]?key)[a-z0-9_-]*"
# `name: value`, `name=value`, `"name": "value"`, and `(b'name', b'value')` in raw ASGI headers.
_KEY_PREFIX = r"(?<![a-z0-9_-])(?P<k>(?:{keys})(?:\\?[\"']?\s*[:=]|[\"']\s*,)\s*(?:b?\\?[\"'])?)"
# Substring checks (on the lower-cased line) that spare the patterns below on ordinary
# lines such as access lines; a case-insensitive regex alternation is ten times slower.
_SECRET_HINTS = ("authoriz", "cookie", "passw", "secret", "token", "key", "bearer", "eyj", "://")
_SECRET_PATTERNS = [
    # Header-like values run to the end of the quoted string or line ("Bearer x", "a=1; b=2").
    (
        re.compile(_KEY_PREFIX.format(keys=_SENSITIVE_HEADERS) + r"[^\"'\\\r\n]+", re.I),
        r"\g<k>" + MASK,
    ),
    (
        re.compile(_KEY_PREFIX.format(keys=_SENSITIVE_NAMES) + r"[^\s\"'\\&,;}]+", re.I),
        r"\g<k>" + MASK,
    ),
    # Bearer tokens and JWTs wherever they appear.
    (re.compile(r"\bbearer\s+[a-z0-9._~+/=-]{16,}", re.I), "Bearer " + MASK),
    (re.compile(r"\beyJ[a-z0-9_-]{4,}\.[a-z0-9_-]{4,}\.[a-z0-9_-]*", re.I), MASK),
    # Passwords in URLs: scheme://user:password@host.
    (
        re.compile(r"(?P<k>\b[a-z][a-z0-9+.-]*://[^\s:/@\"'\\]*:)[^\s@\"'\\]+(?=@)", re.I),
        r"\g<k>" + MASK,
    ),
]

_known_secrets: set[str] = set()
_sink_ids: list[int] = []


def redact(text: str) -> str:
    """Mask credentials in one rendered log line (or any text bound for logs or Sentry)."""
    lowered = text.lower()
    if any(hint in lowered for hint in _SECRET_HINTS):
        for pattern, replacement in _SECRET_PATTERNS:
            text = pattern.sub(replacement, text)
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def setup_logging(*, level: str, json_logs: bool, secrets: Iterable[str | None] = ()) -> None:
    """Route all logging through loguru at `level`, as JSON lines or readable text.

    `secrets` are exact values (SECRET_KEY, the database password) masked wherever they
    appear, on top of the pattern-based redaction. Calling it again reconfigures.
    """
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
    _remember_secrets(secrets)

    for sink_id in _sink_ids or [0]:  # 0: loguru's default stderr sink, removed once
        with contextlib.suppress(ValueError):
            logger.remove(sink_id)
    _sink_ids.clear()
    logger.configure(patcher=_patch)
    if json_logs:
        # The sink renders the whole record itself; loguru's text rendering is not needed.
        _sink_ids.append(logger.add(_write_json, level=level, format=_no_text))
    else:
        _sink_ids.append(
            logger.add(
                _RedactingStderr(),
                level=level,
                format=_text_format,
                colorize=sys.stderr.isatty(),
                backtrace=False,
                diagnose=False,  # diagnose prints local variables, tokens included
            )
        )
    _route_stdlib_logging(logger.level(level).no)


def _remember_secrets(secrets: Iterable[str | None]) -> None:
    _known_secrets.clear()
    for secret in secrets:
        # Short values would mask ordinary words; the patterns still cover them in context.
        if secret and len(secret) >= 8:
            _known_secrets.add(secret)
            _known_secrets.add(json.dumps(secret)[1:-1])  # as it appears inside a JSON line


def _route_stdlib_logging(level_no: int) -> None:
    logging.basicConfig(handlers=[_InterceptHandler()], level=level_no, force=True)
    for name in _SERVER_LOGGERS:
        std_logger = logging.getLogger(name)
        std_logger.handlers.clear()
        std_logger.propagate = True
        std_logger.setLevel(logging.NOTSET)
    for name in _ACCESS_LOGGERS:
        std_logger = logging.getLogger(name)
        std_logger.handlers.clear()
        std_logger.propagate = False
        std_logger.disabled = True
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(level_no, logging.WARNING))


class _InterceptHandler(logging.Handler):
    """Hands standard-library records to loguru, keeping their logger name and call site."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        # Point loguru at the caller of the stdlib logger, not at the logging module.
        frame, depth = inspect.currentframe(), 0
        while frame is not None and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).bind(**{_STDLIB_NAME: record.name}).log(
            level, record.getMessage()
        )


def _patch(record: Record) -> None:
    extra = record["extra"]
    stdlib_name = extra.pop(_STDLIB_NAME, None)
    if stdlib_name is not None:
        record["name"] = stdlib_name
    if "request_id" not in extra:
        extra["request_id"] = current_request_id()


def _json_line(record: Record) -> str:
    fields: dict[str, Any] = {
        "timestamp": record["time"].astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
        "level": record["level"].name,
        "logger": record["name"],
        "message": record["message"],
    }
    for key, value in record["extra"].items():
        fields.setdefault(key, value)
    exception = record["exception"]
    if exception is not None:
        fields["exception"] = "".join(
            traceback.format_exception(exception.type, exception.value, exception.traceback)
        )
    return json.dumps(fields, default=str, ensure_ascii=False)


def _write_json(message: Message) -> None:
    # sys.stderr is looked up per line so that a replaced stream (tests, servers) is honored.
    sys.stderr.write(redact(_json_line(message.record)) + "\n")


def _no_text(_record: Record) -> str:
    return ""


def _text_format(record: Record) -> str:
    request_id = (
        " <magenta>{extra[request_id]}</magenta> |" if record["extra"]["request_id"] else ""
    )
    return (
        "<green>{time:HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | <cyan>{name}</cyan> |"
        + request_id
        + " <level>{message}</level>\n{exception}"
    )


class _RedactingStderr:
    """A text sink that masks secrets in each rendered line, tracebacks included."""

    def write(self, message: Message) -> None:
        sys.stderr.write(redact(message))

    def flush(self) -> None:
        sys.stderr.flush()
