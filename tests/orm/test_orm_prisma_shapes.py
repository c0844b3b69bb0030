"""Prisma shapes real apps have and the example lacks, each on a small schema of its own:
a schema folder, a model without @id, an implicit many-to-many table that lost a foreign
key, enum values Python reserves, a long server default, and `@@schema`."""

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.cli.prisma_migrate import deploy
from app.core.dburl import asyncpg_url, parse
from scripts.generate_models import main
from scripts.throwaway_pg import database_on
from tests.orm.generated_module import ROOT, import_in_subprocess, run_in_subprocess

HERE = Path(__file__).resolve().parent
SHAPES = HERE / "shapes_prisma"
MULTI_SCHEMA = HERE / "multischema_prisma"

# Runs against the generated module (`module`) in a fresh interpreter.
SHAPES_SCENARIO = """
import asyncio, json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import selectinload
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

Mode, User, Invitation, Group = module.Mode, module.User, module.Invitation, module.Group

async def main(url):
    engine = create_async_engine(url)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        user = User(email="ann@example.com")
        invitation = Invitation(email="bob@example.com", invitedBy=user)
        group = Group(name="editors", users=[user])
        session.add_all([user, invitation, group])
        await session.commit()
        stored_mode = (await session.exec(text('SELECT mode::text FROM "User"'))).scalar()
        user.mode = Mode.first
        await session.commit()
        labels = (await session.exec(text('SELECT mode::text FROM "User"'))).scalar()
        link = (await session.exec(text('SELECT "A", "B" FROM "_GroupToUser"'))).one()
        session.expunge_all()
        loaded = (await session.exec(select(User).options(
            selectinload(User.invitations), selectinload(User.groups)))).one()
        by_key = await session.get(Invitation, (invitation.token, invitation.email))
        print(json.dumps({
            "members": {m.name: m.value for m in Mode},
            "str_method": Mode.replace_.replace("e", "a"),
            "default_mode": str(user.mode.__class__.__name__),
            "stored_mode": stored_mode, "mode_label": labels,
            "loaded_mode_is_first": loaded.mode is Mode.first,
            "token": invitation.token, "invitations": [i.token for i in loaded.invitations],
            "invited_by": by_key.invitedBy.email if by_key else None,
            "link": [link[0], link[1] == user.id], "groups": [g.name for g in loaded.groups],
            "roles": loaded.roles,
        }))
    await engine.dispose()

asyncio.run(main(sys.argv[2]))
"""

MULTI_SCHEMA_SCENARIO = """
import asyncio, json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

async def main(url):
    engine = create_async_engine(url)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        account = module.Account(name="acme", invoices=[module.Invoice()])
        session.add(account)
        await session.commit()
        row = (await session.exec(text(
            'SELECT plan::text, "accountId" FROM billing.invoices'))).one()
        print(json.dumps({"plan": row[0], "same_account": row[1] == account.id,
                          "schema": module.Invoice.__table__.schema}))
    await engine.dispose()

asyncio.run(main(sys.argv[2]))
"""


@pytest.fixture(scope="module")
def server_url(database_url: str) -> str:
    return parse(database_url).set(database="postgres").render_as_string(hide_password=False)


@contextmanager
def migrated(server_url: str, fixture: Path, prefix: str) -> Iterator[str]:
    """A database of its own with the fixture's migrations applied."""
    with database_on(server_url, prefix) as url:
        asyncio.run(deploy(url, fixture / "migrations"))
        yield url


@pytest.fixture(scope="module")
def shapes_database(server_url: str) -> Iterator[str]:
    with migrated(server_url, SHAPES, "shapes") as url:
        yield url


