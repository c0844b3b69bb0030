"""Without a usable database the service still answers: 503 with Retry-After, never a 500."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from tests.api.conftest import bearer, client_for, make_settings, running

CLOSED_PORT_URL = "postgresql://app:secret-password@127.0.0.1:1/app"


@pytest.fixture(scope="module")
async def unreachable() -> AsyncIterator[AsyncClient]:
    settings = make_settings(CLOSED_PORT_URL, DB_CONNECT_TIMEOUT=1)
    async with running(settings) as app, client_for(app, headers=bearer()) as client:
        yield client


@pytest.fixture(scope="module")
async def unconfigured() -> AsyncIterator[AsyncClient]:
    async with running(make_settings(None)) as app, client_for(app, headers=bearer()) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/pages/"), ("GET", "/pages/x"), ("DELETE", "/pages/x")]
)
async def test_an_unreachable_database_is_503_with_retry_after(
    unreachable: AsyncClient, method: str, path: str
) -> None:
    response = await unreachable.request(method, path)
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.json() == {"detail": "The database is unavailable; retry shortly"}


async def test_an_unreachable_database_is_not_ready_and_no_secret_shows(
    unreachable: AsyncClient,
) -> None:
    response = await unreachable.get("/utils/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] is False
    assert body["problems"][0].startswith("database: unreachable")
    assert "secret-password" not in response.text


async def test_liveness_does_not_depend_on_the_database(unreachable: AsyncClient) -> None:
    response = await unreachable.get("/utils/health-check")
    assert response.json() == {"status": True}


async def test_without_database_url_database_routes_are_503(unconfigured: AsyncClient) -> None:
    response = await unconfigured.get("/pages/")
    assert response.status_code == 503
    assert "DATABASE_URL" in response.json()["detail"]
    ready = await unconfigured.get("/utils/ready")
    assert ready.status_code == 503
    assert ready.json()["problems"] == ["database: not configured (DATABASE_URL is not set)"]


async def test_the_ready_check_passes_on_a_migrated_database(client: AsyncClient) -> None:
    response = await client.get("/utils/ready")
    assert response.status_code == 200
    assert response.json() == {"status": True, "problems": [], "warnings": []}


@pytest.mark.parametrize("path", ["/utils/health-check", "/utils/ready"])
async def test_probes_ignore_a_query_string_an_orchestrator_adds(
    client: AsyncClient, path: str
) -> None:
    response = await client.get(path, params={"probe": "kubelet", "ts": "1"})
    assert response.status_code == 200
