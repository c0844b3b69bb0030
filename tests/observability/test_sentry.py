"""Sentry, end to end over HTTP to a local endpoint: one event per error, nothing secret."""

import json
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import sentry_sdk
import uvicorn
from fastapi import FastAPI
from loguru import logger

from app.core.config import Settings
from app.core.logging import setup_logging
from app.core.sentry import init_sentry
from app.main import create_app
from tests.observability.sentry_server import SentryServer

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZW50cnkifQ.plantedSentrySignature"
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


@pytest.fixture
def sentry() -> Iterator[SentryServer]:
    with SentryServer() as server:
        yield server
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


def app_reporting_to(sentry: SentryServer) -> FastAPI:
    """The real app, with Sentry on, and two routes that fail in the two ways that count."""
    settings = Settings(
        _env_file=None,  # pyright: ignore[reportCallIssue]
        ENVIRONMENT="staging",
        SECRET_KEY="s" * 40,  # pyright: ignore[reportArgumentType]
        DATABASE_URL="postgresql://app@127.0.0.1:1/app",  # pyright: ignore[reportArgumentType]
        SENTRY_DSN=sentry.dsn,  # pyright: ignore[reportArgumentType]
        SENTRY_RELEASE="pages-service@1.2.3",
        SENTRY_TRACES_SAMPLE_RATE=1.0,
    )
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the database exploded")

    @app.get("/log-error")
    async def log_error() -> dict[str, str]:
        logger.error("payment provider refused the request")
        logging.getLogger("some.library").error("library gave up")
        return {"status": "logged"}

    return app


@pytest.fixture
async def client(sentry: SentryServer) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: like a real server, the client only sees the response.
    transport = httpx.ASGITransport(app=app_reporting_to(sentry), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_unhandled_error_is_one_event_with_context_and_no_credentials(
    client: httpx.AsyncClient, sentry: SentryServer
):
    response = await client.get(
        "/boom", headers={"Authorization": f"Bearer {TOKEN}", "Cookie": "session=planted-cookie"}
    )
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    request_id = response.headers["X-Request-ID"]
    (event,) = sentry.events()
    assert event["exception"]["values"][-1]["value"] == "the database exploded"
    assert event["environment"] == "staging"
    assert event["release"] == "pages-service@1.2.3"
    assert event["tags"]["request_id"] == request_id
    headers = {name.lower() for name in event["request"]["headers"]}
    assert "authorization" not in headers and "cookie" not in headers
    assert "planted" not in str(event)


async def test_logged_errors_are_one_event_each_grouped_by_message(
    client: httpx.AsyncClient, sentry: SentryServer
):
    response = await client.get("/log-error")
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 200
    events = sentry.events()
    messages = sorted(event["logentry"]["message"] for event in events)
    assert messages == ["library gave up", "payment provider refused the request"]
    for event in events:
        assert not ISO_TIMESTAMP.search(event["logentry"]["message"])
        assert event["tags"]["request_id"] == response.headers["X-Request-ID"]


def test_under_uvicorn_an_unhandled_error_is_still_one_event(
    sentry: SentryServer, capfd: pytest.CaptureFixture[str]
):
    """uvicorn logs the error again ("Exception in ASGI application"), through loguru:
    that must not become a second event."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app_reporting_to(sentry), log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        for _ in range(400):  # up to 20 s on a busy machine
            if server.started:
                break
            time.sleep(0.05)
        response = httpx.get(f"http://127.0.0.1:{port}/boom")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 500
    (event,) = sentry.events()
    assert event["tags"]["request_id"] == response.headers["X-Request-ID"]
    errors = [json.loads(line) for line in capfd.readouterr().err.splitlines() if '"ERROR"' in line]
    assert [(e["logger"], e["request_id"]) for e in errors] == [
        ("uvicorn.error", response.headers["X-Request-ID"])
    ]
    assert "RuntimeError: the database exploded" in errors[0]["exception"]


def test_without_dsn_nothing_starts(capsys: pytest.CaptureFixture[str]):
    setup_logging(level="DEBUG", json_logs=True)

    assert init_sentry(dsn=None, environment="production") is False
    logger.error("an error with Sentry off")

    assert not sentry_sdk.get_client().is_active()
    (line,) = capsys.readouterr().err.splitlines()  # ours, and no complaint from the SDK
    assert "an error with Sentry off" in line
