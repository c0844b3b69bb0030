"""The bad-input catalogue: every refusal is a 4xx whose message says what to fix, and the
database is exactly as it was (every Page and User row read back before and after).

tests/api covers the common cases one by one; this adds the unchanged database to each,
and the inputs a careless or hostile client sends that those do not.
"""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import text

from app.core.api_types import MAX_JSON_DEPTH
from tests.api.conftest import unique_slug

# Every row of the tables a page write could touch, as text, in a stable order.
SNAPSHOT = text(
    """
    SELECT (SELECT coalesce(string_agg(p::text, E'\\n' ORDER BY p.id), '') FROM "Page" p),
           (SELECT coalesce(string_agg(u::text, E'\\n' ORDER BY u.id), '') FROM "User" u)
    """
)


async def snapshot(app: FastAPI) -> tuple[str, str]:
    async with app.state.database.engine.connect() as conn:
        pages, users = (await conn.execute(SNAPSHOT)).one()
    return pages, users


@pytest.fixture
async def page(client: AsyncClient, author_id: str) -> dict[str, Any]:
    body = {"title": "Kept", "slug": unique_slug(), "authorId": author_id, "keywords": ["k"]}
    response = await client.post("/pages/", json=body)
    assert response.status_code == 201
    return response.json()


@dataclass(frozen=True)
class Bad:
    """A request (`{page}` and `{author}` in it are filled in), and the refusal it earns."""

    method: str
    path: str
    status: int
    says: str  # part of the message, or of a `loc`, that tells the client what to fix
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


def _body(**fields: Any) -> dict[str, Any]:
    return {"title": "T", "slug": "{slug}", "authorId": "{author}", **fields}


def _raw(text_: str) -> bytes:
    return text_.encode("utf-8", "surrogatepass")


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


