"""Each client mistake on pages: its status code and a message that names the problem."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from tests.api.conftest import unique_slug


async def _create(client: AsyncClient, author_id: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "A page", "slug": unique_slug(), "authorId": author_id, **fields}
    response = await client.post("/pages/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_an_unknown_id_is_404_naming_it(client: AsyncClient, method: str) -> None:
    response = await client.request(method, "/pages/no-such-page", json={"title": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Page no-such-page not found"}


async def test_a_taken_slug_is_409_naming_the_field(client: AsyncClient, author_id: str) -> None:
    first = await _create(client, author_id)
    again = await client.post(
        "/pages/", json={"title": "Copy", "slug": first["slug"], "authorId": author_id}
    )
    assert again.status_code == 409
    assert again.json() == {"detail": "Page with this slug already exists"}

    other = await _create(client, author_id)
    renamed = await client.put(f"/pages/{other['id']}", json={"slug": first["slug"]})
    assert renamed.status_code == 409
    assert "slug" in renamed.json()["detail"]


@pytest.mark.parametrize("field", ["authorId", "parentId"])
async def test_a_reference_to_a_missing_row_is_422_naming_the_field(
    client: AsyncClient, author_id: str, field: str
) -> None:
    body = {"title": "Orphan", "slug": unique_slug(), "authorId": author_id, field: "missing"}
    response = await client.post("/pages/", json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert error["msg"].startswith(f"{field} does not name an existing")


async def test_an_update_to_a_missing_author_is_422(client: AsyncClient, author_id: str) -> None:
    page = await _create(client, author_id)
    response = await client.put(f"/pages/{page['id']}", json={"authorId": "missing"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "authorId"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"surprise": 1}, "surprise"),  # unknown keys are refused, not dropped
        ({"id": "chosen-by-client"}, "id"),
        ({"createdAt": "2020-01-01T00:00:00Z"}, "createdAt"),  # set by the service
        ({"title": 123}, "title"),
        ({"title": ""}, "title"),
        ({"title": "nul \x00 byte"}, "title"),
        ({"published": "true"}, "published"),  # strict: no coercion from strings
        ({"published": 1}, "published"),
        ({"status": "LIVE"}, "status"),
        ({"price": "12.345"}, "price"),
        ({"price": "123456789.00"}, "price"),
        ({"price": True}, "price"),
        ({"keywords": "one"}, "keywords"),
        ({"slug": "s" * 192}, "slug"),
    ],
)
async def test_invalid_fields_are_422_naming_the_field(
    client: AsyncClient, author_id: str, change: dict[str, Any], field: str
) -> None:
    body = {"title": "Valid", "slug": unique_slug(), "authorId": author_id, **change}
    response = await client.post("/pages/", json=body)
    assert response.status_code == 422, response.text
    assert field in {error["loc"][-1] for error in response.json()["detail"]}


@pytest.mark.parametrize("field", ["title", "slug", "status", "published", "keywords", "authorId"])
async def test_required_fields_cannot_be_nulled_by_an_update(
    client: AsyncClient, author_id: str, field: str
) -> None:
    page = await _create(client, author_id)
    response = await client.put(f"/pages/{page['id']}", json={field: None})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert (await client.get(f"/pages/{page['id']}")).json() == page


async def test_a_nul_byte_inside_json_metadata_is_422(client: AsyncClient, author_id: str) -> None:
    body = {"title": "T", "slug": unique_slug(), "authorId": author_id, "metadata": {"k": "\x00"}}
    response = await client.post("/pages/", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "metadata"]


async def test_malformed_json_is_422(client: AsyncClient) -> None:
    response = await client.post(
        "/pages/", content=b'{"title": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_json_is_415(
    client: AsyncClient, author_id: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = f'{{"title": "T", "slug": "{unique_slug()}", "authorId": "{author_id}"}}'
    response = await client.post("/pages/", content=body.encode(), headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


async def test_a_body_over_the_size_limit_is_413(client: AsyncClient, author_id: str) -> None:
    body = {"title": "T", "slug": unique_slug(), "authorId": author_id, "content": "x" * 1_100_000}
    response = await client.post("/pages/", json=body)
    assert response.status_code == 413
    size = len(response.request.content)
    assert response.json() == {"detail": f"body is {size:,} bytes; the limit is 1,048,576"}


async def test_a_streamed_body_over_the_size_limit_is_413(client: AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(120):
            yield b" " * 10_000

    response = await client.post(
        "/pages/", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "body is larger than the limit of 1,048,576 bytes"}


async def test_a_create_without_a_body_is_422_not_415(client: AsyncClient) -> None:
    response = await client.post("/pages/")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "missing"


@pytest.mark.parametrize("path", ["/pages/%0A", "/utils/health-check%0A"])
async def test_a_path_ending_in_a_newline_is_404_not_another_route(
    client: AsyncClient, path: str
) -> None:
    # `/pages/%0A` once reached the list route: route patterns end in `$`, which matches
    # before a final newline.
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
