"""Lists answer Prisma's `where`, `orderBy` and `include` as Prisma Client's own `findMany`
does over the same rows (tests/prisma_oracle), sent as the npm `qs` package writes them."""

import secrets
from typing import Any
from urllib.parse import quote

import pytest
from httpx import AsyncClient

from tests.prisma_oracle import PrismaOracle

# (where, orderBy): each is sent to both, restricted to this module's rows.
CASES: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    "contains, any case": (
        {"title": {"contains": "INTRO", "mode": "insensitive"}},
        [{"title": "asc"}],
    ),
    "to-one relation filter": ({"author": {"is": {"role": "EDITOR"}}}, [{"createdAt": "desc"}]),
    "to-many through m2m": (
        {"tags": {"some": {"name": {"endsWith": "-intro"}}}},
        [{"slug": "desc"}],
    ),
    "every and none": (
        # (qs writes nothing for an empty object: `none: {}` needs a condition to travel)
        {
            "tags": {"every": {"name": {"contains": "intro"}}},
            "NOT": {"tags": {"none": {"id": {"gt": 0}}}},
        },
        [{"slug": "asc"}],
    ),
    "OR with numbers and enums": (
        {"OR": [{"status": "PUBLISHED"}, {"price": {"gte": "10"}}]},
        [{"price": {"sort": "asc", "nulls": "last"}}, {"slug": "asc"}],
    ),
    "lists": ({"keywords": {"hasSome": ["k1", "k3"]}}, [{"slug": "asc"}]),
    "null tests": ({"content": None, "parentId": {"not": None}}, [{"slug": "asc"}]),
    "two relation levels": (
        {"author": {"is": {"profile": {"is": {"bio": {"startsWith": "bio"}}}}}},
        [{"price": {"sort": "desc", "nulls": "first"}}, {"slug": "asc"}],
    ),
    "in and notIn": (
        {"status": {"in": ["DRAFT", "ARCHIVED"]}, "published": {"not": True}},
        [{"status": "asc"}, {"title": "desc"}, {"slug": "asc"}],
    ),
}
INCLUDE = {"author": {"include": {"profile": True}}, "tags": True, "parent": True}


def _pairs(value: Any, prefix: str = "") -> list[tuple[str, str | None]]:
    if isinstance(value, dict):
        pairs = []
        for key, item in value.items():
            pairs += _pairs(item, f"{prefix}[{key}]" if prefix else key)
        return pairs
    if isinstance(value, list):
        return [pair for i, item in enumerate(value) for pair in _pairs(item, f"{prefix}[{i}]")]
    if value is None:
        return [(prefix, None)]
    return [(prefix, "true" if value is True else "false" if value is False else str(value))]


def qs(value: dict[str, Any]) -> str:
    """What `qs.stringify(value, { strictNullHandling: true })` writes: null is a bare key."""
    return "&".join(
        quote(key, safe="[]") if item is None else f"{quote(key, safe='[]')}={quote(item)}"
        for key, item in _pairs(value)
    )


@pytest.fixture(scope="module")
async def run(client: AsyncClient) -> str:
    """Pages, authors (with and without profiles, each role), tags and links of their own."""
    run = f"q{secrets.token_hex(4)}"
    users = []
    for i, role in enumerate(["EDITOR", "ADMIN", "EDITOR"]):
        user = await client.post(
            "/users/", json={"email": f"{run}-{i}@example.com", "role": role, "name": f"U{i}"}
        )
        users.append(user.json())
        if i != 2:
            await client.post("/profiles/", json={"userId": user.json()["id"], "bio": f"bio {i}"})
    tags = [
        (await client.post("/tags/", json={"name": f"{run}-{name}"})).json()
        for name in ("intro", "other-intro", "misc")
    ]
    parent = None
    for i in range(9):
        body: dict[str, Any] = {
            "title": ["Intro to X", "Deep dive", "intro again", "Zed"][i % 4],
            "slug": f"{run}-{i}",
            "authorId": users[i % 3]["id"],
            "status": ["DRAFT", "PUBLISHED", "ARCHIVED"][i % 3],
            "published": i % 2 == 0,
            "keywords": [["k1"], ["k2", "k3"], []][i % 3],
            "price": [None, "9.5", "12", "10"][i % 4],
            "content": None if i % 3 == 0 else "text",
            "parentId": parent if i % 4 == 3 else None,
            "tags": {"connect": [{"id": tag["id"]} for tag in tags[: i % 4]]},
        }
        page = await client.post("/pages/", json=body)
        assert page.status_code == 201, page.text
        parent = parent or page.json()["id"]
    return run


def _sorted_relations(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Prisma leaves the order of an included list to the database: compare as sets.
    for row in rows:
        row["tags"] = sorted(row["tags"], key=lambda tag: tag["id"])
    return rows


@pytest.mark.parametrize("case", CASES)
async def test_a_list_is_what_prisma_finds(
    client: AsyncClient, prisma_oracle: PrismaOracle, run: str, case: str
) -> None:
    where, order_by = CASES[case]
    scoped = {"AND": [where, {"slug": {"startsWith": run}}]}
    query = qs({"where": scoped, "orderBy": order_by, "include": INCLUDE, "limit": 100})
    ours = await client.get(f"/pages/?{query}")
    assert ours.status_code == 200, ours.text
    # Ours ends every order with the key, in the first key's direction; Prisma is told so.
    first = next(iter(order_by[0].values()))
    tiebreak = {"id": first["sort"] if isinstance(first, dict) else first}
    theirs = prisma_oracle.query(
        "Page",
        "findMany",
        {"where": scoped, "orderBy": [*order_by, tiebreak], "include": INCLUDE},
    )
    assert theirs, f"{case} selects no rows: the comparison would prove nothing"
    assert _sorted_relations(ours.json()["data"]) == _sorted_relations(theirs)


async def test_a_cursor_walk_under_a_custom_order_sees_what_prisma_orders(
    client: AsyncClient, prisma_oracle: PrismaOracle, run: str
) -> None:
    order_by = [{"price": {"sort": "asc", "nulls": "first"}}, {"title": "desc"}, {"slug": "asc"}]
    scoped = {"slug": {"startsWith": run}}
    walked: list[str] = []
    query = qs({"where": scoped, "orderBy": order_by, "limit": 2})
    cursor = ""
    while True:
        page = (await client.get(f"/pages/?{query}{cursor}")).json()
        walked += [row["slug"] for row in page["data"]]
        if page["nextCursor"] is None:
            break
        cursor = f"&cursor={quote(page['nextCursor'])}"
    theirs = prisma_oracle.query("Page", "findMany", {"where": scoped, "orderBy": order_by})
    assert walked == [row["slug"] for row in theirs]
