"""Keyset paging (`cursor` / `nextCursor`) beside `skip`, and the count modes."""

import base64
import json
from typing import Any

import pytest
from httpx import AsyncClient

from app import crud
from tests.api.conftest import unique_slug

ORDERINGS: list[dict[str, str]] = [
    {"orderBy[createdAt]": "desc"},
    {"orderBy[createdAt]": "asc"},
    {"orderBy[title]": "asc"},
    {"orderBy[title]": "desc"},
    {"orderBy[updatedAt]": "desc"},
    {"orderBy[0][title]": "asc", "orderBy[1][createdAt]": "desc"},  # mixed directions
]


@pytest.fixture
async def author_pages(client: AsyncClient, author_id: str) -> int:
    """Seven pages of one new author; titles repeat, so the id breaks ties."""
    titles = ["b", "a", "c", "b", "a", "b", "d"]
    for title in titles:
        body = {"title": title, "slug": unique_slug(), "authorId": author_id}
        assert (await client.post("/pages/", json=body)).status_code == 201
    return len(titles)


async def _list(client: AsyncClient, params: dict[str, Any]) -> dict:
    response = await client.get("/pages/", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_cursor_walk_sees_the_rows_a_skip_walk_sees(
    client: AsyncClient, author_id: str, author_pages: int
) -> None:
    for order_by in ORDERINGS:
        query = {"where[authorId]": author_id, **order_by, "limit": 2}
        by_skip = []
        for skip in range(0, author_pages, 2):
            by_skip += [
                page["id"] for page in (await _list(client, {**query, "skip": skip}))["data"]
            ]

        by_cursor, cursor, pages = [], None, 0
        while True:
            page = await _list(client, {**query, **({"cursor": cursor} if cursor else {})})
            by_cursor += [row["id"] for row in page["data"]]
            pages += 1
            cursor = page["nextCursor"]
            if cursor is None:
                break
        assert by_cursor == by_skip, order_by
        assert len(by_cursor) == author_pages and pages == 4  # 2+2+2+1, no empty last page
    # A page that ends exactly at the last row has no next cursor either.
    mine = {"where[authorId]": author_id}
    assert (await _list(client, {**mine, "limit": author_pages}))["nextCursor"] is None
    assert (await _list(client, {**mine, "limit": author_pages - 1}))["nextCursor"]


async def _cursor(
    client: AsyncClient, author_id: str, order_by: dict[str, str] | None = None
) -> str:
    page = await _list(client, {"where[authorId]": author_id, **(order_by or {}), "limit": 2})
    return page["nextCursor"]


def _tampered(cursor: str, change: object) -> str:
    ordering, values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    values[0] = change
    raw = json.dumps([ordering, values]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_a_tampered_or_misused_cursor_is_422(
    client: AsyncClient, author_id: str, author_pages: int
) -> None:
    cursor = await _cursor(client, author_id)
    for tampered in [
        cursor[:-3],
        "not a cursor",
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        _tampered(cursor, 12),
        _tampered(cursor, "yesterday"),
        _tampered(cursor, None),
    ]:
        response = await client.get(
            "/pages/", params={"where[authorId]": author_id, "cursor": tampered}
        )
        assert response.status_code == 422, tampered
        assert response.json()["detail"][0]["loc"] == ["query", "cursor"]

    cursor = await _cursor(client, author_id, {"orderBy[title]": "asc"})
    other = await client.get("/pages/", params={"orderBy[title]": "desc", "cursor": cursor})
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert "same orderBy" in other.json()["detail"][0]["msg"]
    # The default order is an order too: a title cursor is no cursor for createdAt.
    default = await client.get("/pages/", params={"cursor": cursor})
    assert default.status_code == 422
    assert "same orderBy" in default.json()["detail"][0]["msg"]
    both = await client.get(
        "/pages/", params={"orderBy[title]": "asc", "cursor": cursor, "skip": 2}
    )
    assert both.status_code == 422
    assert "skip" in both.json()["detail"][0]["msg"]


async def test_count_modes(client: AsyncClient, author_id: str, author_pages: int) -> None:
    query = {"where[authorId]": author_id, "limit": 2}
    assert (await _list(client, {**query, "count": "exact"}))["count"] == author_pages
    assert (await _list(client, {**query, "count": "none"}))["count"] is None
    # Estimates this small are counted exactly; estimated is the default.
    assert (await _list(client, {**query, "count": "estimated"}))["count"] == author_pages
    assert (await _list(client, query))["count"] == author_pages
    empty = await _list(
        client, {"where[authorId]": author_id, "skip": author_pages, "count": "exact"}
    )
    assert empty == {"data": [], "count": author_pages, "nextCursor": None}
    bad = await client.get("/pages/", params={"count": "roughly"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "count"]


async def test_a_large_estimate_is_the_planners(
    client: AsyncClient, author_id: str, author_pages: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crud, "ESTIMATE_EXACT_BELOW", 0)  # every estimate counts as large
    for query in ({"where[authorId]": author_id}, {}):  # the plan's estimate, the table's
        page = await _list(client, {**query, "limit": 3, "count": "estimated"})
        assert isinstance(page["count"], int)
        assert page["count"] >= len(page["data"]) == 3  # never below the rows seen
