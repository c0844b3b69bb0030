"""The reference for `make bench`: the leanest app that answers the benchmarked requests.

Starlette and an asyncpg pool, one SQL statement per request, JSON built by hand
from the rows in the shape the service gives (Prisma field names, ISO-8601 UTC
dates with milliseconds and `Z`, Decimal and BigInt as strings). No ORM, no
validation beyond what the statements need, no auth, no logging: the service's
figures are read as a ratio to this app's, over the same database. Of the list's
`where` and `include` it answers the one shape the benchmark asks for,
`where[status]=...&include[author]=true`, with the author joined in the same statement.

Run: DATABASE_URL=... uvicorn scripts.bench.reference:app
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.core.dburl import libpq_url

# The statements are assembled from these constant fragments only; every value
# from a request is a bind parameter.
PAGE_FIELDS = (
    "id", "title", "slug", "content", "status", "published", "keywords", "metadata",
    "price", "viewCount", "authorId", "parentId", "createdAt", "updatedAt",
)  # fmt: skip
AUTHOR_FIELDS = ("id", "email", "name", "role", "createdAt", "updatedAt")
COLUMNS = ", ".join(f'"{field}"' for field in PAGE_FIELDS)
PAGE_COLUMNS = ", ".join(f'page."{field}"' for field in PAGE_FIELDS)
# Prefixed, so that they do not clash with the page's own id and dates.
AUTHOR_COLUMNS = ", ".join(f'author."{field}" AS "author_{field}"' for field in AUTHOR_FIELDS)

GET_SQL = f'SELECT {COLUMNS} FROM "Page" WHERE "id" = $1'  # noqa: S608

# Newest first, the id breaking ties: the order the benchmark asks the service for.
ORDER = 'ORDER BY page."createdAt" DESC, page."id" DESC'
LIMIT = "LIMIT $1 OFFSET $2"

# The count rides along in the same statement; the LEFT JOIN keeps it when the
# page is empty (a single row of NULL columns). The estimate is the whole table's,
# so it is offered for unfiltered lists only.
COUNTS = {
    "exact": 'SELECT count(*) FROM "Page" AS page {where}',
    "estimated": "SELECT reltuples::bigint FROM pg_class WHERE oid = '\"Page\"'::regclass",
    "none": "SELECT NULL::bigint",
}

# The enum's database labels (`@map`) and the names Prisma answers with.
ROLE_NAMES = {"admin": "ADMIN", "editor": "EDITOR", "viewer": "VIEWER"}
PAGE_STATUSES = frozenset({"DRAFT", "PUBLISHED", "ARCHIVED"})


@dataclass(frozen=True)
class ListShape:
    """What a list request asks for, as far as its statement differs."""

    count: str
    keyset: bool  # from a cursor
    by_status: bool  # where[status]=...
    with_author: bool  # include[author]=true


def _where(conditions: list[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def list_sql(shape: ListShape) -> str:
    """One statement: the count, and the page with its author joined when asked for.
    Parameters: $1 limit, $2 offset, then the status, then the cursor's two keys."""
    numbers = itertools.count(3)
    filters = [f'page."status" = ${next(numbers)}'] if shape.by_status else []
    conditions = list(filters)  # the keyset narrows the page, not the count
    if shape.keyset:
        conditions.append(f'(page."createdAt", page."id") < (${next(numbers)}, ${next(numbers)})')
    columns, source = PAGE_COLUMNS, '"Page" AS page'
    if shape.with_author:
        columns += f", {AUTHOR_COLUMNS}"
        source += ' JOIN "User" AS author ON author."id" = page."authorId"'
    count = COUNTS[shape.count].format(where=_where(filters))
    return (
        f"SELECT counted.total, listed.* FROM ({count}) AS counted(total) "  # noqa: S608
        f"LEFT JOIN LATERAL (SELECT {columns} FROM {source} {_where(conditions)} "
        f"{ORDER} {LIMIT}) AS listed ON true"
    )


LIST_SQL = {
    shape: list_sql(shape)
    for shape in itertools.starmap(
        ListShape, itertools.product(COUNTS, (False, True), (False, True), (False, True))
    )
    if not (shape.by_status and shape.count == "estimated")
}

CREATE_SQL = f"""
INSERT INTO "Page" ("id", "title", "slug", "content", "status", "published", "keywords",
                    "metadata", "price", "authorId", "parentId", "createdAt", "updatedAt")
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
RETURNING {COLUMNS}
"""  # noqa: S608


# How the benchmark tells the reference's connections from the other apps'.
REFERENCE_APPLICATION_NAME = "bench reference"


