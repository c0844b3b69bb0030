"""`make run`, `make seed` and `make token`, minus the serving loop itself."""

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import pytest

from app.cli.prisma_migrate import deploy
from app.core.config import Settings
from app.core.dburl import libpq_url, parse
from scripts import dev, token
from scripts.seed import seed
from scripts.throwaway_pg import database_on
from tests.conftest import EXAMPLE_MIGRATIONS

SECRET_KEY = "dev-scripts-secret-" + "z" * 32


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no `.env`, no DATABASE_URL from outside."""
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    monkeypatch.delenv("DATABASE_URL", raising=False)
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


def test_make_seed_seeds_database_url(
    empty_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database)
    assert dev.main(["--seed-only"]) == 0
    assert dev.main(["--seed-only"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Seeded demo data.",
        "Demo data already present.",
    ]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not tmp_path: pytest prunes old base temp folders, and other pytest processes on
    # the same machine may do so while the server still uses this one.
    with tempfile.TemporaryDirectory(prefix="dev-pg-") as folder:
        yield Path(folder) / "postgres"


def test_make_run_starts_a_persistent_embedded_database_and_serves_with_reload(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[dict[str, Any]] = []

    def serve(app: str, **options: Any) -> None:
        url = dev.os.environ["DATABASE_URL"]
        served.append({"app": app, "url": url, "pages": asyncio.run(_count(url, PAGES)), **options})

    monkeypatch.setattr(dev, "DATA_DIR", data_dir)
    monkeypatch.setattr(dev.uvicorn, "run", serve)

    assert dev.main([]) == 0
    first = capsys.readouterr().out
    assert "applied migration 20260101000000_init" in first and "Seeded demo data." in first
    assert "API docs: http://127.0.0.1:8000/docs" in first
    printed_token = first.split("Token (24 h): ", 1)[1].split()[0]
    assert jwt.decode(printed_token, SECRET_KEY, algorithms=["HS256"])["sub"]

    monkeypatch.delenv("DATABASE_URL")  # exported for the server by the first run
    assert dev.main([]) == 0  # the data outlives the server
    second = capsys.readouterr().out
    assert "applied migration" not in second and "Demo data already present." in second

    assert [call["pages"] for call in served] == [4, 4]
    call = served[0]
    assert (call["app"], call["host"], call["port"], call["reload"]) == (
        "app.main:app",
        "127.0.0.1",
        8000,
        True,
    )
    with pytest.raises(OSError):  # stopped once the server returned
        asyncio.run(_count(call["url"], PAGES))


def test_make_token_prints_a_token_for_the_secret_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert token.main(["--sub", "alice", "--minutes", "5"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), SECRET_KEY, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 300
