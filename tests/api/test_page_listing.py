"""Listing pages: filters, whitelisted ordering with an id tiebreak, paging and count."""

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


async def _titles(client: AsyncClient, author_id: str, **params: str) -> list[str]:
    response = await client.get("/pages/", params={"authorId": author_id, **params})
    assert response.status_code == 200, response.text
    return [page["title"] for page in response.json()["data"]]


async def test_filters_combine_and_count_what_matches(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    response = await client.get(
        "/pages/", params={"authorId": author_id, "status": "PUBLISHED", "published": "true"}
    )
    body = response.json()
    assert body["count"] == 2
    assert {page["title"] for page in body["data"]} == {"apple pie", "Cherry"}

    drafts = await client.get("/pages/", params={"authorId": author_id, "published": "false"})
    assert drafts.json()["count"] == 3


async def test_title_search_ignores_case_and_treats_wildcards_literally(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    assert len(await _titles(client, author_id, q="CHERRY")) == 3
    assert await _titles(client, author_id, q="100%") == ["Banana 100%"]
    assert await _titles(client, author_id, q="_") == []


async def test_ordering_is_whitelisted_and_ties_break_on_id(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    ascending = await client.get("/pages/", params={"authorId": author_id, "order_by": "title"})
    data = ascending.json()["data"]
    assert [p["title"] for p in data] == sorted(p["title"] for p in data)
    cherries = [p["id"] for p in data if p["title"] == "Cherry"]
    assert cherries == sorted(cherries)

    descending = await client.get("/pages/", params={"authorId": author_id, "order_by": "-title"})
    reversed_cherries = [p["id"] for p in descending.json()["data"] if p["title"] == "Cherry"]
    assert reversed_cherries == sorted(cherries, reverse=True)


async def test_newest_first_by_default(client: AsyncClient, author_id: str, shelf: None) -> None:
    response = await client.get("/pages/", params={"authorId": author_id})
    created = [page["createdAt"] for page in response.json()["data"]]
    assert created == sorted(created, reverse=True)


async def test_skip_and_limit_page_through_a_stable_order(
    client: AsyncClient, author_id: str, shelf: None
) -> None:
    everything = await client.get("/pages/", params={"authorId": author_id, "order_by": "title"})
    ids = [page["id"] for page in everything.json()["data"]]
    seen = []
    for skip in range(0, 5, 2):
        response = await client.get(
            "/pages/",
            params={"authorId": author_id, "order_by": "title", "skip": skip, "limit": 2},
        )
        assert response.json()["count"] == 5
        seen += [page["id"] for page in response.json()["data"]]
    assert seen == ids


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"skip": -1},
        {"skip": 10**12},
        {"limit": "ten"},
        {"order_by": "password"},
        {"order_by": 'title; DROP TABLE "Page"'},
        {"status": "LIVE"},
        {"published": "maybe"},
        {"q": "x" * 201},
        {"q": "nul\x00"},
    ],
)
async def test_bad_query_parameters_are_422(client: AsyncClient, params: dict) -> None:
    response = await client.get("/pages/", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"
