"""CORS: the configured origin gets the headers on every answer (errors included) and may
preflight writes with a token and If-Match; any other origin, however close, gets none."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient, Response

from tests.api.conftest import bearer, client_for, make_settings, running

ALLOWED = "http://localhost:3000"  # make_settings' BACKEND_CORS_ORIGINS
OTHERS = [
    "http://localhost:3001",
    "https://localhost:3000",
    "http://localhost:3000.evil.example",
    "http://evil.example",
    "null",
]
CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-credentials")


def _has_no_cors(response: Response) -> bool:
    return not any(header in response.headers for header in CORS_HEADERS)


async def test_the_allowed_origin_reads_answers_and_their_headers(
    anonymous: AsyncClient, author_id: str
) -> None:
    origin = {"Origin": ALLOWED}
    ok = await anonymous.get("/pages/", headers={**origin, **bearer()})
    refused = await anonymous.get("/pages/", headers=origin)
    missing = await anonymous.get("/pages/none", headers={**origin, **bearer()})
    for response in (ok, refused, missing):
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert "origin" in response.headers["vary"].lower()
        assert "access-control-allow-credentials" not in response.headers  # bearer, no cookies
    assert (ok.status_code, refused.status_code, missing.status_code) == (200, 401, 404)
    exposed = {h.strip().lower() for h in ok.headers["access-control-expose-headers"].split(",")}
    assert exposed >= {"etag", "location", "retry-after", "x-request-id"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_the_allowed_origin_may_preflight_writes(anonymous: AsyncClient, method: str) -> None:
    response = await anonymous.options(
        "/pages/some-id",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert method in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert all(name in allowed for name in ("authorization", "content-type", "if-match"))


@pytest.mark.parametrize("origin", OTHERS)
async def test_another_origin_gets_no_cors_headers(anonymous: AsyncClient, origin: str) -> None:
    simple = await anonymous.get("/pages/", headers={"Origin": origin, **bearer()})
    preflight = await anonymous.options(
        "/pages/",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert simple.status_code == 200  # the server answers; the browser will not let it be read
    assert _has_no_cors(simple)
    assert preflight.status_code == 400
    assert _has_no_cors(preflight)


@pytest.fixture(scope="module")
async def no_origins(database_url: str) -> AsyncIterator[AsyncClient]:
    settings = make_settings(database_url, BACKEND_CORS_ORIGINS=[])
    async with running(settings) as app, client_for(app, headers=bearer()) as client:
        yield client


async def test_without_configured_origins_no_origin_is_allowed(no_origins: AsyncClient) -> None:
    simple = await no_origins.get("/pages/", headers={"Origin": ALLOWED})
    preflight = await no_origins.options(
        "/pages/", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}
    )
    assert _has_no_cors(simple) and _has_no_cors(preflight)
    assert preflight.status_code == 405  # no CORS handling: OPTIONS is just not a route
    assert preflight.headers["allow"] == "GET, POST"
