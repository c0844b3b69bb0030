"""`make migrate`: apply PRISMA_MIGRATIONS like `prisma migrate deploy`, to DATABASE_URL or,
when it is not set, to the embedded development database that `make run` uses
(`.data/postgres`, started for the occasion).

Usage: python -m scripts.orm.migrate
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from app.cli.prisma_migrate import MigrationError, deploy
from app.core.dburl import masked
from scripts.dev import DATA_DIR
from scripts.env import tool_settings
from scripts.generate_models import in_project, project_path
from scripts.throwaway_pg import embedded_server


@contextmanager
def target_database(database_url: str | None) -> Iterator[str]:
    if database_url:
        yield database_url
        return
    print(
        f"DATABASE_URL is not set: migrating the embedded development database "
        f"({project_path(DATA_DIR)})",
        file=sys.stderr,
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with embedded_server(DATA_DIR) as url:
        yield url


def main() -> int:
    settings = tool_settings()
    migrations = in_project(settings.PRISMA_MIGRATIONS)
    try:
        with target_database(settings.DATABASE_URL) as url:
            applied = asyncio.run(deploy(url, migrations))
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"applied {len(applied)} migration(s) to {masked(url)}"
        + "".join(f"\n  {name}" for name in applied)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
