"""`make orm` on real open-source Prisma apps nobody here wrote (../shared/realworld).

Each app's migrations are replayed as `prisma migrate deploy` sends them on a PostgreSQL
with contrib extensions, then `make orm` generates from it with the app's PRISMA_SCHEMA
(a file, or a folder of them). The generated modules must import, configure, pass
pyright, carry Prisma's names for every model, field, enum and relation (read from
Prisma's own DMMF here, not through the generator) and accept an insert into every model
whose id Prisma's client makes. Skips, saying why, when the folder or a PostgreSQL with
contrib is missing. The real-world files are read in place, never copied.
"""

import asyncio
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.cli.prisma_migrate import deploy
from app.core.dburl import psycopg_url
from scripts.generate_models import main
from scripts.throwaway_pg import database_on
from tests.orm.contrib_postgres import Unavailable, contrib_server
from tests.orm.generated_module import ROOT, run_in_subprocess

# The project sees the shared material at ../shared; REALWORLD_SCHEMAS points elsewhere.
REALWORLD = Path(os.environ.get("REALWORLD_SCHEMAS") or ROOT.parent / "shared" / "realworld")
APPS = sorted(p.parent.name for p in REALWORLD.glob("*/migrations"))
CLIENT_SIDE_IDS = {"cuid", "uuid", "nanoid", "ulid"}

pytestmark = pytest.mark.skipif(not APPS, reason=f"no real-world schemas in {REALWORLD}")

# Prisma's DMMF straight from its WebAssembly schema engine, every .prisma file of a folder.
READ_DMMF = """
const fs = require("fs"), path = require("path");
const [target, modules] = process.argv.slice(1);
const files = fs.statSync(target).isDirectory()
  ? fs.readdirSync(target, { recursive: true }).map((f) => path.join(target, String(f)))
      .filter((f) => f.endsWith(".prisma")).sort()
  : [target];
const request = JSON.stringify({ prismaSchema: files.map((f) => [f, fs.readFileSync(f, "utf8")]) });
// Prisma 7's reader first; Prisma 6's for schemas that still name a datasource url.
let datamodel, last;
for (const pkg of ["prisma-schema-wasm-7", "prisma-schema-wasm-6"]) {
  try {
    datamodel = JSON.parse(require(path.join(modules, pkg)).get_dmmf(request)).datamodel;
    break;
  } catch (err) { last = err; }
}
if (datamodel === undefined) throw last;
process.stdout.write(JSON.stringify(datamodel));  // no process.exit: it would cut the pipe short
"""

# In a fresh interpreter with the generated `module` (tables) and sys.argv[2] (views):
# Prisma's names on every class, then one insert per model whose id the client makes.
CHECK_NAMES_AND_INSERT = """
import datetime, decimal, enum, importlib, json, secrets, uuid
from sqlalchemy import ARRAY, JSON, Enum, create_engine, inspect, text
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session

configure_mappers()
views = importlib.import_module(sys.argv[2])
dmmf = json.load(open(sys.argv[3]))
problems = []

def attribute(name, names):
    return next((n for n in (name, name + "_") if n in names), None)

for prisma_enum in dmmf["enums"]:
    name = prisma_enum["name"]
    cls = getattr(module, name, None) or getattr(module, name + "_", None)
    used = any(f["kind"] == "enum" and f["type"] == prisma_enum["name"]
               for m in dmmf["models"] for f in m["fields"])
    if cls is None:
        if used:
            problems.append(f"enum {prisma_enum['name']} missing")
        continue
    if [m.value for m in cls] != [v["name"] for v in prisma_enum["values"]] and sorted(
        m.value for m in cls) != sorted(v["name"] for v in prisma_enum["values"]):
        problems.append(f"enum {prisma_enum['name']} values {[m.value for m in cls]}")

inserted = []
engine = create_engine(sys.argv[4])
for model in dmmf["models"]:
    cls = getattr(module, model["name"], None)
    if cls is None:
        view = getattr(views, model["name"], None)
        if view is None:
            problems.append(f"model {model['name']} missing")
            continue
        for field in model["fields"]:
            if field["kind"] in ("scalar", "enum") and field["name"] not in view.c:
                problems.append(f"view field {model['name']}.{field['name']} missing")
        continue
    mapper = inspect(cls)
    columns = {a.key: a.columns[0] for a in mapper.column_attrs}
    for field in model["fields"]:
        name = field["name"]
        if field["kind"] in ("scalar", "enum"):
            key = attribute(name, columns)
            if key is None or columns[key].name != (field.get("dbName") or name):
                problems.append(f"field {model['name']}.{name} missing")
        elif field["kind"] == "object" and name not in mapper.relationships:
            problems.append(f"relation {model['name']}.{name} missing")

    if not client_side_id(model):
        continue
    values = {}
    for key, column in columns.items():
        info = cls.model_fields[key]
        unset = column.server_default is None and column.default is None
        if info.is_required() or (not column.nullable and unset and info.default is None):
            values[key] = SAMPLE(column)
    with Session(engine) as session:
        # Foreign keys off: the row stands alone; what is checked is what Python fills in.
        session.exec(text("SET session_replication_role = replica"))
        row = cls(**values)
        session.add(row)
        try:
            session.commit()
            inserted.append(model["name"])
        except Exception as exc:
            problems.append(f"insert {model['name']}: {str(exc).splitlines()[0]}")
print(json.dumps({"problems": problems, "inserted": inserted}))
"""


