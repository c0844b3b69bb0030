"""Sampling the service under load with py-spy, and reading the samples.

py-spy attaches to the running worker (no change to the service, no restart) and
writes collapsed stacks ("frame;frame;... count" per line). The summary splits
the samples two ways: by the package whose code was running (self time, sums to
100%), and by the functions most time was spent under (inclusive time).
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
    """Who owns a frame's file: 'sqlalchemy', 'app/crud', 'stdlib:asyncio', ..."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/app/" in path or path.startswith("app/"):
        return "app/" + path.split("app/", 1)[1].removesuffix(".py")
    if "/python3." in path:
        rest = path.split("/python3.", 1)[1].split("/", 1)
        if len(rest) > 1:
            return "stdlib:" + rest[1].split("/", 1)[0].removesuffix(".py")
    return path


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


def summarize(output: Path) -> dict[str, Any]:
    """Self time by package and inclusive time by function, as shares of all samples."""
    stacks = parse(output.read_text())
    total = sum(count for _, count in stacks) or 1
    by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        leaf = _FRAME.match(frames[-1])
        by_package[package_of(leaf["file"]) if leaf else "?"] += count
        for function in {_function(frame) for frame in frames}:
            inclusive[function] += count
    return {
        "samples": total,
        "self_by_package": {k: round(v / total, 4) for k, v in by_package.most_common(TOP)},
        "inclusive_by_function": {k: round(v / total, 4) for k, v in inclusive.most_common(TOP)},
    }


def render(summary: dict[str, Any]) -> list[str]:
    lines = [f"  {summary['samples']} samples; self time by package:"]
    lines += [f"    {share:6.1%}  {name}" for name, share in summary["self_by_package"].items()]
    lines.append("  inclusive time by function:")
    lines += [
        f"    {share:6.1%}  {name}" for name, share in summary["inclusive_by_function"].items()
    ]
    return lines
