"""Seed a benchmark database with pages across authors and tags, fast.

Everything is generated inside PostgreSQL with `generate_series`, so a million
pages take seconds, not minutes. Values look like what Prisma writes: cuid-shaped
page ids, uuid user ids, naive UTC timestamps truncated to milliseconds.
Foreign keys hold by construction, so their per-row checks are skipped while
seeding when the role may do so (superuser); otherwise they simply run. Secondary
indexes are dropped during the load and recreated from their own definitions
(a sorted build is several times faster than a million random inserts): the
schema afterwards is exactly what the migrations made.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

TAG_COUNT = 50
# Ids handed to the load generator: enough that repeated ids hit the cache as
# they would in production, not so many that the Lua state grows large.
SAMPLE_IDS = 2000

USERS_SQL = """
INSERT INTO "User" ("id", "email", "name", "role", "createdAt", "updatedAt")
SELECT md5('user' || i)::uuid::text,
       'author' || i || '@example.com',
       'Author ' || i,
       (ARRAY['admin', 'editor', 'viewer']::"user_role"[])[1 + i % 3],
       timestamp '2024-01-01' + i * interval '1 minute',
       timestamp '2024-01-01' + i * interval '1 minute'
FROM generate_series(1, $1) AS i
"""

TAGS_SQL = """
INSERT INTO "Tag" ("name") SELECT 'tag-' || i FROM generate_series(1, $1) AS i
"""

# Page i: id 'c' + 24 hex digits (cuid-shaped, random order relative to time),
# slug 'page-i', createdAt strictly increasing with i at millisecond precision.
PAGES_SQL = """
INSERT INTO "Page" ("id", "title", "slug", "content", "status", "published", "keywords",
                    "metadata", "price", "viewCount", "authorId", "parentId",
                    "createdAt", "updatedAt")
SELECT 'c' || substr(md5('page' || i), 1, 24),
       'Page ' || i || ' about ' || (ARRAY['postgres', 'python', 'prisma', 'fastapi'])[1 + i % 4],
       'page-' || i,
       repeat('Lorem ipsum dolor sit amet. ', 1 + i % 12),
       (ARRAY['DRAFT', 'PUBLISHED', 'ARCHIVED']::"PageStatus"[])[1 + i % 3],
       i % 3 = 1,
       ARRAY['kw' || i % 50, 'kw' || i % 7],
       CASE WHEN i % 4 = 0 THEN NULL
            ELSE jsonb_build_object('seq', i, 'lang', 'en', 'flags', jsonb_build_array(i % 2 = 0))
       END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE ((i % 100000) / 100.0)::numeric(10, 2) END,
       (i::bigint * 7919) % 1000003,
       md5('user' || (1 + i % $2))::uuid::text,
       CASE WHEN i % 10 = 0 THEN 'c' || substr(md5('page' || (i - 1)), 1, 24) END,
       timestamp '2025-01-01' + i * interval '1 second' + (i % 997) * interval '1 millisecond',
       timestamp '2025-01-01' + i * interval '1 second' + (i % 997) * interval '1 millisecond'
           + (i % 1000) * interval '1 minute'
FROM generate_series(1, $1) AS i
ORDER BY 1  -- primary-key order: appends to the index instead of random inserts
"""

PAGE_TAGS_SQL = """
INSERT INTO "_PageToTag" ("A", "B")
SELECT 'c' || substr(md5('page' || i), 1, 24), t.tag
FROM generate_series(1, $1) AS i,
     -- two distinct tags per page: the second is offset by 1..$2-1 from the first
     LATERAL (VALUES (1 + i % $2), (1 + (i + 1 + i % ($2 - 1)) % $2)) AS t(tag)
ORDER BY 1, 2
"""


# Indexes on the bulk-loaded tables that no constraint owns (Prisma's @@index and
# @unique both create plain indexes), with the DDL that recreates each.
SECONDARY_INDEXES_SQL = """
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl
FROM pg_index AS i
JOIN pg_class AS t ON t.oid = i.indrelid
WHERE t.relname IN ('Page', '_PageToTag')
  AND t.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
"""


@dataclass(frozen=True)
class Seeded:
    page_ids: list[str]  # a random sample, for get-by-id
    author_ids: list[str]  # every author, for create


def author_count(rows: int) -> int:
    """About a hundred pages per author, at least ten authors."""
    return max(10, rows // 100)


async def skip_foreign_key_checks(conn: asyncpg.Connection) -> None:
    """Skip the per-row foreign-key triggers for the rest of this transaction, when the
    role may (a superuser); they would only slow down writes known to be valid."""
    if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        await conn.execute("SET LOCAL session_replication_role = replica")


async def seed(conn: asyncpg.Connection, rows: int) -> Seeded:
    """Insert `rows` pages (and their authors and tags) into an empty, migrated database."""
    authors = author_count(rows)
    async with conn.transaction():
        # Every reference is valid by construction.
        await skip_foreign_key_checks(conn)
        await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        indexes = await conn.fetch(SECONDARY_INDEXES_SQL)
        for index in indexes:
            await conn.execute(f"DROP INDEX {index['name']}")
        await conn.execute(USERS_SQL, authors)
        await conn.execute(TAGS_SQL, TAG_COUNT)
        await conn.execute(PAGES_SQL, rows, authors)
        await conn.execute(PAGE_TAGS_SQL, rows, TAG_COUNT)
        for index in indexes:
            await conn.execute(index["ddl"])
    # Fresh statistics for the planner (and estimated counts); an all-visible map
    # for index-only scans, as a long-lived table would have.
    await conn.execute('VACUUM ANALYZE "User", "Tag", "Page", "_PageToTag"')
    sample = min(SAMPLE_IDS, rows)
    page_ids = await conn.fetch(
        "SELECT 'c' || substr(md5('page' || i), 1, 24) AS id "
        "FROM generate_series(1, $1) AS i ORDER BY random() LIMIT $2",
        rows,
        sample,
    )
    author_ids = await conn.fetch('SELECT "id" FROM "User" ORDER BY "email"')
    return Seeded(
        page_ids=[r["id"] for r in page_ids],
        author_ids=[r["id"] for r in author_ids],
    )
