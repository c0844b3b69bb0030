"""Load generation with wrk, and what one run of it measured.

wrk (an established C load generator, with LuaJIT scripting) is installed with
apt-get when it is missing and this process may do so; otherwise the benchmark
stops and says how to install it.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).with_name("wrk.lua")
RESULT_PREFIX = "BENCH_RESULT "
WRK_TIMEOUT_S = 5  # a request slower than this counts as an error


class LoadGeneratorMissing(RuntimeError):
    pass


def ensure_wrk() -> str:
    """Path of wrk, installing Debian's package first when root on a Debian-like system."""
    found = shutil.which("wrk")
    if found:
        return found
    apt_get = shutil.which("apt-get")
    if apt_get and os.geteuid() == 0:
        print("wrk not found: installing it with apt-get", flush=True)
        install = [apt_get, "install", "-y", "-qq", "wrk"]
        if not (_quietly(install) and shutil.which("wrk")):  # stale package lists: refresh
            _quietly([apt_get, "update", "-qq"])
            _quietly(install)
        found = shutil.which("wrk")
        if found:
            return found
    raise LoadGeneratorMissing(
        "the benchmark needs the HTTP load generator wrk, and it could not be installed here. "
        "Install it (Debian/Ubuntu: `sudo apt-get install wrk`; macOS: `brew install wrk`) "
        "and run `make bench` again."
    )


def _quietly(argv: list[str]) -> bool:
    done = subprocess.run(argv, capture_output=True, check=False)  # noqa: S603 - apt-get
    return done.returncode == 0


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run measured."""

    requests: int
    duration_s: float
    non_2xx: int
    socket_errors: int
    timeouts: int
    p50_ms: float
    p99_ms: float
    app_cpu_s: float | None = None  # CPU the app's worker spent during the run
    db_cpu_s: float | None = None  # CPU PostgreSQL spent during the run
    db_sessions: int | None = None  # database connections opened during the run
    db_held: int | None = None  # database connections the app holds after the run

    @classmethod
    def from_output(cls, stdout: str) -> WrkRun:
        for line in stdout.splitlines():
            if line.startswith(RESULT_PREFIX):
                raw = json.loads(line.removeprefix(RESULT_PREFIX))
                return cls(
                    requests=raw["requests"],
                    duration_s=raw["duration_us"] / 1e6,
                    non_2xx=raw["non_2xx"],
                    socket_errors=raw["socket_errors"],
                    timeouts=raw["timeouts"],
                    p50_ms=raw["p50_us"] / 1000,
                    p99_ms=raw["p99_us"] / 1000,
                )
        raise RuntimeError(f"wrk printed no result line; its output:\n{stdout}")


@dataclass(frozen=True)
class Summary:
    """Several runs of one endpoint on one app, taken together."""

    runs: int
    requests: int
    rps: float
    p50_ms: float  # median over the runs
    p99_ms: float  # median over the runs
    non_2xx: int
    errors: int  # socket errors and timeouts
    app_cpu_ms_per_req: float | None
    db_cpu_ms_per_req: float | None
    db_sessions: int | None  # connections opened to the database, all runs together
    db_held: int | None  # connections the app held after a run, at most

    @classmethod
    def of(cls, runs: list[WrkRun]) -> Summary:
        total = sum(r.requests for r in runs)
        requests = total or 1  # per-request figures of a run with none
        app_cpu = [r.app_cpu_s for r in runs]
        db_cpu = [r.db_cpu_s for r in runs]
        return cls(
            runs=len(runs),
            requests=total,
            rps=total / sum(r.duration_s for r in runs),
            p50_ms=statistics.median(r.p50_ms for r in runs),
            p99_ms=statistics.median(r.p99_ms for r in runs),
            non_2xx=sum(r.non_2xx for r in runs),
            errors=sum(r.socket_errors + r.timeouts for r in runs),
            app_cpu_ms_per_req=_per_request(app_cpu, requests),
            db_cpu_ms_per_req=_per_request(db_cpu, requests),
            db_sessions=None
            if any(r.db_sessions is None for r in runs)
            else sum(r.db_sessions or 0 for r in runs),
            db_held=None
            if any(r.db_held is None for r in runs)
            else max(r.db_held or 0 for r in runs),
        )


def _per_request(seconds: list[float | None], requests: int) -> float | None:
    if any(s is None for s in seconds):
        return None
    return sum(s for s in seconds if s is not None) * 1000 / requests


@dataclass(frozen=True)
class LoadSpec:
    """How to load one endpoint: the URL and the wrk.lua mode (see wrk.lua)."""

    url: str
    mode: str = "path"
    ids_file: Path | None = None


def run_wrk(
    wrk: str,
    spec: LoadSpec,
    *,
    token: str,
    run_tag: str,
    duration_s: int,
    connections: int,
    threads: int,
) -> WrkRun:
    host = urllib.parse.urlsplit(spec.url).hostname
    if host != "127.0.0.1":  # loopback only, whatever the caller passes
        raise ValueError(f"refusing to load a non-loopback address: {host}")
    env = os.environ | {"BENCH_MODE": spec.mode, "BENCH_TOKEN": token, "BENCH_RUN": run_tag}
    if spec.ids_file is not None:
        env["BENCH_IDS"] = str(spec.ids_file)
    argv = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration_s}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        f"--script={LUA_SCRIPT}",
        spec.url,
    ]
    done = subprocess.run(  # noqa: S603 - wrk with our own arguments
        argv, env=env, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return WrkRun.from_output(done.stdout)
