"""The Prisma peer for `make bench`: prisma_peer/server.mjs on a generated Prisma Client.

What a Next.js team would run instead of calling the service: Prisma Client 7 over
`@prisma/adapter-pg`, with the service's duties (see server.mjs). Its npm packages
are pinned by prisma_peer/package-lock.json and installed on first use.
"""

from __future__ import annotations

from pathlib import Path

from app.core.dburl import libpq_url
from scripts.bench.apps import Command
from scripts.env import EXAMPLE_PRISMA
from scripts.prisma_client import node_env, node_tool, prepare_client

PEER_PROJECT = Path(__file__).resolve().with_name("prisma_peer")


def peer_command() -> Command:
    """The peer's command line (it takes its port from PORT), its client generated
    from the example schema first. Raises NodeUnavailable when node or npm cannot run."""
    argv = [
        node_tool("node"),
        str(PEER_PROJECT / "server.mjs"),
        str(prepare_client(PEER_PROJECT, EXAMPLE_PRISMA / "schema.prisma")),
    ]
    return lambda _port: argv


def peer_env(
    database_url: str, secret_key: str, *, workers: int, pool_size: int, application_name: str
) -> dict[str, str]:
    """`workers` processes behind node:cluster, each with a pool of `pool_size` connections."""
    return node_env(
        DATABASE_URL=libpq_url(database_url),
        SECRET_KEY=secret_key,
        PEER_WORKERS=str(workers),
        PEER_POOL_SIZE=str(pool_size),
        PEER_APPLICATION_NAME=application_name,
    )
