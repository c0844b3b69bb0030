"""The benchmark compares like with like: the reference answers as the service does.

Both apps run on the same seeded database; every difference in their JSON would make
the service/reference ratio meaningless.
"""

import re
from pathlib import Path

import asyncpg
from httpx import AsyncClient

from app.core.dburl import libpq_url
from scripts.bench import load
from tests.bench.conftest import ROWS, BenchDatabase

LIST = "/pages/?orderBy[createdAt]=desc"
CUID = re.compile(r"^c[0-9a-z]{24}$")


# Pages with each optional field empty or set.
VARIED_PAGES_SQL = """
(SELECT "id" FROM "Page" WHERE "price" IS NULL LIMIT 2)
UNION ALL (SELECT "id" FROM "Page" WHERE "metadata" IS NULL LIMIT 2)
UNION ALL (SELECT "id" FROM "Page" WHERE "parentId" IS NOT NULL LIMIT 2)
"""


async def test_every_listed_page_is_the_same_json(
    service: AsyncClient, reference_app: AsyncClient
) -> None:
    seen = []
    for skip in range(0, ROWS, 100):
        ours = await service.get(f"{LIST}&limit=100&skip={skip}")
        theirs = await reference_app.get(f"{LIST}&limit=100&skip={skip}")
        assert ours.status_code == theirs.status_code == 200
        assert ours.json()["count"] == theirs.json()["count"] == ROWS
        assert ours.json()["data"] == theirs.json()["data"]
        seen += ours.json()["data"]

    assert len({page["id"] for page in seen}) == ROWS
    # The comparison covered each shape a page takes.
    for key in ("price", "metadata", "parentId"):
        assert {page[key] is None for page in seen} == {True, False}, key


async def test_first_page_of_twenty_with_count_is_the_same(
    service: AsyncClient, reference_app: AsyncClient
) -> None:
    ours = (await service.get(f"{LIST}&limit=20")).json()
    theirs = (await reference_app.get(f"{LIST}&limit=20")).json()
    assert len(ours["data"]) == 20
    assert (ours["data"], ours["count"]) == (theirs["data"], theirs["count"])


async def test_a_filtered_page_with_its_authors_is_the_same_json(
    service: AsyncClient, reference_app: AsyncClient
) -> None:
    query = f"{LIST}&limit=20&where[status]=PUBLISHED&include[author]=true&count=exact"
    ours = (await service.get(query)).json()
    theirs = (await reference_app.get(query)).json()
    assert len(ours["data"]) == 20
    assert {page["status"] for page in ours["data"]} == {"PUBLISHED"}
    assert all(page["author"]["id"] == page["authorId"] for page in ours["data"])
    assert (ours["data"], ours["count"]) == (theirs["data"], theirs["count"])
    assert ours["count"] < ROWS


async def test_a_page_by_id_is_the_same_json(
    service: AsyncClient, reference_app: AsyncClient, bench_database: BenchDatabase
) -> None:
    conn = await asyncpg.connect(libpq_url(bench_database.url))
    try:
        varied = [row["id"] for row in await conn.fetch(VARIED_PAGES_SQL)]
    finally:
        await conn.close()
    ids = bench_database.seeded.page_ids[:3] + varied
    for page_id in ids:
        ours = await service.get(f"/pages/{page_id}")
        theirs = await reference_app.get(f"/pages/{page_id}")
        assert ours.status_code == theirs.status_code == 200
        assert ours.json() == theirs.json()


async def test_an_unknown_id_is_404_on_both(
    service: AsyncClient, reference_app: AsyncClient
) -> None:
    ours = await service.get("/pages/cnothere000000000000000000")
    theirs = await reference_app.get("/pages/cnothere000000000000000000")
    assert ours.status_code == theirs.status_code == 404


def _lua_create_body(slug_prefix: str, author_id: str) -> str:
    """The body wrk.lua posts, rendered as its string.format call would."""
    lua = Path(load.LUA_SCRIPT).read_text()
    declaration = lua.split("local template =", 1)[1].split("function request()", 1)[0]
    template = "".join(re.findall(r"'([^']*)'", declaration))
    return template % (1, slug_prefix, 1, 1, 1, author_id)


async def test_the_benchmark_create_body_is_accepted_alike(
    service: AsyncClient, reference_app: AsyncClient, bench_database: BenchDatabase
) -> None:
    author_id = bench_database.seeded.author_ids[0]
    headers = {"Content-Type": "application/json"}
    ours = await service.post(
        "/pages/", content=_lua_create_body("bench-test-service", author_id), headers=headers
    )
    theirs = await reference_app.post(
        "/pages/", content=_lua_create_body("bench-test-reference", author_id), headers=headers
    )
    try:
        assert ours.status_code == theirs.status_code == 201
        mine, other = ours.json(), theirs.json()
        assert CUID.match(mine["id"]) and CUID.match(other["id"])
        for key in ("createdAt", "updatedAt"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", other[key])
        assert mine.keys() == other.keys()
        different = {"id", "slug", "createdAt", "updatedAt"}
        assert {k: v for k, v in mine.items() if k not in different} == {
            k: v for k, v in other.items() if k not in different
        }
    finally:
        conn = await asyncpg.connect(libpq_url(bench_database.url))
        try:
            await conn.execute('DELETE FROM "Page" WHERE "slug" LIKE $1', "bench-test-%")
        finally:
            await conn.close()


async def test_the_reference_keyset_walk_matches_skip_pages(reference_app: AsyncClient) -> None:
    by_skip, by_cursor, cursor = [], [], None
    for skip in range(0, 200, 50):
        by_skip += (await reference_app.get(f"{LIST}&limit=50&skip={skip}")).json()["data"]
        query = f"&cursor={cursor}" if cursor else ""
        page = (await reference_app.get(f"{LIST}&limit=50&count=none{query}")).json()
        by_cursor += page["data"]
        cursor = page["nextCursor"]
    assert [p["id"] for p in by_cursor] == [p["id"] for p in by_skip]
    assert len(by_skip) == 200


async def test_the_seed_is_shaped_like_prisma_data(bench_database: BenchDatabase) -> None:
    conn = await asyncpg.connect(libpq_url(bench_database.url))
    try:
        pages = await conn.fetch(
            'SELECT "id", "createdAt" FROM "Page" WHERE "slug" LIKE $1', "page-%"
        )
        tags_per_page = await conn.fetch('SELECT count(*) AS n FROM "_PageToTag" GROUP BY "A"')
        authors = await conn.fetchval('SELECT count(DISTINCT "authorId") FROM "Page"')
    finally:
        await conn.close()
    assert len(pages) == ROWS
    assert all(CUID.match(p["id"]) for p in pages)
    assert all(p["createdAt"].microsecond % 1000 == 0 for p in pages)
    assert len({p["createdAt"] for p in pages}) == ROWS
    assert {row["n"] for row in tags_per_page} == {2}
    assert authors == len(bench_database.seeded.author_ids) > 1
