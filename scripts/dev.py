"""`make run`: the API with reload on HOST:PORT, with a database even on a bare machine.

The port is checked first: when it is taken, nothing is started and the message says
which free port to pass instead. With DATABASE_URL unset (local only), an embedded
PostgreSQL keeps its data under `.data/postgres`; the example Prisma migrations are
replayed on it and demo data is seeded once. Then the docs URLs are logged and uvicorn
serves with reload. Every line goes through the service's logging (loguru).
`--seed-only` (`make seed`) seeds DATABASE_URL, or the embedded database, and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from loguru import logger

from app.api.main import API_V1_PREFIX
from app.cli.prisma_migrate import deploy
from app.core.config import ROOT, Settings, settings_or_exit
from app.core.dburl import masked
from app.core.logging import setup_logging
from scripts.env import tool_settings
from scripts.seed import seed
from scripts.throwaway_pg import embedded_server

DATA_DIR = ROOT / ".data" / "postgres"
# Hosts that mean "every interface": a browser reaches them as localhost.
_WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - only compared with, never bound


def _bind_error(host: str, port: int) -> OSError | None:
    """What binding host:port as uvicorn does raises, if anything."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as exc:
        return exc
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn does: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc
    return None


def port_problem(host: str, port: int) -> str | None:
    """Why `make run` could not listen on host:port, and what to do; None when it can."""
    error = _bind_error(host, port)
    if error is None:
        return None
    if error.errno != errno.EADDRINUSE:
        return f"cannot listen on {host}:{port}: {error.strerror or error}"
    nearby = range(port + 1, min(port + 50, 65536))
    free = next((p for p in nearby if _bind_error(host, p) is None), None)
    suggestion = f"make run PORT={free}" if free else "make run PORT=<a free port>"
    return f"port {port} on {host} is in use: stop what holds it, or run `{suggestion}`"


@contextmanager
def database_for(settings: Settings, data_dir: Path) -> Iterator[tuple[str, bool]]:
    """DATABASE_URL, or an embedded server brought up to date; yield (url, embedded)."""
    if settings.DATABASE_URL is not None:
        yield settings.DATABASE_URL.get_secret_value(), False
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    logger.info("starting the embedded PostgreSQL (data in {})", data_dir)
    with embedded_server(data_dir) as url:
        for name in asyncio.run(deploy(url, tool_settings().PRISMA_MIGRATIONS)):
            logger.info("applied migration {}", name)
        yield url, True


def _seed(url: str) -> None:
    inserted = asyncio.run(seed(url))
    logger.info("seeded demo data" if inserted else "demo data already present")


def _browser_base(host: str, port: int) -> str:
    shown = "localhost" if host in _WILDCARD_HOSTS else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def main(argv: list[str] | None = None) -> int:
    settings = settings_or_exit()
    parser = argparse.ArgumentParser(description="Serve the API for development.")
    parser.add_argument("--seed-only", action="store_true", help="seed demo data and stop")
    parser.add_argument("--host", default=settings.HOST, help="default: HOST, else 127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.PORT, help="default: PORT, else 8000")
    args = parser.parse_args(argv)
    setup_logging(level=settings.LOG_LEVEL, json_logs=settings.log_json)

    if not args.seed_only and (problem := port_problem(args.host, args.port)):
        logger.error(problem)
        return 1
    with database_for(settings, DATA_DIR) as (url, embedded):
        if args.seed_only:
            _seed(url)
            return 0
        if embedded:
            _seed(url)
        # The reloader's worker processes read the settings from the environment.
        os.environ["DATABASE_URL"] = url
        base = _browser_base(args.host, args.port)
        logger.info("database: {}", masked(url))
        logger.info("API docs: {}/docs (ReDoc: {}/redoc)", base, base)
        logger.info("OpenAPI document: {}{}/openapi.json", base, API_V1_PREFIX)
        logger.info("a bearer token for the docs' Authorize button: `make token`")
        uvicorn.run(
            "app.main:app",
            host=args.host,
            port=args.port,
            reload=True,
            reload_dirs=[str(ROOT / "app")],
            log_config=None,  # uvicorn's lines go through the logging set up above
            access_log=False,  # the app writes its own access line
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
