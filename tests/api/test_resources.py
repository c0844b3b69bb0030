"""The contract every resource keeps, checked for each one the app declares.

A resource added to app/resources.py is covered here with no new test code: bodies
come from its declaration (tests/api/resource_rows.py).
"""

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.core.resource import Resource, ScalarField
from app.resources import RESOURCES
from tests.api.resource_rows import body_for, create_row, row_path, scalar_value

WRITABLE = [resource for resource in RESOURCES if resource.writable]


def by_name(resource: Resource) -> str:
    return resource.name


def changeable(resource: Resource) -> ScalarField | None:
    """A field an update may change without breaking a reference or a key."""
    return next(
        (
            item
            for item in resource.writable_fields()
            if not item.is_key
            and not item.column.foreign_keys
            and item.kind != "bool"
            and item.enum is None
        ),
        None,
    )


def missing_key_path(resource: Resource) -> str:
    parts = []
    for item in resource.key:
        value = scalar_value(item)
        parts.append(str(abs(int(value)) if item.kind in ("int", "bigint") else value))
    return resource.url_path + "".join(f"/{part}" for part in parts)


def test_every_resource_is_routed(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for resource in RESOURCES:
        assert f"/api/v1{resource.url_path}/" in paths


@pytest.mark.parametrize("resource", WRITABLE, ids=by_name)
async def test_a_row_is_created_read_listed_updated_and_deleted(
    client: AsyncClient, resource: Resource
) -> None:
    body = await body_for(client, resource, full=True)
    created = await client.post(f"{resource.url_path}/", json=body)
    assert created.status_code == 201, created.text
    row = created.json()
    for name, value in body.items():
        if isinstance(value, str | bool | list) and name not in ("createdAt", "updatedAt"):
            assert row[name] == value, name
    path = row_path(resource, row)
    assert created.headers["location"] == f"/api/v1{path}"

    read = await client.get(path)
    assert read.status_code == 200 and read.json() == row
    assert read.headers["etag"] == created.headers["etag"]
    unchanged = await client.get(path, headers={"If-None-Match": read.headers["etag"]})
    assert unchanged.status_code == 304

    listed = await client.get(f"{resource.url_path}/", params={"limit": 100, "count": "exact"})
    assert listed.status_code == 200, listed.text
    assert listed.json()["count"] >= 1

    field = changeable(resource)
    if field is not None:
        new_value = scalar_value(field)
        updated = await client.put(
            path, json={field.name: new_value}, headers={"If-Match": read.headers["etag"]}
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()[field.name] == new_value
        assert updated.headers["etag"] != read.headers["etag"]
        stale = await client.put(
            path, json={field.name: new_value}, headers={"If-Match": read.headers["etag"]}
        )
        assert stale.status_code == 412, stale.text
        stale_delete = await client.delete(path, headers={"If-Match": read.headers["etag"]})
        assert stale_delete.status_code == 412

    nothing = await client.put(path, json={})
    assert nothing.status_code == 200, nothing.text
    assert (await client.delete(path)).status_code == 204
    assert (await client.get(path)).status_code == 404
    assert (await client.delete(path)).status_code == 404


@pytest.mark.parametrize("resource", RESOURCES, ids=by_name)
async def test_a_missing_row_is_404(client: AsyncClient, resource: Resource) -> None:
    path = missing_key_path(resource)
    response = await client.get(path)
    assert response.status_code == 404, response.text
    assert resource.name in response.json()["detail"]
    if resource.writable:
        assert (await client.put(path, json={})).status_code == 404
        assert (await client.delete(path)).status_code == 404


@pytest.mark.parametrize("resource", WRITABLE, ids=by_name)
async def test_unknown_and_mistyped_fields_are_422_naming_them(
    client: AsyncClient, resource: Resource
) -> None:
    body = await body_for(client, resource)
    unknown = await client.post(f"{resource.url_path}/", json=body | {"surprise": 1})
    assert unknown.status_code == 422
    assert ["body", "surprise"] in [error["loc"] for error in unknown.json()["detail"]]
    for item in resource.writable_fields():
        wrong: Any = {"bool": "true", "int": "1", "string": 1, "json": None}.get(item.kind)
        if wrong is None or item.is_list or item.enum is not None or item.column.foreign_keys:
            continue
        response = await client.post(f"{resource.url_path}/", json=body | {item.name: wrong})
        assert response.status_code == 422, (item.name, response.text)
        assert ["body", item.name] in [error["loc"] for error in response.json()["detail"]]


def unique_fields(resource: Resource) -> list[list[str]]:
    """Sets of fields a unique index or the primary key covers, when clients write them."""
    table = resource.mapper.local_table
    by_column = {item.column.name: item for item in resource.writable_fields()}
    groups = [list(index.columns) for index in table.indexes if index.unique]  # type: ignore[union-attr]
    groups.append(list(table.primary_key.columns))  # type: ignore[union-attr]
    return [
        [by_column[column.name].name for column in group]
        for group in groups
        if all(column.name in by_column for column in group)
    ]


@pytest.mark.parametrize("resource", WRITABLE, ids=by_name)
async def test_a_taken_unique_value_is_409_naming_it(
    client: AsyncClient, resource: Resource
) -> None:
    groups = unique_fields(resource)
    if not groups:
        pytest.skip(f"{resource.name} has no unique field that clients write")
    row = await create_row(client, resource)
    body = await body_for(client, resource)
    for group in groups:
        again = body | {name: row[name] for name in group}
        response = await client.post(f"{resource.url_path}/", json=again)
        assert response.status_code == 409, response.text


@pytest.mark.parametrize("resource", WRITABLE, ids=by_name)
async def test_cursor_and_skip_walks_see_the_same_rows(
    client: AsyncClient, resource: Resource
) -> None:
    for _ in range(3):
        await create_row(client, resource)
    by_skip = []
    skip = 0
    while True:
        page = await client.get(f"{resource.url_path}/", params={"skip": skip, "limit": 7})
        assert page.status_code == 200, page.text
        by_skip += page.json()["data"]
        if page.json()["nextCursor"] is None:
            break
        skip += 7
    by_cursor = []
    params: dict[str, Any] = {"limit": 7}
    while True:
        page = await client.get(f"{resource.url_path}/", params=params)
        by_cursor += page.json()["data"]
        if page.json()["nextCursor"] is None:
            break
        params["cursor"] = page.json()["nextCursor"]
    keys = [[row[item.name] for item in resource.key] for row in by_cursor]
    assert keys == [[row[item.name] for item in resource.key] for row in by_skip]
    assert len({repr(key) for key in keys}) == len(keys) >= 3


@pytest.mark.parametrize("resource", WRITABLE, ids=by_name)
@pytest.mark.parametrize("count", ["exact", "estimated", "none"])
async def test_count_modes(client: AsyncClient, resource: Resource, count: str) -> None:
    await create_row(client, resource)
    response = await client.get(f"{resource.url_path}/", params={"count": count, "limit": 1})
    assert response.status_code == 200
    counted = response.json()["count"]
    assert counted is None if count == "none" else counted >= 1


@pytest.mark.parametrize("resource", [r for r in RESOURCES if not r.writable], ids=by_name)
async def test_views_are_read_only(client: AsyncClient, resource: Resource) -> None:
    assert (await client.post(f"{resource.url_path}/", json={})).status_code == 405
    path = missing_key_path(resource)
    assert (await client.put(path, json={})).status_code == 405
    assert (await client.delete(path)).status_code == 405
