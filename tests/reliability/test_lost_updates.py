"""No lost updates: writers that read, change and write back with If-Match, all at once.

tests/api shows that of several writers holding one ETag exactly one wins. Here writers
keep going (re-reading after a 412) until each has made all its changes: every change
must be in the final page, each version must have been replaced by exactly one write, and
the versions must form one chain.
"""

import asyncio
from typing import Any

from httpx import AsyncClient

from tests.api.conftest import unique_slug

WRITERS = 6
CHANGES_EACH = 4


async def _new_page(client: AsyncClient, author_id: str) -> str:
    body = {"title": "counter", "slug": unique_slug(), "authorId": author_id}
    response = await client.post("/pages/", json=body)
    assert response.status_code == 201
    return response.json()["id"]


async def _writer(
    client: AsyncClient, url: str, name: str, first_read: asyncio.Barrier
) -> tuple[list[tuple[str, str]], int]:
    """Append `name-n` to the keywords CHANGES_EACH times; the (If-Match, new ETag) of each
    write that won, and how many were refused as stale."""
    wins: list[tuple[str, str]] = []
    refused = 0
    while len(wins) < CHANGES_EACH:
        read = await client.get(url)
        if not wins and not refused:
            await first_read.wait()  # every writer holds the same version before any writes
        tag, keywords = read.headers["etag"], read.json()["keywords"]
        change = {"keywords": [*keywords, f"{name}-{len(wins)}"]}
        written = await client.put(url, json=change, headers={"If-Match": tag})
        if written.status_code == 412:
            refused += 1
            continue
        assert written.status_code == 200, written.text
        wins.append((tag, written.headers["etag"]))
    return wins, refused


async def test_concurrent_read_modify_write_loses_no_update(
    client: AsyncClient, author_id: str
) -> None:
    page_id = await _new_page(client, author_id)
    url = f"/pages/{page_id}"
    first_tag = (await client.get(url)).headers["etag"]
    barrier = asyncio.Barrier(WRITERS)

    results = await asyncio.gather(
        *(_writer(client, url, f"w{i}", barrier) for i in range(WRITERS))
    )

    final = (await client.get(url)).json()
    expected = {f"w{i}-{n}" for i in range(WRITERS) for n in range(CHANGES_EACH)}
    assert sorted(final["keywords"]) == sorted(expected)  # none lost, none twice

    wins = [win for writer_wins, _ in results for win in writer_wins]
    replaced = [old for old, _ in wins]
    assert len(set(replaced)) == len(wins)  # each version replaced by exactly one write
    chain: dict[str, str] = dict(wins)
    tag, length = first_tag, 0
    while tag in chain:
        tag, length = chain[tag], length + 1
    assert length == WRITERS * CHANGES_EACH  # one line of versions, ending at the last
    assert sum(refused for _, refused in results) >= WRITERS - 1  # the first round raced


async def _attempt(client: AsyncClient, method: str, url: str, tag: str) -> Any:
    return await client.request(
        method,
        url,
        json={"title": "edited"} if method == "PUT" else None,
        headers={"If-Match": tag},
    )


async def test_a_delete_and_an_update_of_one_version_cannot_both_win(
    client: AsyncClient, author_id: str
) -> None:
    for _ in range(5):
        page_id = await _new_page(client, author_id)
        url = f"/pages/{page_id}"
        tag = (await client.get(url)).headers["etag"]
        update, delete = await asyncio.gather(
            _attempt(client, "PUT", url, tag), _attempt(client, "DELETE", url, tag)
        )
        if delete.status_code == 204:  # the delete won: the update finds nothing left
            assert update.status_code in (404, 412)
            assert (await client.get(url)).status_code == 404
        else:  # the update won: the delete is refused as stale
            assert (update.status_code, delete.status_code) == (200, 412)
            assert (await client.get(url)).json()["title"] == "edited"
