"""Valid request bodies for any resource, made from its declaration alone.

A body fills every field a create requires (and the optional ones with `full=True`) with
a fresh value of the field's type; a foreign key gets a row of the referenced resource,
created first through the API. New resources are therefore covered by the contract
suite without a line of test code.
"""

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient

from app.core.resource import Resource, ScalarField
from app.resources import RESOURCES


def resource_of_table(table_name: str) -> Resource:
    return next(
        resource
        for resource in RESOURCES
        if resource.mapper.local_table.name == table_name  # type: ignore[union-attr]
    )


def scalar_value(item: ScalarField) -> Any:
    """A fresh JSON value of the field's type (unique, for unique columns)."""
    token = secrets.token_hex(5)
    if item.enum is not None:
        value: Any = next(iter(item.enum)).value
    else:
        value = {
            "string": f"{item.name}-{token}",
            "int": secrets.randbelow(2**31 - 1),
            "bigint": str(secrets.randbelow(2**62)),
            "float": 1.5,
            "decimal": "12.5",
            "bool": True,
            "datetime": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "json": {"token": token},
            "uuid": str(uuid.uuid4()),
            "bytes": "aGVsbG8=",
            "other": token,
        }[item.kind]
    return [value] if item.is_list else value


def is_required(item: ScalarField) -> bool:
    return not item.nullable and not item.filled_on_create


async def referenced_key(client: AsyncClient, item: ScalarField) -> Any:
    """The key of a new row of the table `item` references."""
    (foreign_key,) = item.column.foreign_keys
    target = resource_of_table(foreign_key.column.table.name)
    row = await create_row(client, target)
    return row[next(key.name for key in target.key if key.column.name == foreign_key.column.name)]


async def body_for(client: AsyncClient, resource: Resource, *, full: bool = False) -> dict:
    body: dict[str, Any] = {}
    for item in resource.writable_fields():
        if not (is_required(item) or (full and not item.is_key)):
            continue
        if item.column.foreign_keys:
            if is_required(item):
                body[item.name] = await referenced_key(client, item)
        else:
            body[item.name] = scalar_value(item)
    return body


async def create_row(client: AsyncClient, resource: Resource, **overrides: Any) -> dict:
    body = await body_for(client, resource) | overrides
    response = await client.post(f"{resource.url_path}/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def row_path(resource: Resource, row: dict[str, Any]) -> str:
    return resource.url_path + "".join(f"/{row[item.name]}" for item in resource.key)
