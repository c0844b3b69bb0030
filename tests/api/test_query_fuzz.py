"""schemathesis over the query parameters as openapi.json describes them (deepObject
`where`, `orderBy`, `include`, the paging parameters): never a server error."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
import schemathesis
from fastapi import FastAPI

from app.api.query_params import add_query_schemas
from app.core.db import Database, create_database
from app.main import _add_exception_handlers as add_exception_handlers  # pyright: ignore[reportPrivateUsage]
from app.models import Page
from tests.api.test_query_params import _app, _pages_and_authors
from tests.core.conftest import make_settings
from tests.reliability.servers import serving


def _served_app(database_url: str | None) -> FastAPI:
    """The test app with its own database handle, made on the server's event loop."""
    held: list[Database] = []

    def database() -> Database:
        return held[0]

    app = _app(database)
    add_exception_handlers(app)  # the service's own error answers, as in app.main

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        made = create_database(make_settings(database_url))
        assert made is not None
        held.append(made)
        yield
        await made.dispose()

    app.router.lifespan_context = lifespan
    document = add_query_schemas(app.openapi(), [Page], _pages_and_authors)
    app.openapi = lambda: document  # the document a resource app serves
    return app


schema = schemathesis.openapi.from_dict(_served_app(None).openapi())
schema.config.generation.update(max_examples=50)
# The coverage phase enumerates keyword combinations of every schema, which the
# recursive WhereInputs (a page's author's pages...) make endless: fuzzing only.
schema.config.phases.coverage.enabled = False


@pytest.fixture(scope="module")
def base_url(database_url: str) -> Iterator[str]:
    with serving(_served_app(database_url)) as url:
        yield url


@schema.include(path_regex="^/pages/$").parametrize()
def test_no_query_is_a_server_error(case: schemathesis.Case, base_url: str) -> None:
    case.query = {key: value for key, value in (case.query or {}).items() if key != "cursor"}
    case.headers.clear()  # the query is under test; malformed headers are the HTTP server's 400
    response = case.call(base_url=base_url)
    if response.status_code == 400 and response.text == "Invalid HTTP request received.":
        return  # control characters in the request line: refused by the HTTP server itself
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 422), response.text
