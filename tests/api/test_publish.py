"""POST /pages/{id}/publish: several rows changed in one transaction, or none."""

from httpx import AsyncClient

from tests.api.conftest import unique_slug


async def _audit_entries(client: AsyncClient, page_id: str) -> list[dict]:
    rows = (await client.get("/audit-logs/", params={"limit": 100, "count": "none"})).json()
    return [row for row in rows["data"] if row["payload"].get("pageId") == page_id]


async def test_publishing_changes_the_page_and_records_the_caller(
    client: AsyncClient, author_id: str
) -> None:
    created = await client.post(
        "/pages/", json={"title": "T", "slug": unique_slug(), "authorId": author_id}
    )
    page = created.json()
    published = await client.post(
        f"/pages/{page['id']}/publish",
        headers={"If-Match": created.headers["etag"], "X-Request-ID": "publish-test-1"},
    )
    assert published.status_code == 200, published.text
    after = published.json()
    assert (after["status"], after["published"]) == ("PUBLISHED", True)
    assert after["updatedAt"] > page["updatedAt"]
    assert published.headers["etag"] != created.headers["etag"]
    assert (await client.get(f"/pages/{page['id']}")).json() == after
    (entry,) = await _audit_entries(client, page["id"])
    assert entry["action"] == "page.published"
    assert entry["payload"] == {
        "pageId": page["id"],
        "caller": "next-server",
        "previousStatus": "DRAFT",
    }
    assert entry["requestId"] == "publish-test-1"
    assert entry["actorId"] is None  # the caller is a service, not a user


async def test_a_stale_etag_publishes_nothing(client: AsyncClient, author_id: str) -> None:
    created = await client.post(
        "/pages/", json={"title": "T", "slug": unique_slug(), "authorId": author_id}
    )
    page = created.json()
    await client.put(f"/pages/{page['id']}", json={"title": "Changed"})
    stale = await client.post(
        f"/pages/{page['id']}/publish", headers={"If-Match": created.headers["etag"]}
    )
    assert stale.status_code == 412, stale.text
    assert (await client.get(f"/pages/{page['id']}")).json()["status"] == "DRAFT"
    assert await _audit_entries(client, page["id"]) == []


async def test_publishing_a_missing_page_is_404(client: AsyncClient) -> None:
    response = await client.post("/pages/no-such-page/publish")
    assert response.status_code == 404
