"""Listing pages: filters, whitelisted ordering with an id tiebreak, paging and count."""

from typing import Any

import pytest
from httpx import AsyncClient

from tests.api.conftest import unique_slug


@pytest.fixture
async def shelf(client: AsyncClient, author_id: str) -> None:
    """Pages of one new author, which the tests list by filtering on that author."""
    specs = [
        ("Banana 100%", "DRAFT", False),
        ("apple pie", "PUBLISHED", True),
        ("Cherry", "PUBLISHED", True),
        ("cherry", "ARCHIVED", False),
        ("Cherry", "DRAFT", False),
    ]
    for title, status, published in specs:
        body = {
            "title": title,
            "slug": unique_slug(),
            "authorId": author_id,
            "status": status,
            "published": published,
        }
        response = await client.post("/pages/", json=body)
        assert response.status_code == 201


async def _titles(client: AsyncClient, author_id: str, params: dict[str, Any]) -> list[str]:
    response = await client.get("/pages/", params={"where[authorId]": author_id, **params})
    assert response.status_code == 200, response.text
    return [page["title"] for page in response.json()["data"]]


def _title_contains(text: str) -> dict[str, Any]:
    return {"where[title][contains]": text, "where[title][mode]": "insensitive"}


async def _pages(client: AsyncClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get("/pages/", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_filters_combine_and_count_what_matches(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    response = await client.get(
        "/pages/",
        params={
            "where[authorId]": author_id,
            "where[status]": "PUBLISHED",
            "where[published]": "true",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 2
    assert {page["title"] for page in body["data"]} == {"apple pie", "Cherry"}

    drafts = await client.get(
        "/pages/", params={"where[authorId]": author_id, "where[published]": "false"}
    )
    assert drafts.json()["count"] == 3


async def test_title_search_ignores_case_and_treats_wildcards_literally(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    assert len(await _titles(client, author_id, _title_contains("CHERRY"))) == 3
    assert await _titles(client, author_id, _title_contains("100%")) == ["Banana 100%"]
    assert await _titles(client, author_id, _title_contains("_")) == []
    # Without mode=insensitive the match is case-sensitive, as in Prisma.
    assert len(await _titles(client, author_id, {"where[title][contains]": "Cherry"})) == 2


async def test_ordering_is_whitelisted_and_ties_break_on_id(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    data = await _pages(client, {"where[authorId]": author_id, "orderBy[title]": "asc"})
    assert [p["title"] for p in data] == sorted(p["title"] for p in data)
    cherries = [p["id"] for p in data if p["title"] == "Cherry"]
    assert cherries == sorted(cherries)

    descending = await _pages(client, {"where[authorId]": author_id, "orderBy[title]": "desc"})
    reversed_cherries = [p["id"] for p in descending if p["title"] == "Cherry"]
    assert reversed_cherries == sorted(cherries, reverse=True)


async def test_several_order_keys_apply_in_the_order_written(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    data = await _pages(
        client,
        {
            "where[authorId]": author_id,
            "orderBy[0][published]": "desc",
            "orderBy[1][title]": "asc",
        },
    )
    expected = sorted(data, key=lambda p: p["id"])  # the primary key ends the order
    expected = sorted(expected, key=lambda p: p["title"])
    expected = sorted(expected, key=lambda p: p["published"], reverse=True)
    assert [p["id"] for p in data] == [p["id"] for p in expected]
    assert [p["published"] for p in data] == [True, True, False, False, False]


async def test_newest_first_by_default(client: AsyncClient, author_id: str, shelf: None) -> None:
    data = await _pages(client, {"where[authorId]": author_id})
    created = [page["createdAt"] for page in data]
    assert len(created) == 5
    assert created == sorted(created, reverse=True)


async def test_skip_and_limit_page_through_a_stable_order(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    query = {"where[authorId]": author_id, "orderBy[title]": "asc"}
    ids = [page["id"] for page in await _pages(client, query)]
    seen = []
    for skip in range(0, 5, 2):
        response = await client.get("/pages/", params={**query, "skip": skip, "limit": 2})
        assert response.json()["count"] == 5
        seen += [page["id"] for page in response.json()["data"]]
    assert seen == ids


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["limit"]),
        ({"limit": 101}, ["limit"]),
        ({"skip": -1}, ["skip"]),
        ({"skip": 10**12}, ["skip"]),
        ({"limit": "ten"}, ["limit"]),
        ({"orderBy[password]": "asc"}, ["orderBy", "password"]),
        ({"orderBy[metadata]": "asc"}, ["orderBy", "metadata"]),
        ({"orderBy[title]": "descending"}, ["orderBy", "title"]),
        ({"orderBy": 'title; DROP TABLE "Page"'}, ["orderBy"]),
        ({'orderBy[title; DROP TABLE "Page"]': "asc"}, ["orderBy"]),
        ({"where[status]": "LIVE"}, ["where", "status"]),
        ({"where[published]": "maybe"}, ["where", "published"]),
        ({"where[metadata]": "x"}, ["where", "metadata"]),
        ({"where[title][contains]": "nul\x00"}, ["where"]),
        # The old hand-written parameters are refused, never silently ignored.
        ({"status": "DRAFT"}, ["status"]),
        ({"q": "x"}, ["q"]),
        ({"order_by": "-createdAt"}, ["order_by"]),
    ],
)
async def test_bad_query_parameters_are_422(
    client: AsyncClient, params: dict[str, Any], loc: list[str]
) -> None:
    response = await client.get("/pages/", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][: len(loc) + 1] == ["query", *loc]
