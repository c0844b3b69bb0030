"""`make orm-check`: do the committed models match the Prisma migrations?

Replays PRISMA_MIGRATIONS on a throwaway PostgreSQL, generates the models from it and
compares them with app/models.py and app/view_tables.py. Exit 0 when equal; otherwise
print a unified diff and the command that brings the files up to date.

Usage: python -m scripts.orm_check [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import sys
from pathlib import Path

from app.cli.prisma_migrate import MigrationError, deploy
from scripts.env import ROOT, tool_settings
from scripts.generate_models import (
    OUTPUTS,
    GenerationError,
    generate,
    load_datamodel,
    project_path,
    resolve_schema,
)
from scripts.throwaway_pg import throwaway_database

FIX_COMMAND = "uv run python -m scripts.orm_check --write"


def fresh_models(migrations: Path, schema: Path | None) -> dict[str, str]:
    """{"models.py": source, "view_tables.py": source} generated from `migrations`."""
    schema, datamodel, notes = load_datamodel(schema)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    with throwaway_database("ormcheck") as url:
        asyncio.run(deploy(url, migrations))
        return {
            OUTPUTS[kind]: generate(kind, url, schema, datamodel).source
            for kind in ("tables", "views")
        }


def diff(committed: Path, generated: str) -> str:
    current = committed.read_text() if committed.is_file() else ""
    label = project_path(committed)
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            fromfile=f"{label} (committed)",
            tofile=f"{label} (generated from the migrations)",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare the committed models with the migrations")
    parser.add_argument("--write", action="store_true", help="write the generated files instead")
    parser.add_argument("--out", type=Path, default=ROOT / "app", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    settings = tool_settings()
    migrations = settings.PRISMA_MIGRATIONS
    migrations = migrations if migrations.is_absolute() else ROOT / migrations
    try:
        generated = fresh_models(migrations, resolve_schema(settings.PRISMA_SCHEMA))
    except (GenerationError, MigrationError) as exc:
        print(f"orm-check: error: {exc}", file=sys.stderr)
        return 1

    differences = {name: diff(args.out / name, source) for name, source in generated.items()}
    if args.write:
        for name, source in generated.items():
            if differences[name]:
                (args.out / name).write_text(source)
                print(f"wrote {project_path(args.out / name)}")
        return 0
    stale = [name for name, text in differences.items() if text]
    if not stale:
        print(f"orm-check: {', '.join(generated)} match {project_path(migrations)}")
        return 0
    for name in stale:
        sys.stdout.write(differences[name])
    print(
        f"\norm-check: {', '.join('app/' + n for n in stale)} differ from what "
        f"{project_path(migrations)} generates.\n"
        f"Fix: `{FIX_COMMAND}` (or `make migrate && make orm` on a database with "
        "exactly these migrations), then commit the files."
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
