"""`make run`: the API with reload on 127.0.0.1:8000, with a database even on a bare machine.

With DATABASE_URL unset (local only), an embedded PostgreSQL keeps its data under
`.data/postgres`; the example Prisma migrations are replayed on it and demo data is
seeded once. Then the docs URL and a token are printed and uvicorn serves with reload.
`--seed-only` (`make seed`) seeds DATABASE_URL, or the embedded database, and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from app.cli.prisma_migrate import deploy
from app.core.config import ROOT, Settings, settings_or_exit
from app.core.dburl import masked
from scripts.env import tool_settings
from scripts.seed import seed
from scripts.throwaway_pg import embedded_server
from scripts.token import local_token

DATA_DIR = ROOT / ".data" / "postgres"


@contextmanager
def database_for(settings: Settings, data_dir: Path) -> Iterator[tuple[str, bool]]:
    """DATABASE_URL, or an embedded server brought up to date; yield (url, embedded)."""
    if settings.DATABASE_URL is not None:
        yield settings.DATABASE_URL.get_secret_value(), False
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"Starting the embedded PostgreSQL (data in {data_dir}) ...")
    with embedded_server(data_dir) as url:
        for name in asyncio.run(deploy(url, tool_settings().PRISMA_MIGRATIONS)):
            print(f"  applied migration {name}")
        yield url, True


def _seed(url: str) -> None:
    inserted = asyncio.run(seed(url))
    print("Seeded demo data." if inserted else "Demo data already present.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the API for development.")
    parser.add_argument("--seed-only", action="store_true", help="seed demo data and stop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)

    settings = settings_or_exit()
    with database_for(settings, DATA_DIR) as (url, embedded):
        if args.seed_only:
            _seed(url)
            return 0
        if embedded:
            _seed(url)
        # The reloader's worker processes read the settings from the environment.
        os.environ["DATABASE_URL"] = url
        token = local_token(settings.SECRET_KEY.get_secret_value())
        base = f"http://{args.host}:{args.port}"
        print(
            f"\nDatabase: {masked(url)}"
            f"\nAPI docs: {base}/docs"
            f"\nToken (24 h): {token}"
            f'\nTry: curl -H "Authorization: Bearer $(make -s token)" {base}/api/v1/pages/\n'
        )
        uvicorn.run(
            "app.main:app",
            host=args.host,
            port=args.port,
            reload=True,
            reload_dirs=[str(ROOT / "app")],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
