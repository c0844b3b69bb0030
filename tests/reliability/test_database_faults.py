"""Database faults against a PostgreSQL this module owns: stopped mid-traffic, frozen, slow.

The service must answer 503 with Retry-After within its configured timeouts (never hang),
report not ready, and recover by itself when the database is back: same process, no
restart, and no connection left behind (read from pg_stat_activity).
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response

from app.cli.prisma_migrate import deploy
from app.core.config import Settings
from app.core.dburl import libpq_url
from tests.api.conftest import bearer, client_for, make_settings, running, unique_slug
from tests.conftest import EXAMPLE_MIGRATIONS
from tests.reliability.servers import Postgres, postgres

APP_NAME = "faults-test"  # the pool's connections carry it as application_name
POOL_SIZE = 4


@pytest.fixture(scope="module")
def cluster() -> Iterator[Postgres]:
    with postgres() as server:
        asyncio.run(deploy(server.url(), EXAMPLE_MIGRATIONS))
        yield server


@pytest.fixture
def settings(cluster: Postgres) -> Settings:
    return make_settings(
        cluster.url(),
        PROJECT_NAME=APP_NAME,
        DB_CONNECT_TIMEOUT=1,
        DB_STATEMENT_TIMEOUT=1,
        DB_POOL_SIZE=POOL_SIZE,
        DB_MAX_OVERFLOW=0,
        DB_POOL_TIMEOUT=1,
    )


def patience(settings: Settings) -> float:
    """The longest a request may take when the database fails: waiting for a pooled
    connection, opening one, the statement's client-side limit, and a margin for a busy
    machine. Anything slower is a hang."""
    command_timeout = settings.DB_STATEMENT_TIMEOUT + settings.DB_CONNECT_TIMEOUT
    return settings.DB_POOL_TIMEOUT + settings.DB_CONNECT_TIMEOUT + command_timeout + 3


async def app_connections(cluster: Postgres) -> list[str]:
    """The state of each server connection the app holds."""
    conn = await asyncpg.connect(libpq_url(cluster.url()))
    try:
        rows = await conn.fetch(
            "SELECT state FROM pg_stat_activity WHERE application_name = $1", APP_NAME
        )
    finally:
        await conn.close()
    return [row["state"] for row in rows]


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running(settings) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_for(app, headers=bearer()) as client:
        yield client


@pytest.fixture
async def page_id(cluster: Postgres, client: AsyncClient) -> str:
    conn = await asyncpg.connect(libpq_url(cluster.url()))
    try:
        author = await conn.fetchval(
            'INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $1, now()) RETURNING id',
            unique_slug("author"),
        )
    finally:
        await conn.close()
    body = {"title": "Steady", "slug": unique_slug(), "authorId": author}
    created = await client.post("/pages/", json=body)
    assert created.status_code == 201
    return created.json()["id"]


@dataclass
class Traffic:
    """Clients reading and writing one page in a loop, every answer recorded."""

    client: AsyncClient
    page_id: str
    answers: list[tuple[float, Response]] = field(default_factory=list)
    running: bool = True

    async def _one(self, n: int) -> None:
        url = f"/pages/{self.page_id}"
        while self.running:
            started = time.monotonic()
            if n % 3 == 0:
                response = await self.client.put(url, json={"content": f"by {n}"})
            else:
                response = await self.client.get(url if n % 3 == 1 else "/pages/")
            self.answers.append((time.monotonic() - started, response))
            await asyncio.sleep(0.02)

    def statuses(self, since: int = 0) -> set[int]:
        return {response.status_code for _, response in self.answers[since:]}

    async def until_ok(self, seconds: float) -> None:
        """Wait until the latest answer is a success."""
        deadline = time.monotonic() + seconds
        while not (self.answers and self.answers[-1][1].status_code == 200):
            assert time.monotonic() < deadline, f"no recovery after {seconds}s"
            await asyncio.sleep(0.05)

    async def __aenter__(self) -> "Traffic":
        self.tasks = [asyncio.create_task(self._one(n)) for n in range(6)]
        await self.until_ok(10)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.running = False
        await asyncio.gather(*self.tasks)


def assert_failed_fast(answers: list[tuple[float, Response]], settings: Settings) -> None:
    for seconds, response in answers:
        assert response.status_code in (200, 503), response.text
        assert seconds < patience(settings), f"{response.request.url} took {seconds:.1f}s"
        if response.status_code == 503:
            assert response.headers["retry-after"].isdigit()
            assert "retry" in response.json()["detail"]


async def test_a_database_stopped_mid_traffic_is_503_then_recovers_by_itself(
    cluster: Postgres, settings: Settings, app: FastAPI, client: AsyncClient, page_id: str
) -> None:
    async with Traffic(client, page_id) as traffic:
        await asyncio.to_thread(cluster.stop)
        outage = len(traffic.answers)
        await asyncio.sleep(1.5)
        not_ready = await client.get("/utils/ready")
        assert 503 in traffic.statuses(outage)

        await asyncio.to_thread(cluster.start)
        await traffic.until_ok(10)

    assert_failed_fast(traffic.answers, settings)
    assert not_ready.status_code == 503
    assert not_ready.json()["problems"][0].startswith("database: unreachable")
    # Once one request has met a dead connection, the pool replaces them all.
    after = [await client.get(f"/pages/{page_id}") for _ in range(2 * POOL_SIZE)]
    assert {response.status_code for response in after} == {200}
    assert (await client.get("/utils/ready")).status_code == 200
    assert app.state.database.engine.pool.checkedout() == 0  # every connection came back
    assert len(await app_connections(cluster)) <= POOL_SIZE


async def test_a_frozen_database_is_503_within_the_timeouts_then_recovers(
    cluster: Postgres, settings: Settings, app: FastAPI, client: AsyncClient, page_id: str
) -> None:
    async with Traffic(client, page_id) as traffic:
        with cluster.frozen():  # accepts connections and statements, answers nothing
            frozen = len(traffic.answers)
            started = time.monotonic()
            not_ready = await client.get("/utils/ready")
            readiness_seconds = time.monotonic() - started
            await asyncio.sleep(patience(settings))
            assert 503 in traffic.statuses(frozen)
        await traffic.until_ok(patience(settings) + 10)

    assert_failed_fast(traffic.answers, settings)
    assert not_ready.status_code == 503
    assert readiness_seconds < patience(settings)
    after = [await client.get("/pages/") for _ in range(2 * POOL_SIZE)]
    assert {response.status_code for response in after} == {200}
    assert app.state.database.engine.pool.checkedout() == 0
    states = await app_connections(cluster)
    assert len(states) <= POOL_SIZE
    assert "idle in transaction" not in states


async def test_a_statement_over_the_timeout_is_cancelled_and_answered_503(
    cluster: Postgres, settings: Settings, client: AsyncClient, page_id: str
) -> None:
    holder = await asyncpg.connect(libpq_url(cluster.url()))
    try:
        async with holder.transaction():
            await holder.execute('SELECT 1 FROM "Page" WHERE id = $1 FOR UPDATE', page_id)
            started = time.monotonic()
            blocked = await client.put(f"/pages/{page_id}", json={"title": "never"})
            seconds = time.monotonic() - started
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = $1 AND wait_event_type = 'Lock'",
                APP_NAME,
            )
    finally:
        await holder.close()

    assert blocked.status_code == 503
    assert blocked.json() == {"detail": "The database did not answer in time; retry shortly"}
    assert blocked.headers["retry-after"].isdigit()
    assert seconds < patience(settings)
    assert waiting == 0  # the server cancelled the statement: nothing still waits
    assert (await client.get(f"/pages/{page_id}")).json()["title"] == "Steady"
    assert (await client.put(f"/pages/{page_id}", json={"title": "later"})).status_code == 200


async def test_no_connection_outlives_the_app(cluster: Postgres, settings: Settings) -> None:
    async with running(settings) as app, client_for(app, headers=bearer()) as client:
        responses = await asyncio.gather(*(client.get("/pages/") for _ in range(3 * POOL_SIZE)))
        assert {response.status_code for response in responses} == {200}
        assert 0 < len(await app_connections(cluster)) <= POOL_SIZE
    deadline = time.monotonic() + 5
    while await app_connections(cluster):
        assert time.monotonic() < deadline, "the pool's connections stayed open"
        await asyncio.sleep(0.05)
