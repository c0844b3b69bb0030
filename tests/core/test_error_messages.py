"""Every 422 says which field and what it must be, naming the limit or the expected form;
query parameters are as strict as bodies. Checked over HTTP on a small app that uses the
service's own handler and types, so it holds for every route built the same way."""

from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from fastapi.exceptions import RequestValidationError
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel, ConfigDict, Field

from app.core.http_errors import validation_error
from app.core.query_types import QueryBool


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: Annotated[str, Field(min_length=1, max_length=5)]
    tags: Annotated[list[str], Field(max_length=2)] = []
    pinned: bool = False


def _app() -> FastAPI:
    app = FastAPI()
    app.add_exception_handler(RequestValidationError, validation_error)

    @app.get("/notes")
    async def list_notes(
        pinned: QueryBool | None = None, limit: Annotated[int, Query(ge=1, le=100)] = 20
    ) -> dict[str, Any]:
        return {"pinned": pinned, "limit": limit}

    @app.post("/notes")
    async def create_note(note: Note) -> Note:
        return note

    return app


@pytest.fixture(scope="module")
async def client() -> Any:
    async with AsyncClient(transport=ASGITransport(app=_app()), base_url="http://test") as client:
        yield client


async def _messages(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["msg"] for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": ""}, "title: must not be empty"),
        ({"title": "abcdef"}, "title: must have at most 5 characters (it has 6)"),
        ({"title": "a", "tags": ["x", "y", "z"]}, "tags: must have at most 2 items (it has 3)"),
        ({"title": "a", "tags": ["x", 1]}, "tags[1]: must be a string"),
        ({"title": "a", "pinned": "true"}, "pinned: must be true or false, without quotes"),
        ({"title": "a", "Title": "b"}, "Title: is not a known field (names are case-sensitive)"),
        ({}, "title: is required"),
        ([{"title": "a"}], "body: must be a JSON object"),
    ],
)
async def test_a_body_error_names_the_field_and_what_it_must_be(
    client: AsyncClient, body: Any, message: str
) -> None:
    assert await _messages(await client.post("/notes", json=body)) == [message]


async def test_malformed_json_says_where_and_why(client: AsyncClient) -> None:
    response = await client.post(
        "/notes", content=b'{"title": "a",}', headers={"Content-Type": "application/json"}
    )
    assert await _messages(response) == [
        "body: is not valid JSON at character 14: Expecting property name enclosed in double quotes"
    ]


@pytest.mark.parametrize(("sent", "read"), [("true", True), ("false", False)])
async def test_query_booleans_are_true_or_false(client: AsyncClient, sent: str, read: bool) -> None:
    response = await client.get("/notes", params={"pinned": sent})
    assert response.status_code == 200
    assert response.json()["pinned"] is read


@pytest.mark.parametrize("sent", ["yes", "1", "on", "t", "True", "FALSE", ""])
async def test_other_spellings_of_a_query_boolean_are_refused(
    client: AsyncClient, sent: str
) -> None:
    response = await client.get("/notes", params={"pinned": sent})
    assert await _messages(response) == ["pinned: must be true or false"]


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "limit: must be greater than or equal to 1"),
        ("101", "limit: must be less than or equal to 100"),
        ("ten", "limit: must be an integer"),
    ],
)
async def test_a_query_error_names_the_limit(client: AsyncClient, limit: str, message: str) -> None:
    assert await _messages(await client.get("/notes", params={"limit": limit})) == [message]


def test_a_query_boolean_is_documented_as_a_boolean() -> None:
    parameters = _app().openapi()["paths"]["/notes"]["get"]["parameters"]
    (pinned,) = [p for p in parameters if p["name"] == "pinned"]
    assert {"type": "boolean"} in pinned["schema"]["anyOf"]