def client_side_id(model: dict[str, Any]) -> bool:
    """Is the model's single `@id` filled in by Prisma's client (cuid(), uuid()...)?"""
    ids = [f for f in model["fields"] if f.get("isId")]
    default = ids[0].get("default") if len(ids) == 1 else None
    return isinstance(default, dict) and default.get("name") in CLIENT_SIDE_IDS


SAMPLE = """
def SAMPLE(column):
    column_type = column.type
    if isinstance(column_type, ARRAY):
        return []
    if isinstance(column_type, JSON):
        return {}
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        return next(iter(column_type.enum_class))
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        python_type = str
    return {
        str: lambda: "x" + secrets.token_hex(8), int: lambda: secrets.randbelow(10**6),
        bool: lambda: False, float: lambda: 1.5, decimal.Decimal: lambda: decimal.Decimal("1"),
        datetime.datetime: datetime.datetime.now, datetime.date: datetime.date.today,
        bytes: lambda: b"x", uuid.UUID: uuid.uuid4, dict: dict, list: list,
    }.get(python_type, lambda: "x" + secrets.token_hex(8))()
"""


@dataclass(frozen=True)
class Generated:
    app: str
    database_url: str
    models: Path
    views: Path


def prisma_schema(app: Path) -> Path:
    folder = app / "schema"
    return folder if folder.is_dir() else app / "schema.prisma"


@pytest.fixture(scope="module")
def contrib() -> Iterator[str]:
    try:
        with contrib_server() as server:
            yield server
    except Unavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture(scope="module", params=APPS)
def generated(
    request: pytest.FixtureRequest, contrib: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    app: str = request.param
    folder = REALWORLD / app
    with database_on(contrib, app) as url:
        asyncio.run(deploy(url, folder / "migrations"))
        out = tmp_path_factory.mktemp(app)
        code = main(
            [
                "all",
                "--out",
                str(out),
                "--database-url",
                url,
                "--schema",
                str(prisma_schema(folder)),
            ]
        )
        assert code == 0, f"make orm failed on {app}"
        models, views = out / f"{app}_models.py", out / f"{app}_views.py"
        (out / "models.py").rename(models)
        (out / "view_tables.py").rename(views)
        yield Generated(app, url, models, views)


def test_prisma_names_and_inserts(generated: Generated, tmp_path: Path) -> None:
    dmmf = tmp_path / "dmmf.json"
    node = str(Path(sys.executable).parent / "node")
    modules = ROOT / "scripts" / "prisma_dmmf" / "node_modules"
    done = subprocess.run(  # noqa: S603  (the project's node, a fixed script)
        [node, "-e", READ_DMMF, str(prisma_schema(REALWORLD / generated.app)), str(modules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dmmf.write_text(done.stdout)
    code = "\n".join(
        [f"CLIENT_SIDE_IDS = {CLIENT_SIDE_IDS!r}", inspect.getsource(client_side_id), SAMPLE]
    )
    code = code.replace("dict[str, Any]", "dict") + CHECK_NAMES_AND_INSERT

    printed = run_in_subprocess(
        generated.models,
        code,
        generated.views.stem,
        str(dmmf),
        psycopg_url(generated.database_url),
    )

    result = json.loads(printed.splitlines()[-1])
    assert result["problems"] == []
    expected = [m["name"] for m in json.loads(dmmf.read_text())["models"] if client_side_id(m)]
    assert expected
    assert sorted(result["inserted"]) == sorted(expected)


def test_generated_files_pass_pyright(generated: Generated) -> None:
    config = generated.models.parent / "pyrightconfig.json"
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
        [
            sys.executable,
            "-m",
            "pyright",
            "-p",
            str(config),
            str(generated.models),
            str(generated.views),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:]
