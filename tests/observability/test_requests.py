"""Requests through the real app, read back from its JSON log lines.

The database URL points at a closed port with a planted password, so that the error
paths (startup check, 503s, readiness) run too: that is where URLs tend to leak.
"""

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.security import create_token
from app.main import create_app

SECRET_KEY = "planted-secret-key-" + "k" * 24
DB_PASSWORD = "planted-db-password-77"
COOKIE = "planted-cookie-value"
API_KEY = "planted-api-key-value"
# Made at import: valid for longer than any test session.
TOKEN = create_token(SECRET_KEY, "next-server", expires_in=timedelta(hours=1))
FORGED = create_token("another-key-" + "f" * 30, "intruder", expires_in=timedelta(minutes=5))
ORIGIN = "http://localhost:3000"


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def access_lines(text: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(text) if line["logger"] == "app.core.middleware"]


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    settings = Settings(
        _env_file=None,  # pyright: ignore[reportCallIssue]
        ENVIRONMENT="staging",
        SECRET_KEY=SECRET_KEY,  # pyright: ignore[reportArgumentType]
        DATABASE_URL=f"postgresql://app:{DB_PASSWORD}@127.0.0.1:1/app",  # pyright: ignore[reportArgumentType]
        DB_CONNECT_TIMEOUT=2,
        BACKEND_CORS_ORIGINS=[ORIGIN],  # pyright: ignore[reportArgumentType]
        LOG_LEVEL="DEBUG",
    )
    app = create_app(settings)

    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected failure")

    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # Like a server: the client sees the response, not the exception behind a 500.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client:
        yield client


async def test_each_request_logs_one_access_line_with_its_request_id(
    client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    responses = [
        await client.get("/utils/health-check", headers={"X-Request-ID": "from-next-0001"}),
        await client.get("/pages/", headers=auth),  # database down: 503
        await client.get("/pages/some-page-id", headers=auth),
        await client.get("/pages/", params={"limit": 0}, headers=auth),
        await client.get("/pages/", headers={"Authorization": f"Bearer {FORGED}"}),
        await client.get("/no/such/route"),
        await client.get("/boom"),
    ]

    assert [r.status_code for r in responses] == [200, 503, 503, 422, 401, 404, 500]
    assert responses[0].headers["X-Request-ID"] == "from-next-0001"
    lines = access_lines(capfd.readouterr().err)
    assert [
        (line["request_id"], line["method"], line["path"], line["status"], line["sub"])
        for line in lines
    ] == [
        (responses[0].headers["X-Request-ID"], "GET", "/api/v1/utils/health-check", 200, None),
        (responses[1].headers["X-Request-ID"], "GET", "/api/v1/pages/", 503, "next-server"),
        (responses[2].headers["X-Request-ID"], "GET", "/api/v1/pages/{id}", 503, "next-server"),
        (responses[3].headers["X-Request-ID"], "GET", "/api/v1/pages/", 422, "next-server"),
        (responses[4].headers["X-Request-ID"], "GET", "/api/v1/pages/", 401, None),
        (responses[5].headers["X-Request-ID"], "GET", "/api/v1/no/such/route", 404, None),
        (responses[6].headers["X-Request-ID"], "GET", "/api/v1/boom", 500, None),
    ]
    assert len({line["request_id"] for line in lines}) == len(lines)
    assert all(isinstance(line["duration_ms"], float) for line in lines)


async def test_unhandled_error_answers_500_with_request_id_and_no_trace(
    client: httpx.AsyncClient,
):
    response = await client.get("/boom", headers={"Origin": ORIGIN})

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert response.headers["X-Request-ID"]
    # Browsers can read the 500 and its request id.
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize(
    "given",
    ["has spaces", "x" * 200, "line\nbreak", ""],
    ids=["spaces", "long", "newline", "empty"],
)
async def test_unfit_request_ids_are_replaced(
    client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str], given: str
):
    # httpx refuses to send a raw newline: send the header bytes as ASGI would get them.
    response = await client.get(
        "/utils/health-check", headers=[(b"X-Request-ID", given.encode().replace(b"\n", b"\\n"))]
    )

    request_id = response.headers["X-Request-ID"]
    assert request_id and request_id != given and len(request_id) == 32
    (line,) = access_lines(capfd.readouterr().err)
    assert line["request_id"] == request_id


async def test_cors_preflight_is_answered_logged_and_exposes_the_request_id(
    client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
):
    response = await client.options(
        "/pages/",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    simple = await client.get("/utils/health-check", headers={"Origin": ORIGIN})

    assert response.status_code == 200
    assert "X-Request-ID" in simple.headers["Access-Control-Expose-Headers"]
    lines = access_lines(capfd.readouterr().err)
    assert [line["request_id"] for line in lines] == [
        response.headers["X-Request-ID"],
        simple.headers["X-Request-ID"],
    ]


async def test_no_planted_secret_appears_in_any_output(
    app: FastAPI, client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
):
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Cookie": f"session={COOKIE}",
        "X-Api-Key": API_KEY,
    }
    await client.get("/pages/", headers=headers)
    await client.post("/pages/", headers=headers, json={"title": "t", "slug": "s", "authorId": "a"})
    await client.get("/utils/ready", headers=headers)
    await client.get("/boom", headers=headers)
    await client.get("/pages/", headers={**headers, "Authorization": f"Bearer {FORGED}"})
    async with app.router.lifespan_context(app):  # a second startup check, and shutdown
        pass

    captured = capfd.readouterr()
    output = captured.out + captured.err
    assert "database unreachable" in output  # the error paths did log...
    for secret in (SECRET_KEY, DB_PASSWORD, COOKIE, API_KEY, TOKEN, FORGED):
        assert secret not in output  # ...without a secret
