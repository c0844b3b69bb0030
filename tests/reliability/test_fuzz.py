"""Property-based tests of the whole API from its OpenAPI document (schemathesis)."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from httpx import AsyncClient

from app.api.main import API_V1_PREFIX
from app.core.resource import Resource, ScalarField
from app.main import create_app
from app.resources import RESOURCES
from tests.api.conftest import bearer, make_settings
from tests.api.resource_rows import referenced_key
from tests.reliability.servers import serving

schema = schemathesis.openapi.from_dict(create_app(make_settings(None)).openapi())
schema.config.generation.update(max_examples=20)
# The coverage phase enumerates keyword combinations of every schema, which the recursive
# WhereInputs (a page's author's pages...) make endless: fuzzing only.
schema.config.phases.coverage.enabled = False


@pytest.fixture(scope="module")
def base_url(database_url: str) -> Iterator[str]:
    with serving(create_app(make_settings(database_url))) as url:
        yield url


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


CONDITIONS = {"if-match", "if-none-match"}
NESTED_PARAMETERS = {"where", "orderBy", "include"}
FRAMING_HEADERS = {"content-length", "transfer-encoding", "host"}


def _resource(path: str) -> Resource | None:
    return next((r for r in RESOURCES if path.startswith(f"{API_V1_PREFIX}{r.url_path}/")), None)


async def _referenced_keys(base_url: str, fields: list[ScalarField]) -> dict[str, Any]:
    async with AsyncClient(base_url=f"{base_url}{API_V1_PREFIX}", headers=bearer()) as client:
        return {item.name: await referenced_key(client, item) for item in fields}


def _fit_for_the_database(case: schemathesis.Case, base_url: str) -> bool:
    """Whether to send the case, made fit for the database: what a valid request also
    needs but a JSON Schema cannot say: references to rows
    that exist (a new row for each, as a key that is also a reference is taken once),
    (documented in prose) no NUL inside free-form JSON, and only a `cursor` the service
    made (a list's `nextCursor`; anything else is a 422)."""
    # Nested deepObject values cannot be written the way qs writes them here, and their
    # bounds (include depth...) are beyond JSON Schema: tests/api/test_query_fuzz.py
    # fuzzes them, expecting 200 or 422.
    query = case.query or {}
    nested = [name for name in query if name.split("[", 1)[0] in NESTED_PARAMETERS]
    if nested and case.meta and case.meta.generation.mode.is_negative:
        return False  # what made it invalid may be in them
    for name in nested:
        del query[name]
    if case.meta and case.meta.generation.mode.is_positive:
        (case.query or {}).pop("cursor", None)
        # A made-up ETag names no version: a 412 that tells nothing (the contract suite
        # checks conditional requests with real tags).
        for name in [name for name in case.headers or {} if name.lower() in CONDITIONS]:
            del case.headers[name]  # type: ignore[union-attr]
    # Framing headers are the HTTP server's to judge (a bare 400), not the API's.
    for name in [name for name in case.headers or {} if name.lower() in FRAMING_HEADERS]:
        del case.headers[name]  # type: ignore[union-attr]
    body = case.body
    resource = _resource(case.path)
    if not (case.meta and case.meta.generation.mode.is_positive and isinstance(body, dict)):
        return True
    if resource is None:
        return True
    for relation in resource.relations:  # links name rows that must exist: not fuzzed here
        if relation.many_to_many:
            body.pop(relation.name, None)
    references = [
        item
        for item in resource.writable_fields()
        if item.column.foreign_keys and body.get(item.name) is not None
    ]
    body.update(asyncio.run(_referenced_keys(base_url, references)))
    for item in resource.writable_fields():
        if item.kind == "json" and item.name in body:
            body[item.name] = _without_nul(body[item.name])
    return True


@schema.parametrize()
def test_api(case: schemathesis.Case, base_url: str) -> None:
    if not _fit_for_the_database(case, base_url):
        return
    # A token per call: one made at import could expire before the run reaches here, and
    # a 401 everywhere would pass every check.
    case.call_and_validate(base_url=base_url, headers=bearer())
