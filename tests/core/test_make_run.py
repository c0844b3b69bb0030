"""`make run PORT=...` as a newcomer runs it, on a copy of the project with no `.env`: a
taken port stops it before anything starts, with a free one named; on a free port it serves
/docs with every asset from itself, answers the Next.js dev server's CORS preflight, and
every line it prints is in the service's log format. And its embedded database: started,
migrated and seeded once, kept between runs."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts import dev
from tests.api.test_docs import referenced_urls
from tests.core.test_dev_scripts import LOG_LINE, PAGES, _count, _messages, environment
from tests.reliability.servers import free_port

__all__ = ["environment"]  # no `.env`, no DATABASE_URL from outside, for every test here

ROOT = Path(__file__).resolve().parents[2]
NEXTJS_DEV_ORIGIN = "http://localhost:3000"


def _fresh_clone(tmp_path: Path) -> Path:
    tree = tmp_path / "clone"
    tree.mkdir()
    for folder in ("app", "scripts", "prisma"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, tree / name)  # mtimes kept: the virtualenv counts as synced
    (tree / ".venv").symlink_to(ROOT / ".venv")
    return tree


def _make_run(tree: Path, port: int) -> subprocess.Popen[str]:
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tree),
        "XDG_RUNTIME_DIR": str(tree),
        # A database nobody answers on: the docs and CORS need none, and no embedded
        # server is started for this test.
        "DATABASE_URL": f"postgresql://nobody@/none?host={tree}/no-socket",
    }
    return subprocess.Popen(  # noqa: S603 - make with the project's own Makefile
        ["make", "--no-print-directory", "run", f"PORT={port}", f"UV={uv}"],  # noqa: S607
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, stopped as a whole below
    )


def _own_lines(output: str) -> list[str]:
    """What the project printed: make's own closing line on an error is left out."""
    return [line for line in output.splitlines() if not line.startswith("make: ***")]


def test_a_taken_port_stops_make_run_before_anything_starts(tmp_path: Path) -> None:
    tree = _fresh_clone(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _make_run(tree, port)
        output, _ = run.communicate(timeout=120)
    assert run.returncode != 0
    (line,) = _own_lines(output)
    assert LOG_LINE.match(line), line
    assert f"port {port} on 127.0.0.1 is in use" in line and "`make run PORT=" in line


def test_make_run_serves_the_docs_offline_and_the_nextjs_origin(tmp_path: Path) -> None:
    tree = _fresh_clone(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run = _make_run(tree, port)
    try:
        docs = _first_answer(f"{base}/docs", run)
        assets = [httpx.get(f"{base}{url}", timeout=30) for url in referenced_urls(docs.text)]
        preflight = httpx.options(
            f"{base}/api/v1/pages/",
            headers={
                "Origin": NEXTJS_DEV_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
            timeout=30,
        )
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        output, _ = run.communicate(timeout=60)

    assert len(assets) >= 4 and all(a.status_code == 200 and a.content for a in assets)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == NEXTJS_DEV_ORIGIN
    lines = _own_lines(output)
    assert all(LOG_LINE.match(line) for line in lines), output
    assert any(f"API docs: {base}/docs" in line for line in lines)
    assert any(f"OpenAPI document: {base}/api/v1/openapi.json" in line for line in lines)
    assert not any(".env" in line for line in lines)  # nothing about a file that is not there


def _first_answer(url: str, run: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 120  # the reloader's worker imports the app first
    while time.monotonic() < deadline:
        assert run.poll() is None, "make run stopped"
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.5)
    raise AssertionError(f"{url} never answered")


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

    port = free_port()
    assert dev.main(["--port", str(port)]) == 0
    first = _messages(capsys.readouterr().err)
    assert "applied migration 20260101000000_init" in first and "seeded demo data" in first
    assert f"API docs: http://127.0.0.1:{port}/docs (ReDoc: http://127.0.0.1:{port}/redoc)" in first
    assert f"OpenAPI document: http://127.0.0.1:{port}/api/v1/openapi.json" in first

    monkeypatch.delenv("DATABASE_URL")  # exported for the server by the first run
    assert dev.main(["--port", str(port)]) == 0  # the data outlives the server
    second = _messages(capsys.readouterr().err)
    assert not any("applied migration" in m for m in second)
    assert "demo data already present" in second

    assert [call["pages"] for call in served] == [4, 4]
    call = served[0]
    assert (call["app"], call["host"], call["port"], call["reload"]) == (
        "app.main:app",
        "127.0.0.1",
        port,
        True,
    )
    # uvicorn logs through the service's pipeline: its own format never shows.
    assert (call["log_config"], call["access_log"]) == (None, False)
    with pytest.raises(OSError):  # stopped once the server returned
        asyncio.run(_count(call["url"], PAGES))
