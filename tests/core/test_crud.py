"""The CRUD helpers on other tables than pages: composite keys, serial ids, @map columns."""

import gc
import itertools
import secrets
from datetime import datetime, timedelta, timezone

import pytest
from loguru import logger

from app import crud
from app.core import query, schema_drift
from app.core.db import Database
from app.core.errors import (
    Conflict,
    InvalidInput,
    InvalidReference,
    NotFound,
    PreconditionFailed,
)
from app.models import AuditLog, Page, PageRevision, PageStatus, Role, Tag, User


async def _user(database: Database) -> crud.Record:
    return await crud.create(database, User, {"email": f"{secrets.token_hex(5)}@example.com"})


async def test_a_composite_key_is_read_updated_and_deleted_as_a_tuple(database: Database) -> None:
    author = await _user(database)
    page = await crud.create(
        database, Page, {"title": "T", "slug": secrets.token_hex(5), "authorId": author["id"]}
    )
    await crud.create(database, PageRevision, {"pageId": page["id"], "version": 1, "title": "v1"})
    key = (page["id"], 1)
    assert (await crud.get(database, PageRevision, key))["title"] == "v1"
    updated = await crud.update(database, PageRevision, key, {"title": "v1b"})
    assert updated["title"] == "v1b"
    await crud.delete(database, PageRevision, key)
    with pytest.raises(NotFound, match=r"PageRevision \("):
        await crud.get(database, PageRevision, key)


async def test_a_serial_id_is_assigned_and_a_unique_name_conflicts(database: Database) -> None:
    name = f"tag-{secrets.token_hex(4)}"
    tag = await crud.create(database, Tag, {"name": name})
    assert isinstance(tag["id"], int)
    with pytest.raises(Conflict) as caught:
        await crud.create(database, Tag, {"name": name})
    assert caught.value.fields == ("name",)
    assert caught.value.detail == "Tag with this name already exists"


async def test_a_mapped_column_is_reported_by_its_field_name(database: Database) -> None:
    with pytest.raises(InvalidReference) as caught:
        await crud.create(database, AuditLog, {"action": "x", "actorId": "nobody"})
    assert caught.value.field == "actorId"
    assert caught.value.detail == "actorId does not name an existing User"


async def test_deleting_a_row_still_referenced_is_a_conflict(database: Database) -> None:
    author = await _user(database)
    await crud.create(
        database, Page, {"title": "T", "slug": secrets.token_hex(5), "authorId": author["id"]}
    )
    with pytest.raises(Conflict, match="User is still referenced by Page"):
        await crud.delete(database, User, author["id"])


async def test_a_version_guards_a_delete(database: Database) -> None:
    author = await _user(database)
    with pytest.raises(PreconditionFailed):
        await crud.delete(database, User, author["id"], if_version="1")
    await crud.delete(database, User, author["id"], if_version=crud.version(User, author))
    with pytest.raises(NotFound):
        await crud.get(database, User, author["id"])


async def test_a_row_without_updated_at_is_versioned_by_its_values(database: Database) -> None:
    tag = await crud.create(database, Tag, {"name": f"tag-{secrets.token_hex(4)}"})
    version = crud.version(Tag, tag)
    renamed = await crud.update(
        database, Tag, tag["id"], {"name": f"tag-{secrets.token_hex(4)}"}, if_version=version
    )
    assert crud.version(Tag, renamed) != version
    with pytest.raises(PreconditionFailed):
        await crud.update(database, Tag, tag["id"], {"name": "again"}, if_version=version)
    with pytest.raises(PreconditionFailed):
        await crud.delete(database, Tag, tag["id"], if_version=version)
    assert await crud.update(database, Tag, tag["id"], {}) == renamed  # nothing to set
    await crud.delete(database, Tag, tag["id"], if_version=crud.version(Tag, renamed))


async def test_a_transaction_keeps_all_its_writes_or_none(database: Database) -> None:
    name = f"tag-{secrets.token_hex(4)}"
    with pytest.raises(Conflict):
        async with crud.transaction(database) as tx:
            await crud.create(tx, Tag, {"name": name})
            await crud.create(tx, Tag, {"name": name})  # the second one conflicts
    where = query.compile_where(Tag, {"name": name}, query.expose_all)
    listing = await crud.get_many(database, Tag, where=where)
    assert listing.data == []


