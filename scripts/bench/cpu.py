"""CPU time spent by a process (and by PostgreSQL), read from /proc.

On a shared machine req/s moves with whatever else runs; the CPU time an app
spends per request barely does. Linux only: elsewhere the figures are None.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return raw.rsplit(")", 1)[1].split()


def process_cpu_s(pid: int, *, with_reaped_children: bool = False) -> float | None:
    """User + system seconds of `pid`; with its waited-for children's when asked."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # After the command name: state is fields[0]; utime, stime, cutime, cstime are 11..14.
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def parent_pid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def tree_pids(pid: int) -> list[int]:
    """`pid` and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = parent_pid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_cpu_s(pid: int) -> float | None:
    """User + system seconds of `pid` and its live descendants (a server's workers)."""
    own = process_cpu_s(pid)
    if own is None:
        return None
    return own + sum(process_cpu_s(child) or 0.0 for child in tree_pids(pid)[1:])


def postmaster_of(backend: int) -> int | None:
    """The local PostgreSQL server process that runs `backend`, if it is on this machine."""
    parent = parent_pid(backend)
    try:
        name = Path(f"/proc/{parent}/comm").read_text().strip()
    except OSError:
        return None
    return parent if "postgres" in name or "postmaster" in name else None


def server_cpu_s(postmaster: int | None) -> float | None:
    """CPU seconds of a PostgreSQL server: postmaster, live backends and exited ones."""
    if postmaster is None:
        return None
    total = process_cpu_s(postmaster, with_reaped_children=True)
    if total is None:
        return None
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_pid(int(entry.name)) == postmaster:
            total += process_cpu_s(int(entry.name)) or 0.0
    return total