CATALOGUE = {
    # Malformed JSON, in the ways clients get it wrong.
    "truncated JSON": Bad("POST", "/pages/", 422, "Expecting", content=b'{"title": "T", '),
    "trailing comma": Bad("POST", "/pages/", 422, "double quotes", content=b'{"title": "T",}'),
    "single quotes": Bad("POST", "/pages/", 422, "double quotes", content=b"{'title': 'T'}"),
    "not UTF-8": Bad("POST", "/pages/", 422, "not UTF-8", content=b'{"title": "\xff\xfe"}'),
    "nested past the parser's limit": Bad(
        "PUT", "/pages/{page}", 422, "nested too deeply", content=b"[" * 100_000
    ),
    "a JSON array, not an object": Bad("POST", "/pages/", 422, "object", json=[_body()]),
    "a JSON string, not an object": Bad("POST", "/pages/", 422, "object", json="page"),
    # Wrong types: no coercion, in either direction.
    "number for a string": Bad("POST", "/pages/", 422, "content", json=_body(content=5)),
    "string for a boolean": Bad("PUT", "/pages/{page}", 422, "published", json={"published": "0"}),
    "number in a string list": Bad("PUT", "/pages/{page}", 422, "keywords", json={"keywords": [1]}),
    "boolean for an id": Bad("POST", "/pages/", 422, "parentId", json=_body(parentId=False)),
    "object for an enum": Bad("PUT", "/pages/{page}", 422, "status", json={"status": {}}),
    "NaN literal for a price": Bad(
        "POST",
        "/pages/",
        422,
        "finite",
        content=b'{"title":"T","slug":"s","authorId":"a","price":NaN}',
    ),
    "1e999 for a price": Bad("PUT", "/pages/{page}", 422, "finite", content=b'{"price": 1e999}'),
    "NaN inside metadata": Bad(
        "PUT", "/pages/{page}", 422, "NaN", content=b'{"metadata": {"score": NaN}}'
    ),
    "metadata nested too deep": Bad(
        "PUT",
        "/pages/{page}",
        422,
        f"{MAX_JSON_DEPTH} levels",
        json={"metadata": _nested(MAX_JSON_DEPTH + 1)},
    ),
    # Unknown fields are refused by name, never dropped.
    "snake_case field": Bad("POST", "/pages/", 422, "author_id", json=_body(author_id="x")),
    "field in another case": Bad("PUT", "/pages/{page}", 422, "Title", json={"Title": "x"}),
    "server-set counter": Bad("PUT", "/pages/{page}", 422, "viewCount", json={"viewCount": "9"}),
    "unknown query parameter": Bad("GET", "/pages/", 422, "where", params={"author": "{author}"}),
    "filter on a snake_case field": Bad(
        "GET", "/pages/", 422, "authorId", params={"where[author_id]": "{author}"}
    ),
    # NUL bytes and text PostgreSQL cannot store.
    "NUL in content": Bad("PUT", "/pages/{page}", 422, "NUL", json={"content": "a\x00b"}),
    "NUL in a keyword": Bad("PUT", "/pages/{page}", 422, "NUL", json={"keywords": ["\x00"]}),
    "NUL in a metadata key": Bad(
        "PUT", "/pages/{page}", 422, "NUL", json={"metadata": {"k\x00": 1}}
    ),
    "NUL in an id": Bad("GET", "/pages/a%00b", 422, "NUL"),
    "lone surrogate in a title": Bad(
        "PUT", "/pages/{page}", 422, "surrogate", content=_raw('{"title": "a\\ud800"}')
    ),
    "lone surrogate in metadata": Bad(
        "PUT", "/pages/{page}", 422, "surrogate", content=_raw('{"metadata": ["\\udfff"]}')
    ),
    # Very long values.
    "title of 501 characters": Bad(
        "PUT", "/pages/{page}", 422, "at most 500", json={"title": "t" * 501}
    ),
    "keyword of 101 characters": Bad(
        "PUT", "/pages/{page}", 422, "at most 100", json={"keywords": ["k" * 101]}
    ),
    "101 keywords": Bad("PUT", "/pages/{page}", 422, "at most 100", json={"keywords": ["k"] * 101}),
    "id of 192 characters": Bad("DELETE", "/pages/" + "i" * 192, 422, "at most 191"),
    "update over the size limit": Bad(
        "PUT", "/pages/{page}", 413, "the limit is 1,048,576", json={"content": "x" * 1_100_000}
    ),
    # Paging and ordering.
    "limit of 10**30": Bad("GET", "/pages/", 422, "from 1 to 100", params={"limit": 10**30}),
    "negative limit": Bad("GET", "/pages/", 422, "from 1 to 100", params={"limit": -5}),
    "fractional skip": Bad("GET", "/pages/", 422, "integer", params={"skip": "1.5"}),
    "skip in exponent form": Bad("GET", "/pages/", 422, "integer", params={"skip": "1e3"}),
    "empty limit": Bad("GET", "/pages/", 422, "integer", params={"limit": ""}),
    "order by a hidden column": Bad(
        "GET", "/pages/", 422, "createdAt", params={"orderBy[password]": "asc"}
    ),
    "order by a Json field": Bad(
        "GET", "/pages/", 422, "not a sortable field", params={"orderBy[metadata]": "asc"}
    ),
    "order by a spelt-out direction": Bad(
        "GET", "/pages/", 422, "asc or desc", params={"orderBy[createdAt]": "descending"}
    ),
    "order by the old string form": Bad(
        "GET", "/pages/", 422, "orderBy", params={"orderBy": "-createdAt"}
    ),
    "lower-case status filter": Bad(
        "GET", "/pages/", 422, "DRAFT", params={"where[status]": "draft"}
    ),
    # Content types.
    "update as text/plain": Bad(
        "PUT",
        "/pages/{page}",
        415,
        "application/json",
        content=b'{"title": "x"}',
        headers={"Content-Type": "text/plain"},
    ),
    "create as multipart": Bad(
        "POST",
        "/pages/",
        415,
        "application/json",
        content=b"--b\r\n\r\n--b--",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    ),
    # Methods.
    "PATCH is not offered": Bad("PATCH", "/pages/{page}", 405, "Method Not Allowed", json={}),
}


def _fill(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names) if "{" in value and "}" in value else value
    if isinstance(value, dict):
        return {key: _fill(item, **names) for key, item in value.items()}
    return value


def _messages(body: Any) -> str:
    """Every message and location in an error body, as one string."""
    detail = body["detail"]
    if isinstance(detail, str):
        return detail
    return " ".join(
        f"{' '.join(map(str, error['loc']))} {error['msg']} {error.get('ctx', '')}"
        for error in detail
    )


