"""Prisma Client 7 as the tests' oracle: what the Next.js side would get for the same query.

`start_oracle(database_url)` generates a Prisma Client from a schema (the example's by
default), starts `oracle.mjs` on it over `@prisma/adapter-pg`, and yields a
`PrismaOracle` whose `query("Page", "findMany", {...})` returns Prisma's answer as a
Next.js route would send it (see oracle.mjs). The npm packages are pinned by this
folder's package-lock.json and installed on first use; generated clients are kept
under generated/, one per schema text.
"""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from app.core.dburl import libpq_url
from scripts.prisma_client import node_env, node_tool, prepare_client

PROJECT = Path(__file__).resolve().parent
EXAMPLE_SCHEMA = PROJECT.parents[1] / "prisma" / "schema.prisma"


class PrismaError(RuntimeError):
    """Prisma Client refused the query; `code` is Prisma's (P2002...) when it gave one."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


def tagged(value: Any) -> Any:
    """Arguments in oracle.mjs's form: datetimes, Decimals and bytes as tagged objects."""
    if isinstance(value, datetime):
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return {"$date": utc.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {key: tagged(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [tagged(item) for item in value]
    return value


class PrismaOracle:
    """One running oracle.mjs; queries are answered one at a time, in order."""

    def __init__(self, process: subprocess.Popen[str], errors: IO[str]) -> None:
        self._process = process
        self._errors = errors

    def query(self, model: str, method: str, args: dict[str, Any] | None = None) -> Any:
        """Prisma's `prisma.<model>.<method>(args)`, as JSON; PrismaError when it refuses.

        Naive datetimes are taken as UTC (as Prisma stores them); tag a BigInt beyond
        2**53 yourself as {"$bigint": "..."}.
        """
        assert self._process.stdin is not None and self._process.stdout is not None
        request = {"model": model, "method": method, "args": tagged(args or {})}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            self._errors.seek(0)
            raise RuntimeError(f"the Prisma oracle stopped:\n{self._errors.read()[-4000:]}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise PrismaError(answer["error"], answer["code"])
        return answer["result"]


@contextmanager
def start_oracle(database_url: str, schema: Path = EXAMPLE_SCHEMA) -> Iterator[PrismaOracle]:
    """Prisma Client for `schema` over `database_url` (libpq URLs, unix sockets included)."""
    client = prepare_client(PROJECT, schema)
    env = node_env(DATABASE_URL=libpq_url(database_url))
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(  # noqa: S603 - our own script
            [node_tool("node"), str(PROJECT / "oracle.mjs"), str(client)],
            cwd=PROJECT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            yield PrismaOracle(process, errors)
        finally:
            assert process.stdin is not None
            process.stdin.close()  # oracle.mjs disconnects and exits at the end of its input
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
