"""The oracle answers as Prisma Client does, for rows written behind its back in SQL."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import psycopg
import pytest

from app.core.dburl import libpq_url, parse
from scripts.prisma_client import client_schema
from scripts.throwaway_pg import database_on
from tests.prisma_oracle import PrismaError, PrismaOracle, start_oracle

BIG = 2**53 + 1  # a BigInt a JavaScript number cannot hold


@dataclass(frozen=True)
class Rows:
    user_id: str
    page_id: str
    tag_ids: list[int]
    audit_id: int
    correlation_id: str


@pytest.fixture
async def rows(database_url: str) -> AsyncIterator[Rows]:
    """A user, a page with every column set, two tags and an audit log row, in SQL."""
    run = secrets.token_hex(4)
    user_id, page_id = f"oracle-user-{run}", f"oracle-page-{run}"
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        await conn.execute(
            'INSERT INTO "User" ("id", "email", "role", "createdAt", "updatedAt") '
            "VALUES ($1, $2, 'admin', $3, $3)",
            user_id,
            f"{run}@oracle.example",
            datetime(2026, 1, 2, 3, 4, 5, 678000),
        )
        await conn.execute(
            'INSERT INTO "Page" ("id", "title", "slug", "status", "keywords", "metadata", '
            '"price", "viewCount", "authorId", "createdAt", "updatedAt") '
            "VALUES ($1, 'Oracle', $2, 'PUBLISHED', $3, $4, 9.90, $5, $6, $7, $7)",
            page_id,
            f"oracle-{run}",
            ["one", "two"],
            '{"nested": {"list": [1, 2.5, null, "x"]}, "flag": true}',
            BIG,
            user_id,
            datetime(2026, 1, 2, 3, 4, 5, 7000),
        )
        tag_ids = [
            await conn.fetchval('INSERT INTO "Tag" ("name") VALUES ($1) RETURNING "id"', name)
            for name in (f"oracle-a-{run}", f"oracle-b-{run}")
        ]
        await conn.executemany(
            'INSERT INTO "_PageToTag" ("A", "B") VALUES ($1, $2)',
            [(page_id, tag_id) for tag_id in tag_ids],
        )
        correlation_id = "0190b2a4-4f5e-7c3d-8a9b-0123456789ab"
        audit_id = await conn.fetchval(
            'INSERT INTO "audit_logs" ("event_id", "request_id", "trace_id", "correlation_id", '
            '"action", "actor_id", "payload") VALUES ($1, $1, $1, $2, \'oracle\', $3, $4) '
            'RETURNING "id"',
            f"oracle-{run}",
            correlation_id,
            user_id,
            '{"price": "9.90"}',
        )
        yield Rows(user_id, page_id, tag_ids, audit_id, correlation_id)
    finally:
        await conn.execute('DELETE FROM "audit_logs" WHERE "actor_id" = $1', user_id)
        await conn.execute('DELETE FROM "Page" WHERE "authorId" = $1', user_id)
        await conn.execute('DELETE FROM "Tag" WHERE "name" LIKE $1', f"oracle-_-{run}")
        await conn.execute('DELETE FROM "User" WHERE "id" = $1', user_id)
        await conn.close()


def test_every_type_has_prismas_json_form(prisma_oracle: PrismaOracle, rows: Rows) -> None:
    page = prisma_oracle.query(
        "Page",
        "findUnique",
        {"where": {"id": rows.page_id}, "include": {"author": True, "tags": True}},
    )
    assert page["status"] == "PUBLISHED"
    assert page["price"] == "9.9"  # decimal.js prints no trailing zeros
    assert page["viewCount"] == str(BIG)  # exact, as a string
    assert page["keywords"] == ["one", "two"]
    assert page["metadata"] == {"nested": {"list": [1, 2.5, None, "x"]}, "flag": True}
    assert page["createdAt"] == "2026-01-02T03:04:05.007Z"
    assert page["content"] is None
    assert page["author"]["role"] == "ADMIN"  # the database holds "admin"
    assert page["author"]["createdAt"] == "2026-01-02T03:04:05.678Z"
    assert sorted(tag["id"] for tag in page["tags"]) == rows.tag_ids

    log = prisma_oracle.query("AuditLog", "findUnique", {"where": {"id": rows.audit_id}})
    assert log["id"] == str(rows.audit_id)
    assert log["correlationId"] == rows.correlation_id  # @db.Uuid as its string
    assert log["actorId"] == rows.user_id  # @map'ped column under its Prisma name
    assert log["payload"] == {"price": "9.90"}


def test_tagged_arguments_reach_prisma_as_their_types(
    prisma_oracle: PrismaOracle, rows: Rows
) -> None:
    mine = {"authorId": rows.user_id}
    for where in (
        {"createdAt": {"gt": datetime(2026, 1, 2, 3, 4, 5, 6000)}},
        {"price": {"equals": Decimal("9.9")}},
        {"viewCount": {"equals": {"$bigint": str(BIG)}}},
        {"keywords": {"has": "two"}},
        {"tags": {"some": {"id": rows.tag_ids[1]}}},
    ):
        assert prisma_oracle.query("Page", "count", {"where": {**mine, **where}}) == 1, where
    later = {"createdAt": {"gt": datetime(2026, 1, 2, 3, 4, 5, 7000)}}
    assert prisma_oracle.query("Page", "count", {"where": {**mine, **later}}) == 0
    users = prisma_oracle.query(
        "User", "findMany", {"where": {"id": rows.user_id, "role": "ADMIN"}, "select": {"id": True}}
    )
    assert users == [{"id": rows.user_id}]


def test_writes_answer_with_prismas_defaults(prisma_oracle: PrismaOracle, rows: Rows) -> None:
    created = prisma_oracle.query(
        "Page",
        "create",
        {
            "data": {
                "title": "Made by Prisma",
                "slug": f"{rows.page_id}-2",
                "authorId": rows.user_id,
            }
        },
    )
    assert (created["status"], created["published"], created["viewCount"]) == ("DRAFT", False, "0")
    assert created["id"].startswith("c") and len(created["id"]) == 25  # cuid()
    updated = prisma_oracle.query(
        "Page", "update", {"where": {"id": created["id"]}, "data": {"price": "10.00"}}
    )
    assert updated["price"] == "10"
    assert updated["updatedAt"] > created["updatedAt"]


def test_prismas_refusals_come_back_with_its_code(prisma_oracle: PrismaOracle, rows: Rows) -> None:
    page = prisma_oracle.query("Page", "findUnique", {"where": {"id": rows.page_id}})
    duplicate = {"title": "Again", "slug": page["slug"], "authorId": rows.user_id}
    with pytest.raises(PrismaError) as refused:
        prisma_oracle.query("Page", "create", {"data": duplicate})
    assert refused.value.code == "P2002"
    with pytest.raises(PrismaError, match="unknown model"):
        prisma_oracle.query("Nothing", "findMany")
    with pytest.raises(PrismaError, match="Unknown argument `nope`"):
        prisma_oracle.query("Page", "findMany", {"where": {"nope": 1}})
    # The oracle keeps answering after a refusal.
    assert prisma_oracle.query("Page", "count", {"where": {"id": rows.page_id}}) == 1


def test_the_generated_schema_keeps_preview_features_and_drops_urls() -> None:
    original = (
        'generator client {\n  provider = "prisma-client-js"\n  previewFeatures = ["views"]\n}\n'
        'generator zod {\n  provider = "zod-prisma"\n}\n'
        'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n'
        '  directUrl = env("DIRECT_URL")\n}\n'
        "model A {\n  id Int @id\n  url String\n}\n"
    )
    schema = client_schema(original, "client")
    assert schema.count("generator ") == 1
    assert 'provider = "prisma-client-js"' in schema
    assert 'previewFeatures = ["views"]' in schema
    assert "env(" not in schema
    assert "url String" in schema  # a model's field named url stays


BYTES_SCHEMA = """
datasource db {
  provider = "postgresql"
}

model Blob {
  id   Int   @id
  data Bytes
}
"""


def test_bytes_are_answered_as_base64_for_any_schema(database_url: str, tmp_path: Path) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text(BYTES_SCHEMA)
    server = parse(database_url).set(database="postgres").render_as_string(hide_password=False)
    with database_on(server, "oracle") as url:
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            conn.execute('CREATE TABLE "Blob" ("id" integer PRIMARY KEY, "data" bytea NOT NULL)')
            conn.execute('INSERT INTO "Blob" VALUES (1, %s)', [b"\x00\xffPrisma"])
        with start_oracle(url, schema) as oracle:
            assert oracle.query("Blob", "findUnique", {"where": {"id": 1}}) == {
                "id": 1,
                "data": "AP9QcmlzbWE=",
            }
            created = oracle.query("Blob", "create", {"data": {"id": 2, "data": b"\x01\x02"}})
            assert created["data"] == "AQI="