@pytest.mark.parametrize("case", CATALOGUE)
async def test_a_bad_request_is_refused_with_what_to_fix_and_changes_nothing(
    app: FastAPI, client: AsyncClient, author_id: str, page: dict[str, Any], case: str
) -> None:
    bad = CATALOGUE[case]
    names = {"page": page["id"], "author": author_id, "slug": unique_slug()}
    before = await snapshot(app)

    response = await client.request(
        bad.method,
        _fill(bad.path, **names),
        json=_fill(bad.json, **names),
        content=bad.content,
        headers={"Content-Type": "application/json", **bad.headers},
        params=_fill(bad.params, **names),
    )

    assert response.status_code == bad.status, response.text
    assert bad.says in _messages(response.json())
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/pages/' OR '1'='1",
        '/pages/1; DROP TABLE "Page"; --',
        "/pages/..%2F..%2Fetc%2Fpasswd",
        "/pages/%20",
        "/pages/😀",
    ],
)
async def test_a_hostile_id_is_just_an_unknown_page(
    app: FastAPI, client: AsyncClient, path: str
) -> None:
    before = await snapshot(app)
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, path, json={"title": "x"})
        assert response.status_code == 404
        assert "not found" in response.json()["detail"].lower()
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    "params",
    [
        {"where[authorId]": "' OR '1'='1"},
        {"where[title][contains]": "%' OR 1=1 --", "where[title][mode]": "insensitive"},
        {"where[title][contains]": "\\", "where[title][mode]": "insensitive"},
        {"where[authorId]": "x", "where[title][contains]": '\'); DELETE FROM "Page"; --'},
        {"where[slug][in][0]": "' OR '1'='1", "where[slug][in][1]": '"; DROP TABLE "Page"; --'},
    ],
)
async def test_injected_filter_values_match_nothing_and_change_nothing(
    app: FastAPI, client: AsyncClient, params: dict[str, str]
) -> None:
    before = await snapshot(app)
    response = await client.get("/pages/", params=params)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": [], "count": 0, "nextCursor": None}
    assert await snapshot(app) == before


# Text a client may send that must come back exactly as sent (no normalization, no
# re-encoding): astral emoji, ZWJ sequences and flags, combining marks (NFD stays NFD),
# right-to-left scripts, CJK, a BOM and separators inside a string, control characters.
UNICODE = [
    "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 🇯🇵",
    "e\u0301te\u0301 (NFD) vs \u00e9t\u00e9 (NFC)",
    "שלום עולם · مرحبا بالعالم",
    "漢字かなカナ한국어",
    "\U0001d518\U0001d52b\U0001d526 \U0001d7d8\U0001d7d9 (astral) \U0010fffd",
    "bom\ufeff line\u2028para\u2029 tab\t bell\x07 del\x7f",
]


@pytest.mark.parametrize("value", UNICODE)
async def test_non_ascii_text_is_stored_and_returned_unchanged(
    client: AsyncClient, author_id: str, value: str
) -> None:
    body = {
        "title": value,
        "slug": f"{value[:20]}-{unique_slug()}",
        "content": value * 3,
        "keywords": [value, value[::-1]],
        "metadata": {value: [value, {"nested": value}]},
        "authorId": author_id,
    }
    created = await client.post("/pages/", json=body)
    assert created.status_code == 201, created.text
    page = created.json()
    read = (await client.get(f"/pages/{page['id']}")).json()
    for key in ("title", "slug", "content", "keywords", "metadata"):
        assert page[key] == body[key] == read[key]

    found = await client.get(
        "/pages/",
        params={
            "where[authorId]": author_id,
            "where[title][contains]": value[:12],
            "where[title][mode]": "insensitive",
        },
    )
    assert found.status_code == 200, found.text
    assert [p["id"] for p in found.json()["data"]] == [page["id"]]
    exact = await client.get(
        "/pages/", params={"where[authorId]": author_id, "where[title]": value}
    )
    assert [p["id"] for p in exact.json()["data"]] == [page["id"]]

    updated = await client.put(f"/pages/{page['id']}", json={"title": value[::-1]})
    assert updated.json()["title"] == value[::-1]


async def test_the_longest_accepted_values_round_trip(client: AsyncClient, author_id: str) -> None:
    body = {
        "title": "😀" * 500,  # a limit in characters, not bytes
        "slug": "s" * 179 + unique_slug()[:12],
        "keywords": ["k" * 100] * 100,
        "content": "c" * 900_000,  # under the body limit
        "metadata": _nested(MAX_JSON_DEPTH),
        "authorId": author_id,
    }
    created = await client.post(
        "/pages/", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert created.status_code == 201, created.text[:300]
    read = (await client.get(f"/pages/{created.json()['id']}")).json()
    assert {key: read[key] for key in body} == body
