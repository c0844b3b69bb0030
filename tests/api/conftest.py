"""An app on the session's throwaway database, and HTTP clients for it."""

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app import crud
from app.core.config import Settings
from app.core.dburl import parse
from app.core.security import create_token
from app.main import create_app
from app.models import User

SECRET_KEY = "test-secret-key-" + "x" * 32
BASE_URL = "http://test/api/v1"


def make_settings(database_url: str | None, **values: Any) -> Settings:
    """Settings from arguments only (no `.env`), with what the tests rely on."""
    given: dict[str, Any] = {
        "ENVIRONMENT": "local",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "BACKEND_CORS_ORIGINS": ["http://localhost:3000"],
        **values,
    }
    return Settings(_env_file=None, **given)  # pyright: ignore[reportCallIssue]


def bearer(subject: str = "next-server", secret_key: str = SECRET_KEY) -> dict[str, str]:
    # Valid for longer than any test session: the session-wide client keeps its token.
    token = create_token(secret_key, subject, expires_in=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app with its lifespan started, as a server would run it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI, **kwargs: Any) -> AsyncClient:
    return AsyncClient(transport=ASGITransport(app=app), base_url=BASE_URL, **kwargs)


def app_database_url(database_url: str) -> str:
    """The session database, or the same database through the PgBouncer at TEST_PGBOUNCER
    (`host:port`, in transaction mode) when the reliability tests rerun this suite behind
    one; the tests' own direct connections keep `database_url`."""
    pooler = os.environ.get("TEST_PGBOUNCER")
    if not pooler:
        return database_url
    host, port = pooler.rsplit(":", 1)
    # Prisma's spelling of pooler-safe mode, which the service understands too.
    url = parse(database_url).set(host=host, port=int(port), query={"pgbouncer": "true"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    async with running(make_settings(app_database_url(database_url))) as app:
        yield app


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_for(app, headers=bearer()) as client:
        yield client


@pytest.fixture(scope="session")
async def anonymous(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_for(app) as client:
        yield client


@pytest.fixture
async def author_id(app: FastAPI) -> str:
    """A new user to write pages as."""
    email = f"{secrets.token_hex(6)}@example.com"
    user = await crud.create(app.state.database, User, {"email": email, "name": "Ada"})
    return user["id"]


def unique_slug(prefix: str = "page") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"
