"""The life of a page through HTTP, as the Next.js server lives it."""

import re

from httpx import AsyncClient

from tests.api.conftest import unique_slug

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_a_page_is_created_read_listed_updated_and_deleted(
    client: AsyncClient, author_id: str
) -> None:
    slug = unique_slug()
    created = await client.post(
        "/pages/",
        json={
            "title": "Hello 👋 wörld",
            "slug": slug,
            "authorId": author_id,
            "keywords": ["intro"],
            "metadata": {"layout": "wide", "n": [1, 2.5, None]},
            "price": "9.90",  # answered as Prisma prints it: 9.9
        },
    )
    assert created.status_code == 201, created.text
    page = created.json()
    assert page["id"]
    assert page["title"] == "Hello 👋 wörld"
    assert page["status"] == "DRAFT" and page["published"] is False
    assert page["metadata"] == {"layout": "wide", "n": [1, 2.5, None]}
    assert page["price"] == "9.9" and page["viewCount"] == "0"
    assert ISO_MS_Z.match(page["createdAt"]) and ISO_MS_Z.match(page["updatedAt"])
    # Like Prisma's client: a new row's @updatedAt is its createdAt, to the millisecond.
    assert page["updatedAt"] == page["createdAt"]
    assert created.headers["location"] == f"/api/v1/pages/{page['id']}"

    read = await client.get(f"/pages/{page['id']}")
    assert read.status_code == 200
    assert read.json() == page
    assert read.headers["etag"] == created.headers["etag"]

    listed = await client.get("/pages/", params={"where[authorId]": author_id})
    assert listed.json() == {"data": [page], "count": 1, "nextCursor": None}

    updated = await client.put(f"/pages/{page['id']}", json={"published": True, "price": None})
    assert updated.status_code == 200, updated.text
    after = updated.json()
    assert after["published"] is True and after["price"] is None
    assert after["title"] == page["title"]
    assert after["updatedAt"] > page["updatedAt"]
    assert after["createdAt"] == page["createdAt"]

    deleted = await client.delete(f"/pages/{page['id']}")
    assert deleted.status_code == 204
    assert (await client.get(f"/pages/{page['id']}")).status_code == 404


async def test_a_create_answers_the_page_as_stored(client: AsyncClient, author_id: str) -> None:
    # A price sent as an exponent is stored as Decimal(10, 2): the answer to the create
    # already shows the stored value (as Prisma prints it), as every later read does.
    created = await client.post(
        "/pages/",
        json={"title": "Priced", "slug": unique_slug(), "authorId": author_id, "price": "1e5"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["price"] == "100000"
    read = await client.get(created.headers["location"].removeprefix("/api/v1"))
    assert read.json() == created.json()
