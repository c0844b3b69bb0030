"""`where` on real PostgreSQL: every operator family, AND/OR/NOT, relation filters.

Each case is (where, the same condition in Python over the inserted rows): the kit's
answer must be exactly the pages the Python predicate picks. The table is written so
that an oracle (Prisma's own findMany over the same rows) can be added beside it."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app import crud
from app.core import query
from app.core.errors import InvalidQueryPart
from app.models import AuditLog, Page, PageStatus, Role, User
from tests.core.query.conftest import T0, Counted, Dataset, find_many

Row = dict[str, Any]
Case = tuple[Callable[[Dataset], dict[str, Any]], Callable[[Row, Dataset], bool]]


def _lower(value: str | None) -> str:
    return (value or "").lower()


CASES: dict[str, Case] = {
    "shorthand equals": (lambda d: {"title": "Guide 2"}, lambda p, d: p["title"] == "Guide 2"),
    "equals null": (lambda d: {"content": None}, lambda p, d: p["content"] is None),
    "not null": (lambda d: {"content": {"not": None}}, lambda p, d: p["content"] is not None),
    "not value excludes nulls": (
        lambda d: {"content": {"not": "content 4"}},
        lambda p, d: p["content"] is not None and p["content"] != "content 4",
    ),
    "not nested filter": (
        lambda d: {"title": {"not": {"startsWith": "Intro"}}},
        lambda p, d: not p["title"].startswith("Intro"),
    ),
    "in": (
        lambda d: {"title": {"in": ["misc 0", "Zebra 1", "nothing"]}},
        lambda p, d: p["title"] in ("misc 0", "Zebra 1"),
    ),
    "notIn": (lambda d: {"title": {"notIn": ["misc 0"]}}, lambda p, d: p["title"] != "misc 0"),
    "in empty matches nothing": (lambda d: {"title": {"in": []}}, lambda p, d: False),
    "contains takes % and _ literally": (
        lambda d: {"title": {"contains": "_100%"}},
        lambda p, d: "_100%" in p["title"],
    ),
    "contains insensitive": (
        lambda d: {"title": {"contains": "GUIDE", "mode": "insensitive"}},
        lambda p, d: "guide" in p["title"].lower(),
    ),
    "contains is case sensitive by default": (
        lambda d: {"title": {"contains": "guide"}},
        lambda p, d: "guide" in p["title"],
    ),
    "startsWith and endsWith": (
        lambda d: {"title": {"startsWith": "Intro", "endsWith": "2"}},
        lambda p, d: p["title"].startswith("Intro") and p["title"].endswith("2"),
    ),
    "equals insensitive": (
        lambda d: {"title": {"equals": "ZEBRA 1", "mode": "insensitive"}},
        lambda p, d: p["title"].lower() == "zebra 1",
    ),
    "string lt": (lambda d: {"title": {"lt": "Guide"}}, lambda p, d: p["title"] < "Guide"),
    "bigint gte beyond int4": (
        lambda d: {"viewCount": {"gte": str(2**40)}},
        lambda p, d: p["viewCount"] >= 2**40,
    ),
    "bigint range": (
        lambda d: {"viewCount": {"gt": "0", "lte": "3"}},
        lambda p, d: 0 < p["viewCount"] <= 3,
    ),
    "decimal lt excludes nulls": (
        lambda d: {"price": {"lt": "3.5"}},
        lambda p, d: p["price"] is not None and p["price"] < Decimal("3.5"),
    ),
    "datetime range": (
        lambda d: {
            "createdAt": {
                "gte": (T0 + timedelta(hours=1)).isoformat() + "Z",
                "lt": (T0 + timedelta(hours=3)).isoformat() + "Z",
            }
        },
        lambda p, d: T0 + timedelta(hours=1) <= p["createdAt"] < T0 + timedelta(hours=3),
    ),
    "boolean": (lambda d: {"published": "false"}, lambda p, d: not p["published"]),
    "boolean not": (lambda d: {"published": {"not": "true"}}, lambda p, d: not p["published"]),
    "enum by Prisma name": (
        lambda d: {"status": "ARCHIVED"},
        lambda p, d: p["status"] == PageStatus.ARCHIVED,
    ),
    "enum in": (
        lambda d: {"status": {"in": ["DRAFT", "ARCHIVED"]}},
        lambda p, d: p["status"] in (PageStatus.DRAFT, PageStatus.ARCHIVED),
    ),
    "list has": (lambda d: {"keywords": {"has": "a"}}, lambda p, d: "a" in p["keywords"]),
    "list hasSome": (
        lambda d: {"keywords": {"hasSome": ["c", "z"]}},
        lambda p, d: bool({"c", "z"} & set(p["keywords"])),
    ),
    "list hasEvery": (
        lambda d: {"keywords": {"hasEvery": ["a", "b"]}},
        lambda p, d: {"a", "b"} <= set(p["keywords"]),
    ),
    "list isEmpty": (lambda d: {"keywords": {"isEmpty": "true"}}, lambda p, d: not p["keywords"]),
    "list equals": (
        lambda d: {"keywords": {"equals": ["c", "a"]}},
        lambda p, d: p["keywords"] == ["c", "a"],
    ),
    "AND list": (
        lambda d: {"AND": [{"published": "true"}, {"content": {"not": None}}]},
        lambda p, d: p["published"] and p["content"] is not None,
    ),
    "OR": (
        lambda d: {"OR": [{"title": {"startsWith": "Zebra"}}, {"status": "PUBLISHED"}]},
        lambda p, d: p["title"].startswith("Zebra") or p["status"] == PageStatus.PUBLISHED,
    ),
    "OR empty matches nothing": (lambda d: {"OR": []}, lambda p, d: False),
    "NOT object": (
        lambda d: {"NOT": {"published": "true", "status": "DRAFT"}},
        lambda p, d: not (p["published"] and p["status"] == PageStatus.DRAFT),
    ),
    "NOT list is none of them": (
        lambda d: {"NOT": [{"published": "true"}, {"status": "DRAFT"}]},
        lambda p, d: not p["published"] and p["status"] != PageStatus.DRAFT,
    ),
    "to-one is: author's role": (
        lambda d: {"author": {"is": {"role": "EDITOR"}}},
        lambda p, d: d.user(p["authorId"])["role"] == Role.EDITOR,
    ),
    "to-one isNot": (
        lambda d: {"author": {"isNot": {"role": "EDITOR"}}},
        lambda p, d: d.user(p["authorId"])["role"] != Role.EDITOR,
    ),
    "optional to-one is null": (
        lambda d: {"parent": {"is": None}},
        lambda p, d: p["parentId"] is None,
    ),
    "optional to-one isNot null": (
        lambda d: {"parent": {"isNot": None}},
        lambda p, d: p["parentId"] is not None,
    ),
    "m2m some: a tag named intro": (
        lambda d: {"tags": {"some": {"name": f"{d.run}-intro"}}},
        lambda p, d: any(t["name"] == f"{d.run}-intro" for t in d.tags_of(p)),
    ),
    "m2m none": (
        lambda d: {"tags": {"none": {"name": f"{d.run}-intro"}}},
        lambda p, d: all(t["name"] != f"{d.run}-intro" for t in d.tags_of(p)),
    ),
    "m2m every (vacuous for no tags)": (
        lambda d: {"tags": {"every": {"name": {"endsWith": "intro"}}}},
        lambda p, d: all(t["name"].endswith("intro") for t in d.tags_of(p)),
    ),
    "to-many some on children": (
        lambda d: {"children": {"some": {"published": "true"}}},
        lambda p, d: any(c["parentId"] == p["id"] and c["published"] for c in d.pages),
    ),
    "two hops: author's profile bio": (
        lambda d: {"author": {"is": {"profile": {"is": {"bio": "bio 1"}}}}},
        lambda p, d: p["authorId"] == d.users[1]["id"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_where_matches_the_python_reading(name: str, data: Dataset, fetch: Counted) -> None:
    make_where, predicate = CASES[name]
    where = {"AND": [{"slug": {"startsWith": data.run}}, make_where(data)]}
    rows = await find_many(fetch, Page, where=where, order_by={"slug": "asc"})
    expected = [p["slug"] for p in data.pages if predicate(p, data)]
    assert [row["slug"] for row in rows] == expected
    if "nothing" not in name:  # the case tells rows apart: neither none nor all
        assert 0 < len(expected) < len(data.pages)
    assert len(fetch.statements) == 1


async def test_users_filtered_by_their_pages(data: Dataset, fetch: Counted) -> None:
    where = {
        "email": {"startsWith": data.run},
        "pages": {"some": {"tags": {"some": {"name": f"{data.run}-guide"}}}},
    }
    rows = await find_many(fetch, User, where=where, order_by={"email": "asc"})
    guide = data.tags[1]["id"]
    authors = {p["authorId"] for p in data.pages if (p["id"], guide) in data.links}
    assert [row["id"] for row in rows] == [u["id"] for u in data.users if u["id"] in authors]


async def test_the_same_shape_with_other_values_shares_one_statement() -> None:
    first = query.compile_where(
        Page, {"title": {"contains": "a"}, "viewCount": {"gt": "1"}}, query.expose_all
    )
    second = query.compile_where(
        Page, {"title": {"contains": "b"}, "viewCount": {"gt": "7"}}, query.expose_all
    )
    assert first.shape == second.shape and hash(first.shape) == hash(second.shape)
    assert not first.empty and query.compile_where(Page, {}, query.expose_all).empty
    assert first.params != second.params
    sql = str(query.where_clause(Page, first.shape))
    assert "'a'" not in sql and ":w0" in sql and ":w1" in sql


BAD: dict[str, tuple[dict[str, Any], tuple[Any, ...], str]] = {
    "unknown field": (
        {"titel": "x"},
        ("where", "titel"),
        "'titel' is not a filterable field of Page",
    ),
    "unknown operator": (
        {"title": {"contans": "x"}},
        ("where", "title", "contans"),
        "'contans' is not an operator of title",
    ),
    "operator of another type": (
        {"viewCount": {"contains": "1"}},
        ("where", "viewCount", "contains"),
        "not an operator of viewCount",
    ),
    "wrong value type": (
        {"viewCount": {"gt": "many"}},
        ("where", "viewCount", "gt"),
        "expected an integer",
    ),
    "lax booleans refused": (
        {"published": "yes"},
        ("where", "published"),
        "expected true or false",
    ),
    "enum by database label refused": (
        {"status": "draft"},
        ("where", "status"),
        "one of DRAFT, PUBLISHED, ARCHIVED",
    ),
    "null on a required field": ({"title": None}, ("where", "title"), "title is never null"),
    "json is not filterable": (
        {"metadata_": {"equals": "x"}},
        ("where", "metadata_"),
        "not a filterable field",
    ),
    "wrong relation filter": (
        {"author": {"some": {}}},
        ("where", "author", "some"),
        "use one of: is, isNot",
    ),
    "in list too long": (
        {"title": {"in": [str(i) for i in range(101)]}},
        ("where", "title", "in"),
        "At most 100 values",
    ),
    "OR needs a list": ({"OR": {"title": "x"}}, ("where", "OR"), "OR takes a list"),
    "mode on a number": (
        {"viewCount": {"equals": "1", "mode": "insensitive"}},
        ("where", "viewCount", "mode"),
        "string fields only",
    ),
    "int out of range": (
        {"viewCount": {"gt": str(2**64)}},
        ("where", "viewCount", "gt"),
        "expected an integer",
    ),
    "too many conditions": (
        {"OR": [{"title": str(i)} for i in range(51)]},
        ("where", "OR", 50, "title"),
        "at most 50",
    ),
    "relations nested too deep": (
        {"author": {"is": {"pages": {"some": {"author": {"is": {"pages": {"some": {}}}}}}}}},
        ("where", "author", "is", "pages", "some", "author", "is", "pages"),
        "nest at most 3 deep",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_where_names_its_place_and_what_to_fix(name: str) -> None:
    where, loc, message = BAD[name]
    with pytest.raises(InvalidQueryPart) as caught:
        query.compile_where(Page, where, query.expose_all)
    assert caught.value.loc == loc
    assert message in caught.value.detail
    assert caught.value.body()["detail"][0]["loc"] == ["query", *loc]


def _only_pages_and_authors_role(model: type) -> query.QueryPolicy | None:
    if model is Page:
        return query.QueryPolicy(filterable=frozenset({"title", "author"}))
    if model is User:
        return query.QueryPolicy(filterable=frozenset({"role"}))
    return None


def test_a_policy_narrows_what_is_filterable() -> None:
    query.compile_where(Page, {"author": {"is": {"role": "ADMIN"}}}, _only_pages_and_authors_role)
    with pytest.raises(InvalidQueryPart, match="use one of: title, author, AND, OR, NOT"):
        query.compile_where(Page, {"slug": "x"}, _only_pages_and_authors_role)
    with pytest.raises(InvalidQueryPart, match="'email' is not a filterable field of User"):
        query.compile_where(Page, {"author": {"is": {"email": "x"}}}, _only_pages_and_authors_role)


async def test_mapped_columns_uuid_and_bigint_keys(db: Any, data: Dataset, fetch: Counted) -> None:
    logs = [
        await crud.create(
            db,
            AuditLog,
            {"action": f"{data.run}-{i}", "actorId": data.users[i]["id"] if i else None},
        )
        for i in range(3)
    ]
    where = {
        "action": {"startsWith": data.run},
        "correlationId": {"in": [str(logs[1]["correlationId"]), str(logs[2]["correlationId"])]},
        "id": {"gte": str(logs[0]["id"])},
    }
    rows = await find_many(
        fetch, AuditLog, where=where, order_by={"id": "desc"}, include={"actor": "true"}
    )
    assert [row["id"] for row in rows] == [logs[2]["id"], logs[1]["id"]]
    assert [row["actor"]["id"] for row in rows] == [data.users[2]["id"], data.users[1]["id"]]
    nobody = await find_many(
        fetch,
        AuditLog,
        where={"action": {"startsWith": data.run}, "actor": {"is": None}},
        include={"actor": "true"},
    )
    assert [(row["id"], row["actor"]) for row in nobody] == [(logs[0]["id"], None)]


def test_an_empty_value_for_null_hints_at_the_client_set_up() -> None:
    with pytest.raises(InvalidQueryPart, match="strictNullHandling"):
        query.compile_where(Page, {"price": {"equals": ""}}, query.expose_all)
