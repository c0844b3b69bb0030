"""A fixed set of users, profiles, tags and pages with unique slugs (so other tests' rows
never match), a `fetch` that runs statements the way app.crud does (compiled once,
run on the driver), and a reference `find_many` over the kit."""

import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.sql.expression import ClauseElement

from app import crud
from app.core import query
from app.core.db import Database, create_database
from app.core.query.model_info import describe
from app.models import Page, PageStatus, PageToTag_table, Profile, Role, Tag, User
from tests.core.conftest import make_settings


@dataclass
class Counted:
    """A fetch that counts the statements it runs."""

    database: Database
    statements: list[str] = field(default_factory=list)

    async def __call__(
        self, statement: ClauseElement, params: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        self.statements.append(str(statement))
        async with crud._connected(self.database, Page, "read") as connection:  # pyright: ignore[reportPrivateUsage]
            return await crud._run(self.database, connection, statement, params)  # pyright: ignore[reportPrivateUsage]


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = create_database(make_settings(database_url))
    assert database is not None
    yield database
    await database.dispose()


@pytest.fixture
def fetch(db: Database) -> Counted:
    return Counted(db)


@dataclass
class Dataset:
    run: str  # every slug, email and tag name starts with it
    users: list[dict[str, Any]]
    profiles: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    links: set[tuple[str, int]]  # (page id, tag id)

    def tags_of(self, page: Mapping[str, Any]) -> list[dict[str, Any]]:
        ids = sorted(tag for page_id, tag in self.links if page_id == page["id"])
        return [t for t in self.tags if t["id"] in ids]

    def user(self, id_: str) -> dict[str, Any]:
        return next(u for u in self.users if u["id"] == id_)


T0 = datetime(2026, 3, 1, 12, 0, 0)


@pytest.fixture(scope="module")
async def data(db: Database) -> Dataset:
    run = "q" + secrets.token_hex(4)
    roles = [Role.ADMIN, Role.EDITOR, Role.VIEWER, Role.EDITOR]
    users = [
        await crud.create(
            db,
            User,
            {
                "email": f"{run}-{i}@example.com",
                "role": role,
                "name": None if i == 2 else f"User {i}",
            },
        )
        for i, role in enumerate(roles)
    ]
    profiles = [
        await crud.create(db, Profile, {"userId": users[i]["id"], "bio": f"bio {i}"})
        for i in (0, 1)
    ]
    tags = [
        await crud.create(db, Tag, {"name": f"{run}-{name}"}) for name in ("intro", "guide", "misc")
    ]
    statuses = list(PageStatus)
    pages = []
    for i in range(14):
        values: dict[str, Any] = {
            "title": ["Intro to SQL", "intro_100%", "Guide", "Advanced guide", "misc", "Zebra"][
                i % 6
            ]
            + f" {i % 4}",
            "slug": f"{run}-{i:02d}",
            "content": None if i % 3 == 0 else f"content {i}",
            "status": statuses[i % 3],
            "published": i % 2 == 0,
            "keywords": [["a", "b"], [], ["b"], ["c", "a"]][i % 4],
            "price": None if i % 4 == 1 else Decimal(i * 3 % 7) + Decimal("0.50"),
            "viewCount": (i * 7) % 5 + (2**40 if i == 5 else 0),
            "authorId": users[i % 4]["id"],
            "createdAt": T0 + timedelta(hours=i % 5),  # ties on purpose
        }
        if i >= 10:
            values["parentId"] = pages[i - 10]["id"]
        pages.append(await crud.create(db, Page, values))
    links = {(pages[i]["id"], tags[i % 3]["id"]) for i in range(0, 14, 2)}
    links |= {(pages[i]["id"], tags[0]["id"]) for i in (3, 9)}
    fetch = Counted(db)
    for page_id, tag_id in sorted(links):
        statement = PageToTag_table.insert().values(
            A=bindparam("a"), B=bindparam("b", type_=Integer)
        )
        await fetch(statement, {"a": page_id, "b": tag_id})
    return Dataset(run, users, profiles, tags, pages, links)


async def find_many(
    fetch: Counted,
    model: Any,
    *,
    where: Mapping[str, Any] | None = None,
    order_by: Any = None,
    include: Mapping[str, Any] | None = None,
    policies: query.Policies = query.expose_all,
) -> list[dict[str, Any]]:
    """The kit's answer to Prisma's findMany(where, orderBy, include): what the lead's
    crud will do, in a few lines."""
    compiled = query.compile_where(model, where, policies)
    order = query.compile_order(model, order_by, policies)
    tree = query.compile_include(model, include, policies)
    table = describe(model).table
    columns = [table.c[f.column.key].label(name) for name, f in describe(model).scalars.items()]
    statement = (
        select(*columns)
        .where(query.where_clause(model, compiled.shape))
        .order_by(*query.order_clauses(model, order))
    )
    rows = await fetch(statement, compiled.params)
    await query.load_includes(fetch, model, rows, tree)
    return rows
