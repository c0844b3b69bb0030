"""Sentry, end to end over HTTP to a local endpoint: one event per error, nothing secret."""

import logging
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import sentry_sdk
from fastapi import FastAPI
from loguru import logger

from app.core.logging import setup_logging
from app.core.middleware import add_edge_middleware
from app.core.sentry import init_sentry
from tests.observability.sentry_server import SentryServer

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZW50cnkifQ.plantedSentrySignature"
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


@pytest.fixture
def sentry() -> Iterator[SentryServer]:
    with SentryServer() as server:
        setup_logging(level="INFO", json_logs=True)
        assert init_sentry(
            dsn=server.dsn,
            environment="staging",
            release="pages-service@1.2.3",
            traces_sample_rate=1.0,
        )
        yield server
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
async def client(sentry: SentryServer) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    add_edge_middleware(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the database exploded")

    @app.get("/log-error")
    async def log_error() -> dict[str, str]:
        logger.error("payment provider refused the request")
        logging.getLogger("some.library").error("library gave up")
        return {"status": "logged"}

    # raise_app_exceptions=False: like a real server, the client only sees the response.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
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


def test_without_dsn_nothing_starts(capsys: pytest.CaptureFixture[str]):
    setup_logging(level="DEBUG", json_logs=True)

    assert init_sentry(dsn=None, environment="production") is False
    logger.error("an error with Sentry off")

    assert not sentry_sdk.get_client().is_active()
    (line,) = capsys.readouterr().err.splitlines()  # ours, and no complaint from the SDK
    assert "an error with Sentry off" in line
