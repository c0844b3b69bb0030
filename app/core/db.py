"""The async engine over asyncpg: its pool, and the statements' dialect.

The URL is often the one the Prisma app uses, so Prisma's own query parameters
(`schema`, `pgbouncer`, `connection_limit`, ...) are understood or dropped rather
than handed to asyncpg, which would refuse them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import NullPool, event
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core import dburl
from app.core.config import Settings

# Prisma connection-string options that mean nothing to asyncpg.
_PRISMA_ONLY_PARAMS = (
    "connection_limit",
    "pool_timeout",
    "connect_timeout",
    "socket_timeout",
    "sslaccept",
    "sslcert",
    "sslidentity",
    "sslpassword",
    "statement_cache_size",
)


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    pgbouncer: bool

    async def dispose(self) -> None:
        await self.engine.dispose()


def _last(value: str | tuple[str, ...]) -> str:
    """A repeated query parameter counts once, with its last value."""
    return value if isinstance(value, str) else value[-1]


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def engine_options(settings: Settings) -> tuple[URL, dict[str, Any]]:
    """The driver URL and `create_async_engine` keyword arguments for these settings."""
    assert settings.DATABASE_URL is not None
    url = dburl.parse(settings.DATABASE_URL.get_secret_value()).set(drivername="postgresql+asyncpg")
    query = {name: _last(value) for name, value in url.query.items()}
    pgbouncer = settings.DB_PGBOUNCER or query.pop("pgbouncer", "false") == "true"
    schema = query.pop("schema", None)
    sslmode = query.pop("sslmode", None)
    for name in _PRISMA_ONLY_PARAMS:
        query.pop(name, None)
    url = url.set(query=query)

    statement_timeout = settings.DB_STATEMENT_TIMEOUT or None
    connect_args: dict[str, Any] = {"timeout": settings.DB_CONNECT_TIMEOUT}
    if sslmode is not None:
        connect_args["ssl"] = sslmode
    options: dict[str, Any] = {"connect_args": connect_args}
    if pgbouncer:
        # Transaction pooling hands each transaction to any server connection: named
        # prepared statements must not be cached nor reused, PgBouncer refuses unknown
        # startup parameters, and the pooler is the pool. The client-side timeout is
        # the only statement limit here (or the role's own statement_timeout).
        connect_args.update(
            statement_cache_size=0,
            prepared_statement_cache_size=0,
            prepared_statement_name_func=_unique_statement_name,
            command_timeout=statement_timeout,
        )
        options["poolclass"] = NullPool
    else:
        server_settings = {"application_name": settings.PROJECT_NAME[:63], "jit": "off"}
        if statement_timeout is not None:
            server_settings["statement_timeout"] = str(int(statement_timeout * 1000))
            # Backstop for a server that stops answering altogether.
            connect_args["command_timeout"] = statement_timeout + settings.DB_CONNECT_TIMEOUT
        if schema is not None:
            server_settings["search_path"] = schema
        connect_args["server_settings"] = server_settings
        options.update(
            pool_size=settings.DB_POOL_SIZE,
            max_overflow=settings.DB_MAX_OVERFLOW,
            pool_timeout=settings.DB_POOL_TIMEOUT,
            pool_recycle=settings.DB_POOL_RECYCLE,
        )
    return url, options


def _unusable_connection_is_lost(context: ExceptionContext) -> None:
    """Count a connection asyncpg can no longer use as lost, so that the pool drops it.

    A statement cut off by the client-side timeout leaves its connection waiting for the
    cancel, and a server gone in the middle of a request can leave asyncpg refusing every
    call with InternalClientError ("another operation is in progress") before it notices
    the socket closed. SQLAlchemy's own disconnect check asks the socket, hears "open",
    and the connection, unable to roll back, would stay checked out for good. (This is
    for the statements SQLAlchemy runs, such as the schema-fit check; CRUD runs its own
    on the driver and drops such connections itself.)
    """
    error = context.original_exception
    if isinstance(error, TimeoutError) or isinstance(error.__cause__, asyncpg.InternalClientError):
        context.is_disconnect = True


def create_database(settings: Settings) -> Database | None:
    """The engine; None when no DATABASE_URL is configured."""
    if settings.DATABASE_URL is None:
        return None
    url, options = engine_options(settings)
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "handle_error", _unusable_connection_is_lost)
    return Database(engine=engine, pgbouncer=options.get("poolclass") is NullPool)
