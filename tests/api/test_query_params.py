"""The query string in `qs`'s bracket form, read into a ListQuery by a tiny app on the
session database: filtered, ordered, included and paged lists; 422s located at the
offending part; the OpenAPI description of the parameters."""

import json
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jsonschema
import pytest
from fastapi import Depends, FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select
from sqlalchemy.sql.expression import ClauseElement

from app import crud
from app.api.deps import known_query_only
from app.api.query_params import (
    ListQuery,
    add_query_schemas,
    get_openapi_extra,
    get_query,
    list_openapi_extra,
    list_query,
)
from app.api.query_string import QueryStringError, parse
from app.core import query
from app.core.db import Database, create_database
from app.core.query.model_info import describe
from app.models import Page, Profile, Role, User
from tests.core.conftest import make_settings


def _pages_and_authors(model: type) -> query.QueryPolicy | None:
    """What the test app exposes: pages and their authors; users' emails are not filterable."""
    if model is Page:
        return query.QueryPolicy()
    if model in (User, Profile):
        return query.QueryPolicy(filterable=frozenset({"role", "name", "profile", "bio"}))
    return None


def _app(database_of: Callable[[], Database]) -> FastAPI:
    """Pages listed and read with the kit, as the resource routes will."""

    async def fetch(statement: ClauseElement, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        database = database_of()
        async with crud._connected(database, Page, "read") as connection:  # pyright: ignore[reportPrivateUsage]
            return await crud._run(database, connection, statement, params)  # pyright: ignore[reportPrivateUsage]

    app = FastAPI()
    table = describe(Page).table
    columns = [table.c[f.column.key].label(name) for name, f in describe(Page).scalars.items()]

    @app.get(
        "/pages/",
        openapi_extra=list_openapi_extra(Page),
        dependencies=[Depends(known_query_only)],
    )
    async def list_pages(
        q: Annotated[
            ListQuery,
            Depends(list_query(Page, _pages_and_authors, default_order={"createdAt": "desc"})),
        ],
    ) -> dict[str, Any]:
        conditions = [query.where_clause(Page, q.where.shape)]
        params: dict[str, Any] = {**q.where.params, "skip": q.skip, "limit": q.limit + 1}
        if q.after is not None:
            conditions.append(query.after_clause(Page, q.order, q.after.null_bounds))
            params |= q.after.params
        statement = (
            select(*columns).where(*conditions).order_by(*query.order_clauses(Page, q.order))
        )
        rows = await fetch(statement.offset(q.skip).limit(q.limit + 1), params)
        data = rows[: q.limit]
        await query.load_includes(fetch, Page, data, q.include)
        more = len(rows) > q.limit
        return {"data": data, "nextCursor": query.cursor_for(q.order, data[-1]) if more else None}

    @app.get("/pages/{id}", openapi_extra=get_openapi_extra(Page))
    async def get_page(
        id: str,
        include: Annotated[
            tuple[query.Included, ...], Depends(get_query(Page, _pages_and_authors))
        ],
    ) -> dict[str, Any]:
        rows = await fetch(select(*columns).where(table.c.id == id), {})
        return dict((await query.load_includes(fetch, Page, rows, include))[0])

    return app


@pytest.fixture(scope="module")
async def client(database_url: str) -> AsyncIterator[AsyncClient]:
    database = create_database(make_settings(database_url))
    assert database is not None
    transport = ASGITransport(app=_app(lambda: database))
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await database.dispose()


@pytest.fixture(scope="module")
async def pages(database_url: str) -> tuple[str, list[dict[str, Any]]]:
    database = create_database(make_settings(database_url))
    assert database is not None
    run = "h" + secrets.token_hex(4)
    editor = await crud.create(
        database, User, {"email": f"{run}-e@example.com", "role": Role.EDITOR}
    )
    viewer = await crud.create(
        database, User, {"email": f"{run}-v@example.com", "role": Role.VIEWER}
    )
    await crud.create(database, Profile, {"userId": editor["id"], "bio": "writes"})
    made = []
    for i in range(7):
        author = editor if i % 2 else viewer
        values = {
            "title": f"intro {i}" if i < 4 else f"other {i}",
            "slug": f"{run}-{i}",
            "authorId": author["id"],
            "content": None if i % 3 == 0 else f"c{i}",
        }
        made.append(await crud.create(database, Page, values))
    await database.dispose()
    return run, made


def test_qs_forms_are_read_as_nested_objects() -> None:
    assert parse("where[title][contains]=intro&orderBy[0][createdAt]=desc") == {
        "where": {"title": {"contains": "intro"}},
        "orderBy": [{"createdAt": "desc"}],
    }
    encoded = quote("where[OR][1][title]") + "=b&" + quote("where[OR][0][title]") + "=a+b%26c"
    assert parse(encoded) == {"where": {"OR": [{"title": "a b&c"}, {"title": "b"}]}}
    assert parse("where[id][in][]=a&where[id][in][]=b") == {"where": {"id": {"in": ["a", "b"]}}}
    assert parse("where[id][in][0]=a&where[id][in][1]=b") == {"where": {"id": {"in": ["a", "b"]}}}
    assert parse("where[content]&where[title]=") == {"where": {"content": None, "title": ""}}
    assert parse("a=1&a=2") == {"a": ["1", "2"]}


@pytest.mark.parametrize(
    ("raw", "loc", "message"),
    [
        (
            "where[title]=x&where[title][contains]=y",
            ("where", "title"),
            "both as a value and as an object",
        ),
        ("where[title=x", ("where",), "Malformed brackets"),
        ("[title]=x", ("[title]",), "needs a name"),
        ("where" + "[a]" * 13 + "=x", ("where",), "at most 12 brackets"),
        ("where[id][in][1000]=x", ("where", "id", "in"), "at most 999"),
        ("a=%FF", ("a",), "not UTF-8"),
        ("where[title]=a%00b", ("where",), "NUL characters"),
        ("&".join(["a=1"] * 513), (), "at most 512"),
    ],
)
def test_what_qs_never_writes_is_refused(raw: str, loc: tuple[Any, ...], message: str) -> None:
    with pytest.raises(QueryStringError, match=message) as caught:
        parse(raw)
    assert caught.value.loc == loc


async def test_a_filtered_ordered_included_list(client: AsyncClient, pages: Any) -> None:
    run, made = pages
    answer = await client.get(
        "/pages/",
        params={
            "where[slug][startsWith]": run,
            "where[title][contains]": "intro",
            "where[author][is][role]": "EDITOR",
            "orderBy[0][title]": "desc",
            "include[author][include][profile]": "true",
        },
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert [row["title"] for row in data] == ["intro 3", "intro 1"]
    assert all(row["author"]["profile"]["bio"] == "writes" for row in data)
    assert data[0]["author"]["id"] == made[3]["authorId"]


async def test_a_cursor_walk_under_a_nullable_order(client: AsyncClient, pages: Any) -> None:
    run, made = pages
    base = (
        f"where[slug][startsWith]={run}&orderBy[0][content][sort]=asc"
        "&orderBy[0][content][nulls]=first&orderBy[1][title]=desc&limit=2"
    )
    seen: list[str] = []
    url = f"/pages/?{base}"
    while True:
        answer = await client.get(url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [row["slug"] for row in body["data"]]
        if body["nextCursor"] is None:
            break
        url = f"/pages/?{base}&cursor={body['nextCursor']}"
    nulls = sorted(
        (p for p in made if p["content"] is None), key=lambda p: p["title"], reverse=True
    )
    values = sorted((p for p in made if p["content"] is not None), key=lambda p: p["content"])
    assert seen == [p["slug"] for p in nulls + values]


async def test_get_with_include(client: AsyncClient, pages: Any) -> None:
    _, made = pages
    answer = await client.get(f"/pages/{made[1]['id']}?include[author]=true")
    assert answer.json()["author"]["id"] == made[1]["authorId"]
    refused = await client.get(f"/pages/{made[1]['id']}?where[title]=x")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "where"]


@pytest.mark.parametrize(
    ("raw", "loc", "message"),
    [
        (
            "where[title][contans]=x",
            ["query", "where", "title", "contans"],
            "'contans' is not an operator of title; use one of: equals",
        ),
        (
            "where[author][is][email]=x",
            ["query", "where", "author", "is", "email"],
            "'email' is not a filterable field of User",
        ),
        ("where[viewCount][gt]=lots", ["query", "where", "viewCount", "gt"], "expected an integer"),
        ("where[published]=1", ["query", "where", "published"], "expected true or false"),
        ("where[status]=draft", ["query", "where", "status"], "one of DRAFT, PUBLISHED, ARCHIVED"),
        ("include[title]=true", ["query", "include", "title"], "not an includable relation"),
        (
            "include[tags]=true",
            ["query", "include", "tags"],
            "use one of: author, parent, children",
        ),
        ("orderBy[metadata_]=asc", ["query", "orderBy", "metadata_"], "not a sortable field"),
        (
            "wher[title]=x",
            ["query", "wher[title]"],
            "Unknown query parameter; this route takes: count, cursor",
        ),
        ("limit=0", ["query", "limit"], "from 1 to 100"),
        ("limit[a]=1", ["query", "limit"], "takes a single value"),
        ("count=all", ["query", "count"], "exact, estimated or none"),
        ("cursor=abc&skip=2", ["query", "cursor"], "either skip or cursor"),
        ("cursor=abc", ["query", "cursor"], "Invalid cursor"),
    ],
)
async def test_a_bad_query_is_a_422_at_its_place(
    client: AsyncClient, raw: str, loc: list[Any], message: str
) -> None:
    answer = await client.get(f"/pages/?{raw}")
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["detail"]
    assert error["loc"] == loc
    assert message in error["msg"]


async def test_the_document_declares_deep_objects_with_schemas(client: AsyncClient) -> None:
    app = client._transport.app  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    assert isinstance(app, FastAPI)
    document = add_query_schemas(app.openapi(), [Page], _pages_and_authors)
    parameters = {p["name"]: p for p in document["paths"]["/pages/"]["get"]["parameters"]}
    assert parameters["where"]["style"] == "deepObject" and parameters["where"]["explode"] is True
    assert parameters["where"]["schema"] == {"$ref": "#/components/schemas/PageWhereInput"}
    schemas = document["components"]["schemas"]
    assert {
        "PageWhereInput",
        "UserWhereInput",
        "ProfileWhereInput",
        "PageOrderByInput",
        "PageInclude",
        "StringFilter",
        "StringNullableFilter",
        "EnumPageStatusFilter",
        "EnumRoleFilter",
        "StringNullableListFilter",
        "BigIntFilter",
        "UserRelationFilter",
        "PageListRelationFilter",
    } <= set(schemas)
    assert "TagWhereInput" not in schemas  # Tag is not exposed by this policy
    assert set(schemas["UserWhereInput"]["properties"]) == {
        "AND",
        "OR",
        "NOT",
        "role",
        "name",
        "profile",
    }
    for name, schema in schemas.items():  # each is a valid JSON Schema whose refs resolve
        jsonschema.Draft202012Validator.check_schema(schema)
        for ref in _refs(schema):
            assert ref.removeprefix("#/components/schemas/") in schemas, (name, ref)
    where = schemas["PageWhereInput"]
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/PageWhereInput", "components": {"schemas": schemas}}
    )
    assert validator.is_valid(
        {"title": {"contains": "a", "mode": "insensitive"}, "author": {"is": {"role": "EDITOR"}}}
    )
    assert not validator.is_valid({"title": {"contans": "a"}})
    assert "metadata_" not in where["properties"]


def _refs(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        found = [schema["$ref"]] if "$ref" in schema else []
        return found + [ref for value in schema.values() for ref in _refs(value)]
    if isinstance(schema, list):
        return [ref for item in schema for ref in _refs(item)]
    return []


SAMPLES = Path(__file__).with_name("qs_samples.jsonl")
"""Typed list queries and what `qs.stringify(q, { strictNullHandling: true })` (qs 6.14)
wrote for them, recorded from the TypeScript client set-up of docs/querying.md."""


def _as_sent(value: Any) -> Any:
    """A JSON value as a query string carries it: every scalar a string, null kept."""
    if isinstance(value, dict):
        return {key: _as_sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_sent(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


@pytest.mark.parametrize("line", SAMPLES.read_text().splitlines())
def test_what_qs_writes_is_read_back_and_accepted(line: str) -> None:
    recorded = json.loads(line)
    params = parse(recorded["query"])
    assert params == _as_sent(recorded["sample"])
    query.compile_where(Page, params.get("where"), query.expose_all)
    query.compile_order(Page, params.get("orderBy"), query.expose_all)
    query.compile_include(Page, params.get("include"), query.expose_all)
