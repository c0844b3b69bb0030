"""`make orm` output: stable, committed, checked against the migrations, loud on mismatch."""

import shutil
from pathlib import Path

import asyncpg
import pytest

from app.cli.prisma_migrate import deploy
from app.core.dburl import libpq_url
from scripts import orm_check
from scripts.generate_models import GenerationError, generate, load_datamodel
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
            f"app/{committed} is stale: run `uv run python -m scripts.orm_check --write`"
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
    assert notes == ["PRISMA_SCHEMA is empty: generating from the database alone"]
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
