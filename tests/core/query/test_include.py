"""include: to-one, to-many and implicit many-to-many, two levels deep, in Prisma's
shape; one statement per included relation and level, whatever the number of rows."""

import secrets
from typing import Any

import pytest

from app import crud
from app.core import query
from app.core.db import Database
from app.core.errors import InvalidQueryPart
from app.models import Page, User
from tests.core.query.conftest import Counted, Dataset, find_many


async def test_two_levels_and_every_kind_of_relation(data: Dataset, fetch: Counted) -> None:
    include = {
        "author": {"include": {"profile": "true"}},
        "tags": "true",
        "parent": "true",
        "children": {"include": {"tags": "true"}},
    }
    rows = await find_many(
        fetch,
        Page,
        where={"slug": {"startsWith": data.run}},
        order_by={"slug": "asc"},
        include=include,
    )
    assert len(fetch.statements) == 1 + 6  # the pages, then one per included relation and level
    profiles = {p["userId"]: p for p in data.profiles}
    by_id = {p["id"]: p for p in data.pages}
    for row, page in zip(rows, data.pages, strict=True):
        author = data.user(page["authorId"])
        # The kit hands rows on as the driver reads them (enum labels as stored, `editor`);
        # crud converts them to what the model holds (`EDITOR`).
        stored_role = row["author"]["role"]
        assert stored_role == author["role"].lower()
        assert {**row["author"], "role": author["role"]} == {
            **author,
            "profile": profiles.get(author["id"]),
        }
        assert row["tags"] == data.tags_of(page)
        assert row["parent"] == (by_id[page["parentId"]] if page["parentId"] else None)
        children = [c for c in data.pages if c["parentId"] == page["id"]]
        assert [c["id"] for c in row["children"]] == sorted(c["id"] for c in children)
        for child in row["children"]:
            assert child["tags"] == data.tags_of(by_id[child["id"]])
    assert any(row["children"] for row in rows) and any(
        row["author"]["profile"] is None for row in rows
    )


async def test_a_to_many_include_is_bounded_per_parent(data: Dataset, fetch: Counted) -> None:
    intro = data.tags[0]
    rows = await find_many(
        fetch,
        User,
        where={"email": {"startsWith": data.run}},
        order_by={"email": "asc"},
        include={"pages": {"take": "2"}},
    )
    for row in rows:
        own = sorted(p["id"] for p in data.pages if p["authorId"] == row["id"])
        assert [p["id"] for p in row["pages"]] == own[:2]
    assert max(len([p for p in data.pages if p["authorId"] == u["id"]]) for u in data.users) > 2
    assert intro  # the data set has tags; pages carry them


async def test_the_number_of_statements_does_not_grow_with_rows(
    db: Database, fetch: Counted
) -> None:
    run = "n" + secrets.token_hex(4)
    author = await crud.create(db, User, {"email": f"{run}@example.com"})
    pages = [
        await crud.create(
            db, Page, {"title": "t", "slug": f"{run}-{i:03d}", "authorId": author["id"]}
        )
        for i in range(100)
    ]
    include = {
        "author": {"include": {"profile": "true", "pages": {"take": "1"}}},
        "tags": "true",
        "revisions": "true",
    }
    counts = []
    for prefix in (pages[0]["slug"], run):
        fetch.statements.clear()
        rows = await find_many(fetch, Page, where={"slug": {"startsWith": prefix}}, include=include)
        counts.append((len(rows), len(fetch.statements)))
    assert counts == [(1, 6), (100, 6)]


@pytest.mark.parametrize(
    ("include", "loc", "message"),
    [
        ({"title": "true"}, ("include", "title"), "not an includable relation of Page"),
        ({"author": "yes"}, ("include", "author"), "takes true"),
        ({"author": {"take": "2"}}, ("include", "author", "take"), "author takes include"),
        ({"tags": {"take": "0"}}, ("include", "tags", "take"), "from 1 to 100"),
        (
            {
                "author": {
                    "include": {"pages": {"include": {"author": {"include": {"profile": "true"}}}}}
                }
            },
            ("include", "author", "include", "pages", "include", "author", "include"),
            "at most 3 levels",
        ),
        (
            {
                "author": "true",
                "tags": "true",
                "parent": "true",
                "children": {
                    "include": {
                        "author": "true",
                        "tags": "true",
                        "parent": "true",
                        "revisions": "true",
                    }
                },
                "revisions": "true",
            },
            ("include", "revisions"),
            "At most 8 includes",
        ),
    ],
)
def test_a_bad_include_names_its_place(
    include: dict[str, Any], loc: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(InvalidQueryPart, match=message) as caught:
        query.compile_include(Page, include, query.expose_all)
    assert caught.value.loc == loc


def test_a_relation_to_an_unexposed_model_is_not_includable() -> None:
    def pages_only(model: type) -> query.QueryPolicy | None:
        return query.QueryPolicy() if model is Page else None

    assert query.includable(Page, pages_only) == ("parent", "children")
    with pytest.raises(InvalidQueryPart, match="use one of: parent, children"):
        query.compile_include(Page, {"author": "true"}, pages_only)
