"""The apps under load: the service as production runs it, the reference, the Prisma peer.

Each runs as its own process tree (loopback only; uvicorn, or Node for the peer) in a
new session, so that stopping it reaches everything it started; with several workers
its CPU and memory are those of the whole tree. Cold start is the time from spawning
the process to the first healthy answer. The port is given on the command line or,
for Node, in PORT.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from scripts.bench import cpu

HOST = "127.0.0.1"
HEALTH_PATH = "/api/v1/utils/health-check"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


Command = Callable[[int], list[str]]  # the argv that serves on a port


def uvicorn_command(app_path: str, workers: int = 1) -> Command:
    """The production command line: no reload, loopback, `workers` processes."""

    def argv(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            app_path,
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]

    return argv


@dataclass
class AppProcess:
    """One app server process, started and stopped by the benchmark."""

    name: str
    command: Command
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    cold_start_s: float | None = None
    _log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def start(self) -> None:
        self._log = self.log_path.open("wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.command(self.port),
            env=self.env | {"PORT": str(self.port)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = started + START_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode} before answering; "
                    f"its output:\n{self.log_tail()}"
                )
            if self._healthy():
                self.cold_start_s = time.perf_counter() - started
                return
            time.sleep(0.01)
        raise RuntimeError(
            f"{self.name} did not answer {HEALTH_PATH} within {START_TIMEOUT_S:.0f} s"
        )

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=1)
        try:
            conn.request("GET", HEALTH_PATH)
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def cpu_s(self) -> float | None:
        """CPU seconds of the app's processes (a supervisor's and its workers')."""
        return cpu.tree_cpu_s(self.pid)

    def peak_rss_mb(self) -> float | None:
        """High-water marks of the resident memory of the app's processes (Linux), in MiB."""
        peaks = [_peak_rss_kib(pid) for pid in cpu.tree_pids(self.pid)]
        known = [peak for peak in peaks if peak is not None]
        return sum(known) / 1024 if known else None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT_S)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None


def _peak_rss_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None
