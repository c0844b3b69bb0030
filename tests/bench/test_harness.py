"""The harness loads what its table says it loads."""

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.bench.apps import AppProcess, uvicorn_command
from scripts.bench.runner import LIST, cursor_at, request
from tests.bench.conftest import BenchDatabase

REFERENCE = uvicorn_command("scripts.bench.reference:app")


@pytest.fixture(scope="module")
def served_reference(
    bench_database: BenchDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppProcess]:
    """The reference app behind uvicorn on loopback, as the benchmark runs it."""
    log = tmp_path_factory.mktemp("bench") / "reference.log"
    env = dict(os.environ) | {"DATABASE_URL": bench_database.url}
    app = AppProcess("reference", REFERENCE, env, Path(log))
    app.start()
    try:
        yield app
    finally:
        app.stop()


def test_the_keyset_cursor_is_found_as_many_rows_deep_as_asked(
    served_reference: AppProcess,
) -> None:
    cursor = cursor_at(served_reference, 200, token="unused")
    assert cursor is not None
    status, from_cursor = request(served_reference, "GET", f"{LIST}&cursor={cursor}", "unused")
    _, from_skip = request(served_reference, "GET", f"{LIST}&skip=200", "unused")
    assert status == 200
    assert [p["id"] for p in from_cursor["data"]] == [p["id"] for p in from_skip["data"]]


def test_a_stopped_app_leaves_no_process_behind(
    bench_database: BenchDatabase, tmp_path: Path
) -> None:
    env = dict(os.environ) | {"DATABASE_URL": bench_database.url}
    app = AppProcess("reference", REFERENCE, env, tmp_path / "reference.log")
    app.start()
    assert app.cold_start_s is not None
    app.stop()
    assert app.process is not None and app.process.returncode is not None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", app.port), timeout=1).close()
