"""A Prisma migration reaches the API through the README's commands alone.

On a copy of the project: a migration adds a nullable column and an enum value to Page
(and schema.prisma says so, as `prisma migrate dev` leaves it); `make orm` and
`make openapi` run; then the copy's app, on a database with the new migration applied,
answers the column, accepts it in POST and PUT, and documents both. Only generated files
change under app/.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.prisma_migrate import deploy

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = "20990101000000_page_summary"

# Run by the copy's interpreter with the copy as its working directory.
CLIENT = """
import asyncio, json, os, secrets
os.environ["ENVIRONMENT"] = "local"
from tests.api.conftest import bearer, client_for, make_settings, running

async def main():
    async with running(make_settings(os.environ["COPY_DATABASE_URL"])) as app:
        async with client_for(app, headers=bearer()) as client:
            user = await client.post("/users/", json={"email": f"{secrets.token_hex(4)}@x.io"})
            body = {"title": "T", "slug": secrets.token_hex(6), "authorId": user.json()["id"],
                    "summary": "short", "status": "SCHEDULED"}
            created = await client.post("/pages/", json=body)
            page = created.json()
            changed = await client.put(f"/pages/{page['id']}", json={"summary": "shorter"})
            read = await client.get(f"/pages/{page['id']}")
            print(json.dumps({"create": [created.status_code, page],
                              "update": [changed.status_code, changed.json()],
                              "read": read.json()}))

asyncio.run(main())
"""


def _git(*args: str, cwd: Path) -> str:
    git = shutil.which("git")
    assert git is not None, "git is needed to copy the project"
    done = subprocess.run(  # noqa: S603  (git, fixed arguments)
        [git, "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        check=True,
        text=True,
    )
    return done.stdout


def _copy_project(target: Path) -> None:
    files = _git("ls-files", "-z", cwd=ROOT).split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # The same locked environment and installed Node packages, not fetched again.
    (target / ".venv").symlink_to(ROOT / ".venv")
    modules = ROOT / "scripts" / "prisma_dmmf" / "node_modules"
    if modules.exists():
        (target / "scripts" / "prisma_dmmf" / "node_modules").symlink_to(modules)
    _git("init", "-q", cwd=target)
    _git("add", "-A", cwd=target)
    _git("commit", "-qm", "copy", cwd=target)


def _add_migration(project: Path) -> None:
    folder = project / "prisma" / "migrations" / MIGRATION
    folder.mkdir()
    (folder / "migration.sql").write_text(
        "-- AlterEnum\nALTER TYPE \"PageStatus\" ADD VALUE 'SCHEDULED';\n\n"
        '-- AlterTable\nALTER TABLE "Page" ADD COLUMN "summary" TEXT;\n'
    )
    schema = project / "prisma" / "schema.prisma"
    text = schema.read_text()
    text = text.replace("  ARCHIVED\n}", "  ARCHIVED\n  SCHEDULED\n}")
    text = text.replace("  content   String?\n", "  content   String?\n  summary   String?\n", 1)
    assert "SCHEDULED" in text and "summary" in text
    schema.write_text(text)


def _make(project: Path, *targets: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PRISMA_SCHEMA")}
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    make = shutil.which("make")
    assert make is not None, "make is needed to run the README's commands"
    done = subprocess.run(  # noqa: S603  (make, with the README's targets)
        [make, f"UV={uv}", *targets],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"make {' '.join(targets)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def migrated_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    _copy_project(project)
    _add_migration(project)
    _make(project, "orm", "openapi")
    return project


def test_only_generated_files_change_under_app(migrated_copy: Path) -> None:
    changed = _git("status", "--porcelain", "--", "app", cwd=migrated_copy).splitlines()
    assert sorted(line[3:] for line in changed) == [
        "app/models.py",
        "app/view_tables.py",
    ]


def test_the_document_lists_the_column_and_the_value(migrated_copy: Path) -> None:
    schemas = json.loads((migrated_copy / "openapi.json").read_text())["components"]["schemas"]
    assert "summary" in schemas["Page"]["properties"]
    assert "summary" in schemas["PageCreateInput"]["properties"]
    assert "summary" in schemas["PageUpdateInput"]["properties"]
    assert "SCHEDULED" in schemas["PageStatus"]["enum"]


def test_the_column_is_answered_and_written(migrated_copy: Path, empty_database: str) -> None:
    asyncio.run(deploy(empty_database, migrated_copy / "prisma" / "migrations"))
    done = subprocess.run(  # noqa: S603  (this interpreter, a fixed script)
        [sys.executable, "-c", CLIENT],
        cwd=migrated_copy,
        env={**os.environ, "COPY_DATABASE_URL": empty_database, "PYTHONPATH": "."},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    status, page = answers["create"]
    assert status == 201, page
    assert (page["summary"], page["status"]) == ("short", "SCHEDULED")
    status, updated = answers["update"]
    assert status == 200 and updated["summary"] == "shorter"
    assert answers["read"] == updated
