"""Every client mistake and database refusal, answered by a deployed app on a real
database: no answer and no log line carries SQL, a stack trace, a driver's name, the
database password, the signing key or a token.

The database URL carries a planted password, which trust authentication ignores, so the
app works while every path that could print its URL runs.
"""

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response

from app.core.dburl import libpq_url, parse
from app.core.security import create_token
from tests.api.conftest import client_for, make_settings, running, unique_slug

SECRET_KEY = "planted-signing-key-" + "q" * 24
# Made at import: valid for longer than any test session.
TOKEN = create_token(SECRET_KEY, "next-server", expires_in=timedelta(hours=1))
FORGED = create_token("forged-signing-key-" + "f" * 24, "intruder", expires_in=timedelta(minutes=5))
PLANTED_PASSWORD = "planted-db-password-31337"
FORBIDDEN = [
    "SELECT ",
    "INSERT INTO",
    'UPDATE "',
    "DELETE FROM",
    "Traceback",
    'File "',
    "asyncpg",
    "sqlalchemy",
    "sqlalche.me",
    "psycopg",
    SECRET_KEY,
    TOKEN,
    FORGED,
]


def _with_password(database_url: str) -> tuple[str, str]:
    """The URL with a password to watch for: its own, or a planted one."""
    url = parse(database_url)
    if url.password:
        return database_url, str(url.password)
    planted = url.set(password=PLANTED_PASSWORD).render_as_string(hide_password=False)
    return planted, PLANTED_PASSWORD


@pytest.fixture(scope="module")
async def deployed(database_url: str) -> AsyncIterator[tuple[FastAPI, str]]:
    url, password = _with_password(database_url)
    settings = make_settings(
        url,
        ENVIRONMENT="staging",
        SECRET_KEY=SECRET_KEY,
        LOG_JSON=True,
        DB_STATEMENT_TIMEOUT=0.5,
    )
    async with running(settings) as app:
        yield app, password


async def _mistakes(client: AsyncClient, database_url: str) -> list[Response]:
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        author = await conn.fetchval(
            'INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $1, now()) RETURNING id',
            unique_slug("author"),
        )
        body = {"title": "T", "slug": unique_slug(), "authorId": author}
        created = await client.post("/pages/", json=body)
        page = f"/pages/{created.json()['id']}"
        answers = [
            await client.post("/pages/", json=body),  # slug taken: unique violation
            await client.post("/pages/", json={**body, "slug": unique_slug(), "authorId": "x"}),
            await client.put(page, json={"parentId": "missing"}),  # foreign key violation
            await client.put(page, json={"title": "x"}, headers={"If-Match": '"1"'}),
            await client.get("/pages/missing"),
            await client.put(page, json={"content": "nul \x00"}),
            await client.post("/pages/", content=b'{"title": ', headers=_json()),
            await client.post("/pages/", content=b'{"price": 1e999}', headers=_json()),
            await client.get("/pages/", params={"order_by": "password; DROP TABLE x"}),
            await client.get("/pages/", params={"sort": "title"}),
            await client.patch(page, json={}),
            await client.post("/pages/", json={**body, "content": "x" * 1_100_000}),
            await client.post("/pages/", content=b"{}", headers={"Content-Type": "text/plain"}),
            await client.get("/pages/", headers={"Authorization": f"Bearer {FORGED}"}),
        ]
        async with conn.transaction():  # a row lock outlasting the statement timeout
            await conn.execute('SELECT 1 FROM "Page" WHERE id = $1 FOR UPDATE', page[7:])
            answers.append(await client.put(page, json={"title": "blocked"}))
    finally:
        await conn.close()
    return answers


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


async def test_no_answer_or_log_line_carries_sql_traces_or_secrets(
    deployed: tuple[FastAPI, str], database_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    app, password = deployed
    async with client_for(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        answers = await _mistakes(client, database_url)

    statuses = [response.status_code for response in answers]
    assert statuses == [409, 422, 422, 412, 404, 422, 422, 422, 422, 422, 405, 413, 415, 401, 503]
    captured = capfd.readouterr()
    logs = captured.out + captured.err
    assert logs.count('"status": 4') + logs.count('"status": 5') >= len(answers)  # logged...
    for text in [*(response.text for response in answers), logs]:
        found = [fragment for fragment in [*FORBIDDEN, password] if fragment in text]
        assert not found, (found, text[:500])  # ...without a leak
    for response in answers:  # and every error is the one JSON shape
        assert set(json.loads(response.text)) == {"detail"}
