"""The generated models behave as Prisma's client does, through SQLModel's AsyncSession."""

import asyncio
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Result, text
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, selectinload
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import AuditLog, Page, PageRevision, PageStatus, Profile, Role, Tag, User
from app.view_tables import PublishedPage

CUID = re.compile(r"^c[0-9a-z]{24}$")
CUID2 = re.compile(r"^[a-z][0-9a-z]{23}$")
NANOID = re.compile(r"^[A-Za-z0-9_-]{21}$")
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


async def sql(session: AsyncSession, query: str, **params: object) -> Result[Any]:
    """Raw SQL on the session's connection: what the database really holds."""
    connection = await session.connection()
    return await connection.execute(text(query), params)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def relation(attribute: object) -> QueryableAttribute[Any]:
    """A relationship as the ORM attribute it is at class level (SQLModel types it as
    its Python value), for loader options such as selectinload."""
    assert isinstance(attribute, QueryableAttribute)
    return attribute


def new_user(**values: Any) -> User:
    return User(email=f"{unique('user')}@example.com", **values)


def new_page(author: User, **values: Any) -> Page:
    return Page(title="A page", slug=unique("slug"), author=author, **values)


async def test_inserts_without_ids_or_timestamps_get_prisma_shaped_values(
    session: AsyncSession,
) -> None:
    user = new_user()
    page = new_page(user)
    log = AuditLog(action="page.created", actor=user)
    session.add_all([user, page, log])
    await session.commit()

    assert uuid.UUID(user.id).version == 4
    assert CUID.match(page.id)
    assert CUID2.match(log.eventId)
    assert NANOID.match(log.requestId)
    assert ULID.match(log.traceId)
    assert uuid.UUID(log.correlationId).version == 7
    stored = (
        await sql(session, 'SELECT "updatedAt", "createdAt" FROM "Page" WHERE id = :id', id=page.id)
    ).one()
    assert (stored.updatedAt, stored.createdAt) == (page.updatedAt, page.createdAt)
    assert page.updatedAt.tzinfo is None
    assert page.updatedAt.microsecond % 1000 == 0
    assert abs(page.updatedAt - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)


async def test_literal_and_list_defaults_apply_before_insert(session: AsyncSession) -> None:
    user = new_user()
    page = new_page(user)

    assert (user.role, page.status, page.published) == (Role.EDITOR, PageStatus.DRAFT, False)
    assert (page.keywords, page.viewCount) == ([], 0)
    session.add(page)
    await session.commit()
    row = (
        await sql(session, 'SELECT keywords, "viewCount" FROM "Page" WHERE id = :id', id=page.id)
    ).one()
    assert (row.keywords, row.viewCount) == ([], 0)


async def test_an_update_bumps_updated_at(session: AsyncSession) -> None:
    page = new_page(new_user())
    session.add(page)
    await session.commit()
    inserted = page.updatedAt

    await asyncio.sleep(0.01)
    page.title = "Renamed"
    await session.commit()

    assert page.updatedAt > inserted
    stored = (
        await sql(session, 'SELECT "updatedAt" FROM "Page" WHERE id = :id', id=page.id)
    ).scalar()
    assert stored == page.updatedAt


