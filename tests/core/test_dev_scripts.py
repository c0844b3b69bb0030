"""`make run`, `make seed` and `make token`, minus the serving loop itself; every line
they log is in the service's readable format."""

import asyncio
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import jwt
import pytest

from app.cli.prisma_migrate import deploy
from app.core.config import Settings
from app.core.dburl import libpq_url, parse
from scripts import dev, token
from scripts.seed import seed
from scripts.throwaway_pg import database_on
from tests.conftest import EXAMPLE_MIGRATIONS, ROOT
from tests.reliability.servers import free_port

SECRET_KEY = "dev-scripts-secret-" + "z" * 32


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no `.env`, no DATABASE_URL from outside."""
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    # Set, then removed: monkeypatch then puts back the value from before the test even
    # after `make run` exported one for its server processes.
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.setenv("ENVIRONMENT", "local")
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A new migrated database on the session's server."""
    server = os.environ.get("TEST_DATABASE_URL") or (
        parse(database_url).set(database="postgres").render_as_string(hide_password=False)
    )
    with database_on(server) as url:
        asyncio.run(deploy(url, EXAMPLE_MIGRATIONS))
        yield url


PAGES = 'SELECT count(*) FROM "Page"'
TAGGINGS = 'SELECT count(*) FROM "_PageToTag"'


async def _count(url: str, query: str) -> int:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


def test_demo_data_is_seeded_once(empty_database: str) -> None:
    assert asyncio.run(seed(empty_database)) is True
    assert asyncio.run(seed(empty_database)) is False
    assert asyncio.run(_count(empty_database, PAGES)) == 4
    assert asyncio.run(_count(empty_database, TAGGINGS)) == 2


def _messages(captured: str) -> list[str]:
    """The messages of the readable log lines (`12:00:00.000 | INFO | name | message`)."""
    lines = captured.splitlines()
    assert all(LOG_LINE.match(line) for line in lines), lines
    return [line.split(" | ", 3)[3] for line in lines]


LOG_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \| [A-Z]+ +\| [\w.]+ \| ")


def test_make_seed_seeds_database_url(
    empty_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database)
    assert dev.main(["--seed-only"]) == 0
    assert dev.main(["--seed-only"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert _messages(captured.err) == ["seeded demo data", "demo data already present"]


def test_make_run_on_a_taken_port_starts_nothing_and_names_a_free_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "postgres"
    monkeypatch.setattr(dev, "DATA_DIR", data_dir)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert dev.main(["--port", str(port)]) == 1
    (message,) = _messages(capsys.readouterr().err)
    named = re.fullmatch(rf"port {port} on 127.0.0.1 is in use: .*PORT=(\d+)`", message)
    assert named is not None, message
    suggested = int(named[1])
    assert suggested > port and dev.port_problem("127.0.0.1", suggested) is None
    assert not data_dir.exists()  # no database was started


def test_make_run_takes_port_and_host_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # PORT and HOST as `make run PORT=... HOST=...` or the environment give them; an
    # unresolvable host is refused before anything starts.
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("HOST", "no-such-host.invalid")
    assert dev.main([]) == 1
    (message,) = _messages(capsys.readouterr().err)
    assert message.startswith("cannot listen on no-such-host.invalid:8123: ")


def test_make_token_prints_a_token_for_the_secret_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert token.main(["--sub", "alice", "--minutes", "5"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), SECRET_KEY, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 300


def test_the_uv_bootstrap_fails_with_one_line_when_the_index_is_unreachable(
    tmp_path: Path,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/simple"
    result = subprocess.run(  # noqa: S603 - the project's own bootstrap script
        [sys.executable, str(ROOT / "scripts" / "get_uv.py"), str(tmp_path / "bin")],
        env={**os.environ, "UV_INDEX_URL": closed},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"cannot fetch uv from {closed} (")
    assert not (tmp_path / "bin").exists()
