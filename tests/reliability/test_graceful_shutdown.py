"""SIGTERM on the production server (app/cli/serve.py, a real uvicorn process): it stops
accepting connections, lets the requests in flight finish, then closes the pool, each
connection with a proper goodbye to PostgreSQL rather than a dropped socket."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta

import asyncpg
import httpx
import pytest

from app.cli.prisma_migrate import deploy
from app.core.security import create_token
from tests.api.conftest import unique_slug
from tests.conftest import EXAMPLE_MIGRATIONS, ROOT
from tests.reliability.servers import Postgres, free_port, postgres, wait_for_port

APP_NAME = "shutdown-test"
SECRET_KEY = "shutdown-test-secret-" + "s" * 24
IN_FLIGHT = 3


@pytest.fixture(scope="module")
def cluster() -> Iterator[Postgres]:
    # DEBUG1 logs "unexpected EOF on client connection" for a client that vanished
    # without closing its session: what a pool left open at exit looks like.
    with postgres("log_min_messages = debug1", "log_line_prefix = '%m [%p] app=%a '") as server:
        asyncio.run(deploy(server.url(), EXAMPLE_MIGRATIONS))
        yield server


@pytest.fixture
def server(cluster: Postgres) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": cluster.url(),
        "PROJECT_NAME": APP_NAME,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GRACEFUL_SHUTDOWN_TIMEOUT": "30",
        "DB_STATEMENT_TIMEOUT": "60",  # the requests below wait on a lock, uncancelled
        "LOG_JSON": "true",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, process)
        yield process, f"http://127.0.0.1:{port}/api/v1"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def _accepts_connections(url: str) -> bool:
    address = httpx.URL(url)
    try:
        socket.create_connection((address.host, address.port or 80), timeout=1).close()
    except OSError:
        return False
    return True


async def _eventually(condition: Callable[[], Awaitable[bool]], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_sigterm_finishes_requests_in_flight_then_closes_the_pool(
    cluster: Postgres, server: tuple[subprocess.Popen[str], str]
) -> None:
    process, base_url = server
    token = create_token(SECRET_KEY, "next-server", expires_in=timedelta(minutes=5))
    admin = await asyncpg.connect(cluster.url())
    author = await admin.fetchval(
        'INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $1, now()) RETURNING id',
        unique_slug("author"),
    )

    async def app_backends(*, waiting_on_a_lock: bool = False) -> int:
        return await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
            " AND (NOT $2 OR wait_event_type = 'Lock')",
            APP_NAME,
            waiting_on_a_lock,
        )

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        created = await client.post(
            "/pages/", json={"title": "v0", "slug": unique_slug(), "authorId": author}
        )
        assert created.status_code == 201
        assert "server" not in created.headers  # no server name or version given away
        url = f"/pages/{created.json()['id']}"

        holder = await asyncpg.connect(cluster.url())
        lock = holder.transaction()
        await lock.start()
        await holder.execute('SELECT 1 FROM "Page" WHERE id = $1 FOR UPDATE', created.json()["id"])
        in_flight = [
            asyncio.create_task(client.put(url, json={"title": f"v{n}"})) for n in range(IN_FLIGHT)
        ]

        async def all_waiting_on_the_lock() -> bool:
            return await app_backends(waiting_on_a_lock=True) == IN_FLIGHT

        async def refusing_connections() -> bool:
            return not await asyncio.to_thread(_accepts_connections, base_url)

        await _eventually(all_waiting_on_the_lock)
        process.send_signal(signal.SIGTERM)
        await _eventually(refusing_connections)
        assert not any(task.done() for task in in_flight)  # still waiting on the lock
        await lock.commit()
        await holder.close()
        finished = await asyncio.gather(*in_flight)

    assert [response.status_code for response in finished] == [200] * IN_FLIGHT
    # uvicorn re-raises the signal once shut down, as a process stopped by it should.
    assert process.wait(30) in (0, -signal.SIGTERM)
    output = process.stdout.read() if process.stdout else ""
    assert "Application shutdown complete" in output
    assert await app_backends() == 0
    await admin.close()
    app_lines = [line for line in cluster.log().splitlines() if f"app={APP_NAME} " in line]
    assert app_lines  # the cluster did log the app's sessions...
    assert not [line for line in app_lines if "unexpected EOF" in line]  # ...none dropped