def now_ms() -> datetime:
    """Now as Prisma stores it: naive UTC, truncated to milliseconds."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds") + "Z"


def page_json(row: asyncpg.Record) -> dict[str, Any]:
    price = row["price"]
    return {
        "id": row["id"],
        "title": row["title"],
        "slug": row["slug"],
        "content": row["content"],
        "status": row["status"],
        "published": row["published"],
        "keywords": row["keywords"],
        "metadata": row["metadata"],
        "price": None if price is None else str(price),
        "viewCount": str(row["viewCount"]),
        "authorId": row["authorId"],
        "parentId": row["parentId"],
        "createdAt": iso(row["createdAt"]),
        "updatedAt": iso(row["updatedAt"]),
    }


def author_json(row: asyncpg.Record) -> dict[str, Any]:
    """The author joined to a page row, under Prisma's names."""
    return {
        "id": row["author_id"],
        "email": row["author_email"],
        "name": row["author_name"],
        "role": ROLE_NAMES[row["author_role"]],
        "createdAt": iso(row["author_createdAt"]),
        "updatedAt": iso(row["author_updatedAt"]),
    }


def listed_json(row: asyncpg.Record, *, with_author: bool) -> dict[str, Any]:
    page = page_json(row)
    if with_author:
        page["author"] = author_json(row)
    return page


def encode_cursor(row: asyncpg.Record) -> str:
    raw = json.dumps([row["createdAt"].isoformat(), row["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    created_at, page_id = json.loads(base64.urlsafe_b64decode(cursor))
    return datetime.fromisoformat(created_at), page_id


_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_counter = itertools.count(secrets.randbelow(36**4))
_fingerprint = ""


def _b36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits))


def cuid() -> str:
    """A Prisma-style cuid (v1 layout: c, time, counter, fingerprint, random; 25 chars)."""
    millis = int(time.time() * 1000)
    return (
        "c"
        + _b36(millis, 8)
        + _b36(next(_counter), 4)
        + _fingerprint
        + _b36(secrets.randbelow(36**8), 8)
    )


def error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": True})


async def get_page(request: Request) -> JSONResponse:
    row = await pool(request).fetchrow(GET_SQL, request.path_params["id"])
    if row is None:
        return error(404, "Page not found")
    return JSONResponse(page_json(row))


async def list_pages(request: Request) -> JSONResponse:
    params = request.query_params
    try:
        limit = int(params.get("limit", "100"))
        skip = int(params.get("skip", "0"))
        cursor = params.get("cursor")
        after = decode_cursor(cursor) if cursor else None
    except (ValueError, binascii.Error):
        return error(422, "Invalid skip, limit or cursor")
    count = params.get("count", "exact")
    if count not in COUNTS or not 1 <= limit <= 100 or skip < 0:
        return error(422, "Invalid count, skip or limit")
    status = params.get("where[status]")
    if status is not None and status not in PAGE_STATUSES:
        return error(422, "Invalid where[status]")
    with_author = params.get("include[author]") == "true"
    sql = LIST_SQL.get(ListShape(count, after is not None, status is not None, with_author))
    if sql is None:
        return error(422, "count=estimated is not offered with a filter")
    args = (limit, skip, *([status] if status else []), *(after or ()))
    rows = await pool(request).fetch(sql, *args)
    pages = [row for row in rows if row["id"] is not None]
    body: dict[str, Any] = {
        "data": [listed_json(row, with_author=with_author) for row in pages],
        "count": rows[0]["total"],
    }
    body["nextCursor"] = encode_cursor(pages[-1]) if len(pages) == limit else None
    return JSONResponse(body)


async def create_page(request: Request) -> JSONResponse:
    try:
        body = await request.json()
        price = body.get("price")
        args = (
            cuid(),
            body["title"],
            body["slug"],
            body.get("content"),
            body.get("status", "DRAFT"),
            body.get("published", False),
            body.get("keywords", []),
            body.get("metadata"),
            None if price is None else Decimal(price),
            body["authorId"],
            body.get("parentId"),
            now_ms(),
        )
    except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation):
        return error(422, "Invalid page")
    try:
        row = await pool(request).fetchrow(CREATE_SQL, *args)
    except asyncpg.UniqueViolationError:
        return error(409, "A page with this slug already exists")
    except asyncpg.ForeignKeyViolationError:
        return error(422, "The author or parent page does not exist")
    assert row is not None
    return JSONResponse(page_json(row), status_code=201)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


def create_app(database_url: str | None = None) -> Starlette:
    """The reference app over `database_url` (default: the DATABASE_URL variable)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        global _fingerprint
        _fingerprint = _b36(os.getpid(), 4)
        size = int(os.environ.get("REFERENCE_POOL_SIZE", "10"))
        app.state.pool = await asyncpg.create_pool(
            libpq_url(database_url or os.environ["DATABASE_URL"]),
            min_size=size,
            max_size=size,
            init=_init_connection,
            server_settings={"jit": "off", "application_name": REFERENCE_APPLICATION_NAME},
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[
            Route("/api/v1/utils/health-check", health),
            Route("/api/v1/pages/", list_pages),
            Route("/api/v1/pages/", create_page, methods=["POST"]),
            Route("/api/v1/pages/{id}", get_page),
        ],
        lifespan=lifespan,
    )


app = create_app()
