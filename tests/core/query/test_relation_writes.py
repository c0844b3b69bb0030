"""Many-to-many writes by id: connect, disconnect, set, in the row's transaction; an
unknown id is refused, naming it, before any link changes."""

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.sql.expression import ClauseElement

from app import crud
from app.core import query
from app.core.db import Database
from app.core.errors import InvalidInput, UnknownRelated
from app.models import Page, Tag, User
from tests.core.query.conftest import Counted, find_many


@asynccontextmanager
async def transaction(database: Database) -> AsyncIterator[query.Fetch]:
    """A fetch on one connection in one transaction, as crud gives one."""
    async with crud.transaction(database) as tx:

        async def fetch(
            statement: ClauseElement, params: Mapping[str, Any]
        ) -> list[dict[str, Any]]:
            return await crud._run(tx.database, tx.link, statement, params)  # pyright: ignore[reportPrivateUsage]

        yield fetch


async def _tags_of(fetch: Counted, page_id: str) -> list[str]:
    rows = await find_many(fetch, Page, where={"id": page_id}, include={"tags": "true"})
    return sorted(tag["name"] for tag in rows[0]["tags"])


@pytest.fixture
async def page_and_tags(db: Database) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run = "w" + secrets.token_hex(4)
    author = await crud.create(db, User, {"email": f"{run}@example.com"})
    page = await crud.create(db, Page, {"title": "t", "slug": run, "authorId": author["id"]})
    tags = [await crud.create(db, Tag, {"name": f"{run}-{i}"}) for i in range(4)]
    return page, tags


def _body(operation: str, tags: list[dict[str, Any]]) -> dict[str, Any]:
    return {"title": "new", "tags": {operation: [{"id": tag["id"]} for tag in tags]}}


async def test_connect_disconnect_and_set(db: Database, fetch: Counted, page_and_tags: Any) -> None:
    page, tags = page_and_tags
    names = [tag["name"] for tag in tags]
    for body, expected in [
        (_body("connect", tags[:2]), names[:2]),
        (_body("connect", tags[1:3]), names[:3]),  # connecting a linked tag again is no error
        (_body("disconnect", tags[:1]), names[1:3]),
        (_body("set", [tags[3], tags[0]]), [names[0], names[3]]),
        (_body("set", []), []),
    ]:
        columns, writes = query.split_relation_writes(Page, body)
        assert columns == {"title": "new"}
        async with transaction(db) as run:
            await query.apply_relation_writes(run, Page, page["id"], writes)
        assert await _tags_of(fetch, page["id"]) == expected


async def test_an_unknown_id_is_named_and_nothing_changes(
    db: Database, fetch: Counted, page_and_tags: Any
) -> None:
    page, tags = page_and_tags
    _, writes = query.split_relation_writes(Page, _body("connect", tags[:1]))
    async with transaction(db) as run:
        await query.apply_relation_writes(run, Page, page["id"], writes)
    _, writes = query.split_relation_writes(
        Page,
        {"tags": {"set": [{"id": tags[1]["id"]}, {"id": 2_000_000_001}, {"id": 2_000_000_002}]}},
    )
    with pytest.raises(UnknownRelated) as caught:
        async with transaction(db) as run:
            await query.apply_relation_writes(run, Page, page["id"], writes)
    assert caught.value.detail == "No Tag with id 2000000001, 2000000002"
    assert caught.value.body()["detail"][0]["loc"] == ["body", "tags"]
    assert await _tags_of(fetch, page["id"]) == [tags[0]["name"]]


async def test_the_links_roll_back_with_the_row(
    db: Database, fetch: Counted, page_and_tags: Any
) -> None:
    page, tags = page_and_tags
    _, writes = query.split_relation_writes(Page, _body("connect", tags))
    with pytest.raises(RuntimeError):
        async with transaction(db) as run:
            await query.apply_relation_writes(run, Page, page["id"], writes)
            raise RuntimeError("the row's own write failed")
    assert await _tags_of(fetch, page["id"]) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tags": {"connect": [{"name": "x"}]}}, "Expected objects like {'id': ...}"),
        ({"tags": {"connect": [{"id": "one"}]}}, "id: expected an integer"),
        ({"tags": {"connect": [{"id": i} for i in range(101)]}}, "At most 100 ids"),
    ],
)
def test_a_bad_relation_write_is_refused(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        query.split_relation_writes(Page, body)


def test_the_write_schema_names_the_relation() -> None:
    model = query.relation_write_model(Page, "tags")
    assert model.__name__ == "PageTagsRelationInput"
    value = model.model_validate({"connect": {"id": 3}, "set": [{"id": 1}]})
    assert query.split_relation_writes(Page, {"tags": value})[1] == [
        query.RelationWrite("tags", connect=(3,), set=(1,))
    ]
    assert query.many_to_many(Page) == ["tags"] and query.many_to_many(User) == []
