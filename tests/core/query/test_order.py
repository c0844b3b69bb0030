"""orderBy with several keys and NULLs, and keyset walks under custom orders: walking
every page with cursors gives exactly the rows of one ordered query."""

import functools
from typing import Any

import pytest
from sqlalchemy import select

from app.core import query
from app.core.errors import InvalidQueryPart
from app.core.query.model_info import describe
from app.models import Page
from tests.core.query.conftest import Counted, Dataset, find_many


def _compare(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _python_order(rows: list[dict[str, Any]], keys: list[tuple[str, bool, bool]]) -> list[str]:
    """Slugs of `rows` ordered by (name, descending, nulls_first) keys."""

    def compare(x: dict[str, Any], y: dict[str, Any]) -> int:
        for name, descending, nulls_first in keys:
            a, b = x[name], y[name]
            if a is None or b is None:
                if a is None and b is None:
                    continue
                return (-1 if a is None else 1) * (1 if nulls_first else -1)
            result = _compare(a, b) * (-1 if descending else 1)
            if result:
                return result
        return 0

    return [row["slug"] for row in sorted(rows, key=functools.cmp_to_key(compare))]


ORDERS: dict[str, tuple[Any, list[tuple[str, bool, bool]]]] = {
    "nullable desc, nulls last, then asc": (
        [{"price": {"sort": "desc", "nulls": "last"}}, {"createdAt": "asc"}, {"slug": "asc"}],
        [("price", True, False), ("createdAt", False, False), ("slug", False, False)],
    ),
    "nullable asc, nulls first": (
        [{"price": {"sort": "asc", "nulls": "first"}}, {"slug": "desc"}],
        [("price", False, True), ("slug", True, False)],
    ),
    "default null places (asc last, desc first)": (
        {"price": "desc", "viewCount": "asc", "slug": "asc"},
        [("price", True, True), ("viewCount", False, False), ("slug", False, False)],
    ),
}


@pytest.mark.parametrize("name", list(ORDERS))
async def test_multi_key_order_with_nulls(name: str, data: Dataset, fetch: Counted) -> None:
    order_by, keys = ORDERS[name]
    rows = await find_many(fetch, Page, where={"slug": {"startsWith": data.run}}, order_by=order_by)
    assert [row["slug"] for row in rows] == _python_order(data.pages, keys)


async def _walk(fetch: Counted, run: str, order_by: Any, size: int) -> list[str]:
    order = query.compile_order(Page, order_by, query.expose_all)
    where = query.compile_where(Page, {"slug": {"startsWith": run}}, query.expose_all)
    table = describe(Page).table
    columns = [table.c[f.column.key].label(name) for name, f in describe(Page).scalars.items()]
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        conditions = [query.where_clause(Page, where.shape)]
        params = dict(where.params)
        if cursor is not None:
            after = query.decode_cursor(Page, order, cursor)
            conditions.append(query.after_clause(Page, order, after.null_bounds))
            params |= after.params
        statement = (
            select(*columns)
            .where(*conditions)
            .order_by(*query.order_clauses(Page, order))
            .limit(size + 1)
        )
        rows = await fetch(statement, params)
        seen += [row["slug"] for row in rows[:size]]
        if len(rows) <= size:
            return seen
        cursor = query.cursor_for(order, rows[size - 1])
    raise AssertionError("the walk did not end")


WALKS = {
    "nullable text asc (nulls last)": {"content": "asc"},
    "nullable text desc (nulls first)": {"content": "desc"},
    "nullable asc nulls first, mixed directions": [
        {"content": {"sort": "asc", "nulls": "first"}},
        {"createdAt": "desc"},
    ],
    "nullable desc nulls last, then ties on a timestamp": [
        {"price": {"sort": "desc", "nulls": "last"}},
        {"createdAt": "asc"},
    ],
    "nullable foreign key then enum desc": [{"parentId": "asc"}, {"status": "desc"}],
    "enum, boolean, bigint mixed": [{"status": "asc"}, {"published": "desc"}, {"viewCount": "asc"}],
    "timestamp with ties only (the key breaks them)": {"createdAt": "desc"},
    "one text key": {"title": "asc"},
}


@pytest.mark.parametrize("name", list(WALKS))
@pytest.mark.parametrize("size", [1, 3])
async def test_a_keyset_walk_gives_the_full_order(
    name: str, size: int, data: Dataset, fetch: Counted
) -> None:
    order_by = WALKS[name]
    full = await find_many(fetch, Page, where={"slug": {"startsWith": data.run}}, order_by=order_by)
    assert len(full) == len(data.pages)
    assert await _walk(fetch, data.run, order_by, size) == [row["slug"] for row in full]


def test_the_primary_key_ends_every_order() -> None:
    order = query.compile_order(Page, [{"title": "desc"}], query.expose_all)
    assert [(key.name, key.descending) for key in order.keys] == [("title", True), ("id", True)]


def test_a_cursor_for_another_order_is_refused(data: Dataset) -> None:
    by_title = query.compile_order(Page, {"title": "asc"}, query.expose_all)
    by_slug = query.compile_order(Page, {"slug": "asc"}, query.expose_all)
    cursor = query.cursor_for(by_title, data.pages[0])
    with pytest.raises(InvalidQueryPart, match="same orderBy") as caught:
        query.decode_cursor(Page, by_slug, cursor)
    assert caught.value.loc == ("cursor",)


@pytest.mark.parametrize(
    ("order_by", "loc", "message"),
    [
        ({"metadata_": "asc"}, ("orderBy", "metadata_"), "not a sortable field of Page"),
        ({"author": "asc"}, ("orderBy", "author"), "not a sortable field"),
        ({"title": "up"}, ("orderBy", "title"), "takes asc or desc"),
        (
            [{"title": {"sort": "asc", "nulls": "middle"}}],
            ("orderBy", 0, "title", "nulls"),
            "first or last",
        ),
        ([{"title": "asc"}, {"title": "desc"}], ("orderBy", 1, "title"), "ordered by twice"),
        ("title", ("orderBy",), "Expected an object"),
    ],
)
def test_a_bad_order_names_its_place(order_by: Any, loc: tuple[Any, ...], message: str) -> None:
    with pytest.raises(InvalidQueryPart, match=message) as caught:
        query.compile_order(Page, order_by, query.expose_all)
    assert caught.value.loc == loc


def test_a_policy_narrows_what_is_sortable() -> None:
    def titles_only(_: type) -> query.QueryPolicy:
        return query.QueryPolicy(sortable=frozenset({"title"}))

    query.compile_order(Page, {"title": "asc"}, titles_only)
    with pytest.raises(InvalidQueryPart, match=r"use one of: title$"):
        query.compile_order(Page, {"slug": "asc"}, titles_only)
