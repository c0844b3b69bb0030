"""Sampling the service under load with py-spy, and reading the samples.

py-spy attaches to the running worker (no change to the service, no restart) and
writes collapsed stacks ("frame;frame;... count" per line). Only samples taken
while a thread holds the GIL are kept (`--gil`): that is where the worker's one
core goes; an event loop waiting in epoll or an idle thread-pool thread is not.
The summary splits the samples by the package whose code was running (self time,
sums to 100%), by package including what it calls (inclusive), and lists the
functions of the app and the hottest functions overall.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SAMPLE_RATE = 200  # per second
TOP = 25
# "function (path/to/file.py:123)"
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise RuntimeError("py-spy is not installed (it is a dev dependency: `uv sync`)")
    return found


@contextmanager
def sampling(pid: int, output: Path, duration_s: int) -> Iterator[None]:
    """Sample process `pid` while the block runs (at most `duration_s` + 5 s)."""
    recorder = subprocess.Popen(  # noqa: S603 - py-spy with our own arguments
        [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(SAMPLE_RATE),
            "--duration",
            str(duration_s + 5),
            "--gil",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield
    finally:
        # py-spy stops by itself at the end of --duration and writes its file then.
        _, stderr = recorder.communicate(timeout=duration_s + 60)
        if recorder.returncode != 0 or not output.exists():
            raise RuntimeError(f"py-spy failed: {stderr.decode(errors='replace').strip()}")


def package_of(path: str) -> str:
    """Who owns a frame's file: 'sqlalchemy', 'app/crud', 'asyncio', ...

    py-spy names files relative to their import root ('sqlalchemy/orm/session.py').
    """
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    if path.startswith("app/"):
        return path.removesuffix(".py")
    return path.split("/", 1)[0].removesuffix(".py")


def parse(text: str) -> list[tuple[list[str], int]]:
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def _function(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    short = file.split("site-packages/", 1)[1] if "site-packages/" in file else file
    return f"{match['func']} ({short})"


# Packages every sample runs under (the server's entry points): no information.
_ENTRY_PACKAGES = {"<frozen runpy>", "click", "uvicorn", "asyncio", "runpy"}


def summarize(output: Path) -> dict[str, Any]:
    """Shares of all samples: self and inclusive by package, app functions, hottest functions."""
    stacks = parse(output.read_text())
    total = sum(count for _, count in stacks) or 1
    self_package: Counter[str] = Counter()
    inclusive_package: Counter[str] = Counter()
    app_functions: Counter[str] = Counter()
    self_function: Counter[str] = Counter()
    for frames, count in stacks:
        files = [(m["file"] if (m := _FRAME.match(frame)) else "?") for frame in frames]
        self_package[package_of(files[-1])] += count
        self_function[_function(frames[-1])] += count
        for package in {package_of(file) for file in files} - _ENTRY_PACKAGES:
            inclusive_package[package] += count
        # Once per sample, even when a function is on the stack more than once.
        app = {
            _function(f) for f, file in zip(frames, files, strict=True) if file.startswith("app/")
        }
        for function in app:
            app_functions[function] += count

    def shares(counter: Counter[str]) -> dict[str, float]:
        return {k: round(v / total, 4) for k, v in counter.most_common(TOP)}

    return {
        "samples": total,
        "self_by_package": shares(self_package),
        "inclusive_by_package": shares(inclusive_package),
        "inclusive_by_app_function": shares(app_functions),
        "self_by_function": shares(self_function),
    }


_SECTIONS = {
    "self_by_package": "self time by package",
    "inclusive_by_package": "inclusive time by package (with what it calls)",
    "inclusive_by_app_function": "inclusive time by app function",
    "self_by_function": "self time by function",
}


def render(summary: dict[str, Any]) -> list[str]:
    lines = [f"  {summary['samples']} samples with the GIL held"]
    for key, title in _SECTIONS.items():
        lines.append(f"  {title}:")
        lines += [f"    {share:6.1%}  {name}" for name, share in summary[key].items()]
    return lines
