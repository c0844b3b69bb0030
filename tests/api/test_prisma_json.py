"""Every resource answers the JSON Prisma Client gives a Next.js route for the same rows.

Rows are written through the API with every field filled, then read back through the
API and through Prisma Client 7 (tests/prisma_oracle) over the same database.
"""

from typing import Any

import pytest
from httpx import AsyncClient

from app.core.resource import Resource
from app.resources import RESOURCES
from tests.api.resource_rows import body_for, row_path
from tests.prisma_oracle import PrismaOracle

WRITABLE = [resource for resource in RESOURCES if resource.writable]


def prisma_where(resource: Resource, row: dict[str, Any]) -> dict[str, Any]:
    """Prisma's unique filter for the row's key (`{pageId_version: {...}}` when composite)."""
    values = {item.name: row[item.name] for item in resource.key}
    for item in resource.key:
        if item.kind == "bigint":
            values[item.name] = {"$bigint": row[item.name]}
    if len(values) == 1:
        return values
    return {"_".join(values): values}


@pytest.mark.parametrize("resource", WRITABLE, ids=lambda resource: resource.name)
async def test_a_row_reads_as_prisma_client_reads_it(
    client: AsyncClient, prisma_oracle: PrismaOracle, resource: Resource
) -> None:
    body = await body_for(client, resource, full=True)
    created = await client.post(f"{resource.url_path}/", json=body)
    assert created.status_code == 201, created.text
    ours = (await client.get(row_path(resource, created.json()))).json()
    theirs = prisma_oracle.query(
        resource.name, "findUniqueOrThrow", {"where": prisma_where(resource, ours)}
    )
    assert ours == theirs


async def test_every_prisma_type_reads_as_prisma_client_reads_it(
    client: AsyncClient, prisma_oracle: PrismaOracle, author_id: str
) -> None:
    page = await client.post(
        "/pages/",
        json={
            "title": "Types ✓",
            "slug": f"types-{author_id[:8]}",
            "authorId": author_id,
            "keywords": ["a", "b"],
            "metadata": {"nested": [1, 2.5, None, {"k": "v"}], "flag": True},
            "price": "12345678.90",
            "status": "ARCHIVED",
        },
    )
    assert page.status_code == 201, page.text
    await client.put(f"/users/{author_id}", json={"role": "ADMIN"})
    listed = await client.get("/pages/", params={"limit": 100})
    ours = next(row for row in listed.json()["data"] if row["id"] == page.json()["id"])
    theirs = prisma_oracle.query("Page", "findUnique", {"where": {"id": ours["id"]}})
    assert ours == theirs
    assert ours["price"] == "12345678.9"
    user = (await client.get(f"/users/{author_id}")).json()
    assert user == prisma_oracle.query("User", "findUnique", {"where": {"id": author_id}})
    assert user["role"] == "ADMIN"  # stored as `admin` (@map), spoken as Prisma names it


async def test_a_view_reads_as_prisma_client_reads_it(
    client: AsyncClient, prisma_oracle: PrismaOracle, author_id: str
) -> None:
    created = await client.post(
        "/pages/", json={"title": "Seen", "slug": f"seen-{author_id[:8]}", "authorId": author_id}
    )
    page_id = created.json()["id"]
    published = await client.post(f"/pages/{page_id}/publish")
    assert published.status_code == 200, published.text
    ours = await client.get(f"/published-pages/{page_id}")
    assert ours.status_code == 200, ours.text
    theirs = prisma_oracle.query("PublishedPage", "findUnique", {"where": {"id": page_id}})
    assert ours.json() == theirs
    listed = (await client.get("/published-pages/", params={"limit": 100})).json()["data"]
    assert theirs in listed
