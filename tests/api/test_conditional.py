"""ETags from updatedAt: If-None-Match gives 304; If-Match makes writes safe (412 when stale)."""

import asyncio

from httpx import AsyncClient

from tests.api.conftest import unique_slug


async def _new_page(client: AsyncClient, author_id: str) -> tuple[str, str]:
    response = await client.post(
        "/pages/", json={"title": "v0", "slug": unique_slug(), "authorId": author_id}
    )
    return response.json()["id"], response.headers["etag"]


async def test_a_read_with_the_current_etag_is_304(client: AsyncClient, author_id: str) -> None:
    page_id, tag = await _new_page(client, author_id)
    cached = await client.get(f"/pages/{page_id}", headers={"If-None-Match": tag})
    assert cached.status_code == 304
    assert cached.headers["etag"] == tag
    assert cached.content == b""

    stale = await client.get(f"/pages/{page_id}", headers={"If-None-Match": '"1"'})
    assert stale.status_code == 200


async def test_a_write_with_a_stale_etag_is_412_and_changes_nothing(
    client: AsyncClient, author_id: str
) -> None:
    page_id, tag = await _new_page(client, author_id)
    first = await client.put(f"/pages/{page_id}", json={"title": "v1"}, headers={"If-Match": tag})
    assert first.status_code == 200
    assert first.headers["etag"] != tag

    late = await client.put(f"/pages/{page_id}", json={"title": "v2"}, headers={"If-Match": tag})
    assert late.status_code == 412
    assert "changed since it was read" in late.json()["detail"]
    refused = await client.delete(f"/pages/{page_id}", headers={"If-Match": tag})
    assert refused.status_code == 412
    assert (await client.get(f"/pages/{page_id}")).json()["title"] == "v1"

    gone = await client.delete(f"/pages/{page_id}", headers={"If-Match": first.headers["etag"]})
    assert gone.status_code == 204


async def test_an_etag_we_never_issued_never_matches(client: AsyncClient, author_id: str) -> None:
    page_id, _ = await _new_page(client, author_id)
    for tag in ['"garbage"', "no-quotes", '"-5"']:
        response = await client.put(
            f"/pages/{page_id}", json={"title": "x"}, headers={"If-Match": tag}
        )
        assert response.status_code == 412
    anything = await client.put(f"/pages/{page_id}", json={"title": "y"}, headers={"If-Match": "*"})
    assert anything.status_code == 200


async def test_a_conditional_write_to_a_missing_page_is_404(client: AsyncClient) -> None:
    response = await client.put("/pages/missing", json={"title": "x"}, headers={"If-Match": '"1"'})
    assert response.status_code == 404


async def test_back_to_back_updates_get_distinct_etags(client: AsyncClient, author_id: str) -> None:
    page_id, tag = await _new_page(client, author_id)
    tags = {tag}
    for n in range(5):
        response = await client.put(f"/pages/{page_id}", json={"title": f"v{n}"})
        tags.add(response.headers["etag"])
    assert len(tags) == 6


async def test_of_concurrent_writers_holding_one_etag_exactly_one_wins(
    client: AsyncClient, author_id: str
) -> None:
    page_id, tag = await _new_page(client, author_id)
    responses = await asyncio.gather(
        *(
            client.put(f"/pages/{page_id}", json={"title": f"w{n}"}, headers={"If-Match": tag})
            for n in range(8)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 7
    [winner] = [r.json()["title"] for r in responses if r.status_code == 200]
    assert (await client.get(f"/pages/{page_id}")).json()["title"] == winner