async def test_values_are_read_as_the_model_holds_them(database: Database) -> None:
    log = await crud.create(database, AuditLog, {"action": "read-back"})
    assert isinstance(log["correlationId"], str)  # a @db.Uuid column, read as text
    assert isinstance(log["id"], int)
    user = await crud.create(
        database, User, {"email": f"{secrets.token_hex(5)}@example.com", "role": Role.ADMIN}
    )
    assert user["role"] == Role.ADMIN.value  # the enum member's value, not the stored label


def test_ordering_by_an_unknown_attribute_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no column attribute 'author'"):
        crud.column(Page, "author")


async def test_values_the_database_refuses_are_invalid_input_not_errors(
    database: Database,
) -> None:
    author = await _user(database)
    with pytest.raises(InvalidInput) as missing:
        await crud.create(database, Page, {"title": None, "slug": "s", "authorId": author["id"]})
    assert (missing.value.field, missing.value.detail) == ("title", "may not be null")
    with pytest.raises(InvalidInput, match="The database refused a value"):
        await crud.create(
            database,
            Page,
            {"title": "nul\x00", "slug": secrets.token_hex(5), "authorId": author["id"]},
        )


async def test_values_are_converted_by_the_column_types_both_ways(database: Database) -> None:
    """Statements run on the driver, but a value still goes in as the model's column type
    stores it: an aware datetime as naive UTC to the millisecond, JSON as jsonb."""
    author = await _user(database)
    created = datetime(2026, 1, 2, 5, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    stored_at = datetime(2026, 1, 2, 3, 4, 5, 678000)
    page = await crud.create(
        database,
        Page,
        {
            "title": "T",
            "slug": secrets.token_hex(5),
            "authorId": author["id"],
            "status": PageStatus.PUBLISHED,
            "metadata_": {"layout": ["wide", 1, None]},
            "createdAt": created,
        },
    )
    read = await crud.get(database, Page, page["id"])
    assert read == page
    assert read["createdAt"] == stored_at
    assert read["metadata_"] == {"layout": ["wide", 1, None]}
    assert read["status"] == PageStatus.PUBLISHED
    where = query.compile_where(
        Page, {"createdAt": created.isoformat(), "authorId": author["id"]}, query.expose_all
    )
    listing = await crud.get_many(database, Page, where=where)
    assert [row["id"] for row in listing.data] == [page["id"]]


async def test_statements_for_many_shapes_are_not_all_kept(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clients choose which fields a partial update sends: the statements built for each
    combination are bounded, and one evicted is built again when needed."""
    monkeypatch.setattr(crud, "SHAPES_KEPT", 2)
    author = await _user(database)
    page = await crud.create(
        database, Page, {"title": "T", "slug": secrets.token_hex(5), "authorId": author["id"]}
    )
    gc.collect()
    compiled_before = len(crud._compiled_statements)
    values = {"title": "New", "content": "Text", "published": True, "keywords": ["a"]}
    for size in range(1, len(values) + 1):
        for names in itertools.combinations(values, size):
            changed = {name: values[name] for name in names}
            updated = await crud.update(database, Page, page["id"], changed)
            assert {name: updated[name] for name in names} == changed
    gc.collect()
    assert len(crud._compiled_statements) <= compiled_before + 2


async def test_pages_of_one_author_include_it_once_converted(database: Database) -> None:
    # Converted twice, the role `ADMIN` would be read as a database label the models do not
    # know: a drift warning for a schema that fits.
    schema_drift.note_check([], [])  # a fresh episode: warnings are logged once each
    warnings: list[str] = []
    sink = logger.add(lambda m: warnings.append(m.record["message"]), level="WARNING")
    try:
        author = await crud.create(
            database, User, {"email": f"{secrets.token_hex(5)}@example.com", "role": Role.ADMIN}
        )
        run = secrets.token_hex(4)
        for n in range(3):
            await crud.create(
                database, Page, {"title": "T", "slug": f"{run}-{n}", "authorId": author["id"]}
            )
        include = query.compile_include(Page, {"author": "true"}, query.expose_all)
        listing = await crud.get_many(
            database,
            Page,
            where=query.compile_where(Page, {"slug": {"startsWith": run}}, query.expose_all),
            include=include,
        )
    finally:
        logger.remove(sink)
    assert [page["author"]["role"] for page in listing.data] == [Role.ADMIN.value] * 3
    assert warnings == []