@pytest.fixture(scope="module")
def shapes_models(
    shapes_database: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """`make orm` with PRISMA_SCHEMA a folder: (the models file, what it printed)."""
    out = tmp_path_factory.mktemp("shapes")
    printed = _generate(out, shapes_database, SHAPES / "schema")
    path = out / "shapes_models.py"
    (out / "models.py").rename(path)
    return path, printed


def _generate(out: Path, database_url: str, schema: Path) -> str:
    source = ["--database-url", database_url, "--schema", str(schema)]
    done = subprocess.run(  # noqa: S603  (the generator, fixed arguments)
        [sys.executable, "-m", "scripts.generate_models", "all", "--out", str(out), *source],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_every_shape_maps_and_round_trips(
    shapes_models: tuple[Path, str], shapes_database: str
) -> None:
    path, _ = shapes_models
    assert import_in_subprocess(path).split() == ["Group", "Invitation", "User", "_GroupToUser"]

    result = json.loads(run_in_subprocess(path, SHAPES_SCENARIO, asyncpg_url(shapes_database)))

    # Enum values are Prisma's names; members are safe names; the database keeps its labels.
    assert result["members"] == {"replace_": "replace", "class_": "class", "first": "first"}
    assert result["str_method"] == "raplaca"
    assert (result["stored_mode"], result["mode_label"]) == ("replace", "1st")
    assert result["loaded_mode_is_first"]
    # No @id: keyed on its @@unique, with the key's cuid() made in Python, both relation sides.
    assert result["token"].startswith("c") and len(result["token"]) == 25
    assert result["invitations"] == [result["token"]]
    assert result["invited_by"] == "ann@example.com"
    # The half-dropped implicit many-to-many table still links both sides.
    assert result["link"][1] is True
    assert result["groups"] == ["editors"]
    assert result["roles"][-1] == "auditor"


def test_notes_name_what_was_found(shapes_models: tuple[Path, str]) -> None:
    _, printed = shapes_models

    assert "model Invitation has no @id: keyed on its unique (email, token)" in printed
    assert "'_GroupToUser'" in printed and "no foreign key on column B" in printed
    assert "relationMode" not in printed
    assert "value class is member Mode.class_" in printed


def test_shapes_pass_pyright_and_ruff(shapes_models: tuple[Path, str]) -> None:
    path, _ = shapes_models
    config = path.parent / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "standard",
                "pythonVersion": "3.11",
                "extraPaths": [str(ROOT)],
                "venvPath": str(ROOT),
                "venv": ".venv",
            }
        )
    )
    pyright = subprocess.run(  # noqa: S603  (the project's own pyright)
        [sys.executable, "-m", "pyright", "-p", str(config), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert pyright.returncode == 0, pyright.stdout[-3000:]
    source = path.read_text()
    # The long ARRAY[...] server default is split, not exempted.
    assert "noqa: E501" not in source
    assert all(len(line) <= 100 for line in source.splitlines())


def test_a_missing_schema_path_is_an_error_and_nothing_is_written(
    shapes_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "models.py").write_text("committed\n")

    missing = str(tmp_path / "no-such-schema")
    code = main(
        ["all", "--out", str(tmp_path), "--database-url", shapes_database, "--schema", missing]
    )

    assert code == 1
    error = capsys.readouterr().err
    assert "no-such-schema does not exist" in error
    assert "left untouched" in error
    assert (tmp_path / "models.py").read_text() == "committed\n"
    assert not (tmp_path / "view_tables.py").exists()


def test_when_one_module_fails_neither_file_changes(
    shapes_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "schema"
    schema.mkdir()
    for file in (SHAPES / "schema").iterdir():
        (schema / file.name).write_text(file.read_text().replace('  first   @map("1st")\n', ""))
    (tmp_path / "models.py").write_text("committed models\n")
    (tmp_path / "view_tables.py").write_text("committed views\n")

    code = main(
        ["all", "--out", str(tmp_path), "--database-url", shapes_database, "--schema", str(schema)]
    )

    assert code == 1
    error = capsys.readouterr().err
    assert "`make models` failed: enum Mode" in error
    assert (tmp_path / "models.py").read_text() == "committed models\n"
    assert (tmp_path / "view_tables.py").read_text() == "committed views\n"


def test_models_in_several_schemas_keep_their_schema(server_url: str, tmp_path: Path) -> None:
    with migrated(server_url, MULTI_SCHEMA, "multischema") as url:
        _generate(tmp_path, url, MULTI_SCHEMA / "schema.prisma")
        path = tmp_path / "multischema_models.py"
        (tmp_path / "models.py").rename(path)

        assert import_in_subprocess(path).split() == ["Account", "billing.invoices"]
        result = json.loads(run_in_subprocess(path, MULTI_SCHEMA_SCENARIO, asyncpg_url(url)))

        assert result == {"plan": "FREE", "same_account": True, "schema": "billing"}
