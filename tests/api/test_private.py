"""Diagnostics exist in local only, never in the OpenAPI document, and mask secrets."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from app.core.dburl import masked
from tests.api.conftest import (
    SECRET_KEY,
    app_database_url,
    bearer,
    client_for,
    make_settings,
    running,
)

PATHS = ["/private/diagnostics/server", "/private/diagnostics/database"]


@pytest.fixture(scope="module")
async def production(database_url: str) -> AsyncIterator[AsyncClient]:
    settings = make_settings(database_url, ENVIRONMENT="production")
    async with running(settings) as app, client_for(app, headers=bearer()) as client:
        yield client


async def test_server_diagnostics_mask_secrets(client: AsyncClient, database_url: str) -> None:
    response = await client.get(PATHS[0])
    assert response.status_code == 200
    body = response.json()
    assert body["pid"] > 0 and body["uptimeSeconds"] >= 0
    assert set(body["packages"]) >= {"fastapi", "sqlalchemy", "asyncpg"}
    assert body["settings"]["ENVIRONMENT"] == "local"
    assert body["settings"]["DATABASE_URL"] == masked(app_database_url(database_url))
    assert SECRET_KEY not in response.text


async def test_database_diagnostics_report_the_database(client: AsyncClient) -> None:
    response = await client.get(PATHS[1])
    assert response.status_code == 200
    body = response.json()
    assert body["serverVersion"]
    assert body["roundTripMs"] >= 0
    # Behind PgBouncer (tests/reliability reruns this suite so) the pooler is the pool.
    assert body["pool"] == "NullPool" if body["pgbouncerMode"] else "Pool size" in body["pool"]
    assert [m["name"] for m in body["migrations"]] == [
        "20260101000000_init",
        "20260201000000_page_stats",
    ]
    assert body["schemaFit"]["ok"] is True


async def test_diagnostics_need_a_token(anonymous: AsyncClient) -> None:
    assert (await anonymous.get(PATHS[0])).status_code == 401


@pytest.mark.parametrize("path", PATHS)
async def test_diagnostics_do_not_exist_outside_local(production: AsyncClient, path: str) -> None:
    assert (await production.get(path)).status_code == 404


async def test_diagnostics_are_never_documented(
    client: AsyncClient, production: AsyncClient
) -> None:
    for app_client in (client, production):
        paths = (await app_client.get("/openapi.json")).json()["paths"]
        assert not [path for path in paths if "/private/" in path]
