"""Just enough of Docker's file formats to check the build without a Docker engine:
the Dockerfile's stages and instructions, and .dockerignore's matching rules."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass
class Instruction:
    keyword: str
    flags: dict[str, list[str]]  # `--mount` may come several times
    args: list[str]  # shell words, or the JSON array of the exec form


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """ENV values, `${NAME}` left as written."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in instruction.args:
                name, _, value = word.partition("=")
                values[name] = value
        return values


def parse_dockerfile(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for line in _logical_lines(path.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "HEALTHCHECK" and " CMD " in f" {rest} ":
            # Options, then CMD and the command in either form.
            options, _, command = f" {rest} ".partition(" CMD ")
            probe = parse_instruction_args(command.strip())[1]
            flags = _flags(shlex.split(options))
            stages[-1].instructions.append(Instruction(keyword, flags, ["CMD", *probe]))
            continue
        flags, args = parse_instruction_args(rest)
        if keyword == "FROM":
            name = args[2] if len(args) == 3 and args[1].upper() == "AS" else None
            stages.append(Stage(base=args[0], name=name))
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, flags, args))
    return stages


def parse_instruction_args(rest: str) -> tuple[dict[str, list[str]], list[str]]:
    """The instruction's own leading `--name=value` options, then the exec form (JSON)
    or shell words."""
    if rest.startswith("["):
        return {}, json.loads(rest)
    words = shlex.split(rest)
    leading = 0
    while leading < len(words) and words[leading].startswith("--"):
        leading += 1
    return _flags(words[:leading]), words[leading:]


def _logical_lines(text: str) -> list[str]:
    lines, pending = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
        else:
            lines.append(pending + stripped)
            pending = ""
    return lines


def _flags(words: Iterable[str]) -> dict[str, list[str]]:
    flags: dict[str, list[str]] = {}
    for word in words:
        name, _, value = word[2:].partition("=")
        flags.setdefault(name, []).append(value)
    return flags


def bind_mount_sources(instruction: Instruction) -> list[str]:
    """Build-context files a `RUN --mount=type=bind,source=...` reads."""
    sources = []
    for mount in instruction.flags.get("mount", []):
        options: dict[str, str] = {}
        for part in mount.split(","):
            name, _, value = part.partition("=")
            options[name] = value
        if options.get("type") == "bind" and "from" not in options:
            sources.append(options["source"])
    return sources


class DockerIgnore:
    """Docker's rules: later patterns win, `!` re-includes, a match on a folder covers
    what is inside it, `*` stays within one path segment and `**` crosses them."""

    def __init__(self, path: Path) -> None:
        self.rules: list[tuple[re.Pattern[str], bool]] = []
        for line in path.read_text().splitlines():
            pattern = line.strip()
            if not pattern or pattern.startswith("#"):
                continue
            included = pattern.startswith("!")
            pattern = pattern.lstrip("!").strip("/")
            self.rules.append((re.compile(_glob_to_regex(pattern)), included))

    def excludes(self, relative: str) -> bool:
        parts = PurePosixPath(relative).parts
        excluded = False
        for regex, included in self.rules:
            if any(regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
                excluded = not included
        return excluded


def _glob_to_regex(pattern: str) -> str:
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            regex, i = regex + pattern[i : end + 1], end + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return regex
