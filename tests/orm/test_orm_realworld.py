"""`make orm` on a real open-source Prisma app nobody here wrote (../shared/realworld).

Runs when the folder exists and a PostgreSQL with contrib extensions can be started;
skips with the reason otherwise. The real-world files are read in place, never copied.
"""

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli.prisma_migrate import deploy
from app.core.dburl import asyncpg_url
from scripts.generate_models import generate, load_datamodel
from scripts.throwaway_pg import database_on
from tests.orm.contrib_postgres import Unavailable, contrib_server
from tests.orm.generated_module import run_in_subprocess

ROOT = Path(__file__).resolve().parents[2]
REALWORLD = ROOT.parent / "shared" / "realworld"
DOCUMENSO = REALWORLD / "documenso"

pytestmark = pytest.mark.skipif(
    not (DOCUMENSO / "schema.prisma").is_file(), reason=f"{DOCUMENSO.name}: no real-world schema"
)

# Imports the generated module, configures its mappers, then inserts a User with only
# the fields nobody can default (no id, no updatedAt) through AsyncSession over asyncpg.
INSERT_USER = """
import asyncio, datetime, enum, json, secrets, types, typing
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import configure_mappers
from sqlmodel.ext.asyncio.session import AsyncSession

configure_mappers()

def sample(annotation):
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return None
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    return {str: lambda: "x-" + secrets.token_hex(6), int: lambda: 1, bool: lambda: False,
            datetime.datetime: datetime.datetime.now}[annotation]()

async def main():
    engine = create_async_engine(sys.argv[2])
    required = {name: sample(info.annotation) for name, info in module.User.model_fields.items()
                if info.is_required()}
    async with AsyncSession(engine, expire_on_commit=False) as session:
        user = module.User(**required)
        session.add(user)
        await session.commit()
        print(json.dumps({"id": user.id, "updatedAt": str(getattr(user, "updatedAt", "")),
                          "required": sorted(required)}))
    await engine.dispose()

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def documenso_database() -> Iterator[str]:
    try:
        with contrib_server() as server, database_on(server, "documenso") as url:
            asyncio.run(deploy(url, DOCUMENSO / "migrations"))
            yield url
    except Unavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture(scope="module")
def documenso_models(documenso_database: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    schema, datamodel, _ = load_datamodel(DOCUMENSO / "schema.prisma")
    folder = tmp_path_factory.mktemp("documenso")
    path = folder / "documenso_models.py"
    path.write_text(generate("tables", documenso_database, schema, datamodel).source)
    return path


def test_models_import_and_accept_a_user_without_id_or_updated_at(
    documenso_models: Path, documenso_database: str
) -> None:
    printed = run_in_subprocess(documenso_models, INSERT_USER, asyncpg_url(documenso_database))

    inserted = json.loads(printed.splitlines()[-1])
    assert inserted["id"] is not None
    assert inserted["updatedAt"]
    assert "id" not in inserted["required"] and "updatedAt" not in inserted["required"]


def test_models_cover_every_prisma_model_and_enum(documenso_models: Path) -> None:
    source = documenso_models.read_text()

    assert (
        source.count("(sqlmodel.SQLModel, table=True)") + source.count("(SQLModel, table=True)")
        == 51
    )
    assert source.count("(enum.StrEnum)") == 30
    assert "_prisma_migrations" not in source


def test_models_pass_pyright(documenso_models: Path) -> None:
    config = documenso_models.parent / "pyrightconfig.json"
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
    done = subprocess.run(  # noqa: S603  (the project's own pyright)
        [sys.executable, "-m", "pyright", "-p", str(config), str(documenso_models)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:]
