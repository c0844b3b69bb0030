"""A private PostgreSQL cluster with contrib extensions (pgcrypto, pg_trgm), for schemas
the embedded server cannot hold.

Uses the machine's PostgreSQL binaries (Debian's `postgresql` package: `pg_config
--bindir`, or /usr/lib/postgresql/*/bin), listens on a unix socket in a temporary
folder only, and runs as a non-root user because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Unavailable(RuntimeError):
    """No usable server: the message says why (the test skips with it)."""


def _pg_config(flag: str) -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    done = subprocess.run([pg_config, flag], capture_output=True, text=True, check=False)  # noqa: S603
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def find_binaries() -> Path:
    """The folder holding initdb and pg_ctl of a PostgreSQL that ships contrib."""
    candidates = [_pg_config("--bindir")]
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for bindir in filter(None, candidates):
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            extensions = bindir.parent / "share" / "extension"
            debian_share = Path("/usr/share/postgresql") / bindir.parent.name / "extension"
            if any((d / "pgcrypto.control").is_file() for d in (extensions, debian_share)):
                return bindir
    raise Unavailable("no PostgreSQL with contrib extensions (install Debian's `postgresql`)")


def _run_as() -> list[str]:
    """Command prefix to drop root (PostgreSQL will not run as root)."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root and `runuser` is missing")
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return [runuser, "-u", user, "--"]
    raise Unavailable("running as root with neither a postgres nor a nobody user")


@contextmanager
def contrib_server() -> Iterator[str]:
    """Start a throwaway cluster; yield a URL to its `postgres` database; remove it."""
    bindir = find_binaries()
    prefix = _run_as()
    with tempfile.TemporaryDirectory(prefix="pg-contrib-") as tmp:
        folder = Path(tmp)
        if prefix:
            user = pwd.getpwnam(prefix[2])
            os.chown(folder, user.pw_uid, user.pw_gid)
        data = folder / "data"

        def run(*command: str) -> None:
            done = subprocess.run(  # noqa: S603  (binaries found above, fixed arguments)
                [*prefix, *command], capture_output=True, text=True, cwd=folder, check=False
            )
            if done.returncode != 0:
                raise Unavailable(f"{Path(command[0]).name} failed: {done.stderr.strip()}")

        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
        options = f"-k {folder} -c listen_addresses='' -c fsync=off"
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(folder / "log"),
            "start",
        )
        try:
            yield f"postgresql://postgres@/postgres?host={folder}"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
