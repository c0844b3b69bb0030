"""`make orm` output: stable, committed, checked against the migrations, loud on mismatch."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import pytest

from app.cli.prisma_migrate import deploy
from app.core.dburl import libpq_url
from scripts import generate_models, orm_check
from scripts.generate_models import DATABASE_ONLY, GenerationError, generate, load_datamodel
from scripts.orm import migrate
from tests.conftest import EXAMPLE_MIGRATIONS, EXAMPLE_SCHEMA
from tests.orm.generated_module import import_in_subprocess, run_in_subprocess

ROOT = Path(__file__).resolve().parents[2]


def test_generating_twice_gives_the_committed_files(database_url: str) -> None:
    schema, datamodel, _ = load_datamodel(EXAMPLE_SCHEMA)
    for kind, committed in (("tables", "models.py"), ("views", "view_tables.py")):
        first = generate(kind, database_url, schema, datamodel).source
        second = generate(kind, database_url, schema, datamodel).source

        assert first == second
        assert first == (ROOT / "app" / committed).read_text(), (
            f"app/{committed} is stale: run `{orm_check.FIX_COMMAND}`"
        )


def test_orm_check_shows_a_diff_and_the_fix_after_a_new_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(EXAMPLE_MIGRATIONS, migrations)
    added = migrations / "20260301000000_tag_color"
    added.mkdir()
    (added / "migration.sql").write_text(
        '-- AlterTable\nALTER TABLE "Tag" ADD COLUMN "color" TEXT;\n'
    )
    monkeypatch.setenv("PRISMA_MIGRATIONS", str(migrations))

    assert orm_check.main([]) == 1

    out = capsys.readouterr().out
    assert "+++ app/models.py (generated from the migrations)" in out
    assert '+    color: str | None = Field(default=None, sa_column=Column("color", Text))' in out
    assert '+PRISMA_MIGRATION: str | None = "20260301000000_tag_color"' in out
    assert orm_check.FIX_COMMAND in out
    assert "view_tables.py" in out  # its migration constant moved too


def test_the_printed_fix_is_a_make_command_that_writes() -> None:
    """The hint runs as printed wherever uv lives (the Makefile finds it)."""
    command = orm_check.FIX_COMMAND.split()
    make = shutil.which("make")
    assert make is not None, "make is needed to run the project's commands"
    dry_run = subprocess.run(  # noqa: S603  (make, with the hint's own arguments)
        [make, "-n", *command[1:]], capture_output=True, text=True, cwd=ROOT, check=False
    )

    assert command[0] == "make"
    assert dry_run.returncode == 0, dry_run.stderr
    assert "-m scripts.orm_check --write" in dry_run.stdout


def test_without_database_url_make_orm_generates_from_the_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "")

    assert generate_models.main(["all", "--out", str(tmp_path)]) == 0

    assert "replaying prisma/migrations into a throwaway database" in capsys.readouterr().err
    for name in ("models.py", "view_tables.py"):
        assert (tmp_path / name).read_text() == (ROOT / "app" / name).read_text()


def test_without_database_url_make_migrate_migrates_the_embedded_dev_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    # Directly under the system's temporary folder: the embedded server may run as another
    # user (when the tests run as root), who cannot enter pytest's private folders.
    with tempfile.TemporaryDirectory(prefix="dev-data-") as data:
        monkeypatch.setattr(migrate, "DATA_DIR", Path(data) / "postgres")

        assert migrate.main() == 0
        first = capsys.readouterr()
        assert migrate.main() == 0
        second = capsys.readouterr()

    assert "migrating the embedded development database" in first.err
    assert "20260201000000_page_stats" in first.out
    assert second.out.startswith("applied 0 migration(s)")


def test_a_schema_field_without_a_column_stops_generation(
    database_url: str, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text(
        EXAMPLE_SCHEMA.read_text().replace(
            "  content   String?\n", "  content   String?\n  subtitle  String?\n", 1
        )
    )
    _, datamodel, _ = load_datamodel(schema)

    with pytest.raises(GenerationError, match=r"Page\.subtitle has no column"):
        generate("tables", database_url, schema, datamodel)


def test_an_enum_value_unknown_to_the_schema_stops_generation(
    database_url: str, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.prisma"
    schema.write_text(EXAMPLE_SCHEMA.read_text().replace("  ARCHIVED\n", "", 1))
    _, datamodel, _ = load_datamodel(schema)

    with pytest.raises(GenerationError, match=r"PageStatus .*only in the database \['ARCHIVED'\]"):
        generate("tables", database_url, schema, datamodel)


def test_without_a_prisma_schema_models_still_import(database_url: str, tmp_path: Path) -> None:
    schema, datamodel, notes = load_datamodel(None)
    generated = generate("tables", database_url, schema, datamodel)
    path = tmp_path / "database_only_models.py"
    path.write_text(generated.source)

    tables = import_in_subprocess(path).split()

    assert set(tables) == {
        "Page",
        "PageRevision",
        "Profile",
        "Tag",
        "User",
        "_PageToTag",
        "audit_logs",
    }
    assert notes == [DATABASE_ONLY]
    assert any("client-side defaults" in note for note in generated.notes)


async def test_relations_without_foreign_keys_are_joined_explicitly(
    empty_database: str, tmp_path: Path
) -> None:
    """Prisma's relationMode = "prisma" keeps relations out of the database."""
    await deploy(empty_database, EXAMPLE_MIGRATIONS)
    conn = await asyncpg.connect(libpq_url(empty_database))
    try:
        await conn.execute('ALTER TABLE "Page" DROP CONSTRAINT "Page_authorId_fkey"')
    finally:
        await conn.close()
    schema, datamodel, _ = load_datamodel(EXAMPLE_SCHEMA)

    generated = generate("tables", empty_database, schema, datamodel)
    path = tmp_path / "no_foreign_key_models.py"
    path.write_text(generated.source)

    assert "User" in import_in_subprocess(path).split()
    assert '"primaryjoin": "Page.authorId == User.id"' in generated.source
    assert any("Page.author has no foreign key" in note for note in generated.notes)


async def test_view_fields_keep_prisma_names_over_mapped_columns(
    empty_database: str, tmp_path: Path
) -> None:
    await deploy(empty_database, EXAMPLE_MIGRATIONS)
    conn = await asyncpg.connect(libpq_url(empty_database))
    try:
        await conn.execute(
            'CREATE VIEW "page_facts" AS SELECT id, status AS page_status, metadata FROM "Page"'
        )
    finally:
        await conn.close()
    schema = tmp_path / "schema.prisma"
    schema.write_text(
        EXAMPLE_SCHEMA.read_text()
        + "\nview PageFact {\n  id         String     @unique\n"
        + '  pageStatus PageStatus @map("page_status")\n  metadata   Json?\n\n'
        + '  @@map("page_facts")\n}\n'
    )
    _, datamodel, _ = load_datamodel(schema)

    source = generate("views", empty_database, schema, datamodel).source

    assert "PageFact = Table(" in source
    assert 'Column("page_status",Enum(PageStatus,' in "".join(source.split())  # enum kept
    assert 'key="pageStatus"' in source
    assert "JSONB(none_as_null=True)" in source
    path = tmp_path / "mapped_view_tables.py"
    path.write_text(source)
    keys = run_in_subprocess(path, "print(sorted(module.PageFact.c.keys()))")
    assert keys == "['id', 'metadata', 'pageStatus']"