async def test_aware_datetimes_are_stored_as_naive_utc(session: AsyncSession) -> None:
    page = new_page(new_user())
    page.createdAt = datetime(2026, 1, 2, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    session.add(page)
    await session.commit()

    stored = (
        await sql(session, 'SELECT "createdAt" FROM "Page" WHERE id = :id', id=page.id)
    ).scalar()
    assert stored == datetime(2026, 1, 2, 10, 0, 0, 123000)


async def test_json_none_is_sql_null_and_values_round_trip(session: AsyncSession) -> None:
    empty = new_page(new_user(), metadata_=None)
    filled = new_page(empty.author, metadata_={"seo": {"title": "x"}, "tags": [1, None]})
    session.add_all([empty, filled])
    await session.commit()

    result = await sql(
        session,
        'SELECT id, metadata IS NULL AS is_null FROM "Page" WHERE id IN (:a, :b)',
        a=empty.id,
        b=filled.id,
    )
    assert {row.id: row.is_null for row in result} == {empty.id: True, filled.id: False}
    session.expunge_all()
    loaded = await session.get(Page, filled.id)
    assert loaded is not None
    assert loaded.metadata_ == {"seo": {"title": "x"}, "tags": [1, None]}


async def test_deleting_a_referenced_row_fails_with_a_foreign_key_error(
    session: AsyncSession,
) -> None:
    user = new_user()
    session.add(new_page(user))
    await session.commit()
    user = (
        await session.exec(
            select(User).where(User.id == user.id).options(selectinload(relation(User.pages)))
        )
    ).one()

    await session.delete(user)
    with pytest.raises(IntegrityError) as failure:
        await session.commit()

    assert failure.value.orig is not None
    assert getattr(failure.value.orig, "sqlstate", None) in ("23001", "23503")
    assert "foreign key" in str(failure.value.orig)


async def test_database_cascades_delete_a_one_to_one_child(session: AsyncSession) -> None:
    user = new_user(profile=Profile(bio="hello"))
    session.add(user)
    await session.commit()

    await session.delete(user)
    await session.commit()

    assert (
        await sql(session, 'SELECT count(*) FROM "Profile" WHERE "userId" = :id', id=user.id)
    ).scalar() == 0


async def test_a_one_to_one_relation_loads_one_object(session: AsyncSession) -> None:
    user = new_user(profile=Profile(bio="hello"))
    session.add(user)
    await session.commit()
    session.expunge_all()

    loaded = (
        await session.exec(
            select(User).where(User.id == user.id).options(selectinload(relation(User.profile)))
        )
    ).one()

    assert isinstance(loaded.profile, Profile)
    assert loaded.profile.bio == "hello"
    assert loaded.profile.userId == user.id


async def test_many_to_many_goes_through_the_implicit_table(session: AsyncSession) -> None:
    tag = Tag(name=unique("tag"))
    page = new_page(new_user(), tags=[tag])
    session.add(page)
    await session.commit()

    link = (
        await sql(session, 'SELECT "A", "B" FROM "_PageToTag" WHERE "A" = :id', id=page.id)
    ).one()
    assert tuple(link) == (page.id, tag.id)
    session.expunge_all()
    loaded = (
        await session.exec(
            select(Tag).where(Tag.id == tag.id).options(selectinload(relation(Tag.pages)))
        )
    ).one()
    assert [p.id for p in loaded.pages] == [page.id]


async def test_self_relation_and_composite_key(session: AsyncSession) -> None:
    parent = new_page(new_user())
    child = new_page(parent.author, parent=parent)
    parent.revisions = [PageRevision(version=1, title="v1")]
    session.add_all([parent, child])
    await session.commit()
    session.expunge_all()

    loaded = (
        await session.exec(
            select(Page)
            .where(Page.id == parent.id)
            .options(selectinload(relation(Page.children)), selectinload(relation(Page.revisions)))
        )
    ).one()
    assert [c.id for c in loaded.children] == [child.id]
    assert await session.get(PageRevision, (parent.id, 1)) is not None


async def test_enum_values_round_trip_including_mapped_ones(session: AsyncSession) -> None:
    # Values are what Prisma's client speaks; `@map`ped labels stay in the database.
    assert [role.value for role in Role] == ["ADMIN", "EDITOR", "VIEWER"]
    user = new_user(role=Role("VIEWER"))
    page = new_page(user, status=PageStatus.ARCHIVED)
    session.add(page)
    await session.commit()

    role = await sql(session, 'SELECT role::text FROM "User" WHERE id = :id', id=user.id)
    status = await sql(session, 'SELECT status::text FROM "Page" WHERE id = :id', id=page.id)
    assert (role.scalar(), status.scalar()) == ("viewer", "ARCHIVED")
    await sql(session, """UPDATE "User" SET role = 'admin' WHERE id = :id""", id=user.id)
    await session.commit()
    session.expunge_all()
    loaded = await session.get(User, user.id)
    assert loaded is not None
    assert loaded.role is Role.ADMIN


async def test_a_view_reads_through_view_tables(session: AsyncSession) -> None:
    author = new_user()
    page = new_page(author, published=True, tags=[Tag(name=unique("t")), Tag(name=unique("t"))])
    session.add(page)
    await session.commit()

    connection = await session.connection()
    row = (
        await connection.execute(sql_select(PublishedPage).where(PublishedPage.c.id == page.id))
    ).one()

    assert (row.slug, row.authorEmail, row.tagCount) == (page.slug, author.email, 2)
    assert row.updatedAt == page.updatedAt


def test_a_view_is_keyed_and_knows_its_required_fields() -> None:
    """Prisma's `@unique` on a view's field is the key a row is addressed by."""
    assert [column.name for column in PublishedPage.primary_key] == ["id"]
    assert not any(column.nullable for column in PublishedPage.columns)
