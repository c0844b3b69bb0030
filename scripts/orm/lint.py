"""Generated code that passes the project's own ruff settings.

ruff fixes and formats the code; string literals that ruff cannot wrap (server defaults
such as `ARRAY['core'::text, ...]`, CHECK and partial-index clauses, comments) are split
into implicitly concatenated pieces, which it can. A line still too long after that gets
its own `noqa: E501`, explained once at the top of the file; any other finding stops
generation.
"""

from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterator

from scripts.env import ROOT

# Enum members such as PASSWORD_RESET = "PASSWORD_RESET" look like passwords to bandit.
ALLOWED_LINT = {"S105"}
PIECE = 60  # characters of a split literal per piece
UNSPLITTABLE = (
    "# Lines marked `noqa: E501` hold a literal from the database that cannot be split.\n"
)


class LintError(RuntimeError):
    """The generated code fails the project's lint in a way the generator cannot fix."""


def _run_ruff(args: list[str], source: str, filename: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (fixed command; the code comes on stdin)
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def _ruff_output(args: list[str], source: str, filename: str) -> str:
    done = _run_ruff(args, source, filename)
    if done.returncode != 0:
        raise LintError(f"ruff cannot process the generated code:\n{done.stderr}")
    return done.stdout


def _fix_and_format(source: str, filename: str) -> str:
    fixed = _ruff_output(["check", "--fix-only", "--exit-zero", "--quiet"], source, filename)
    return _ruff_output(["format", "--quiet"], fixed, filename)


def _findings(source: str, filename: str) -> list[tuple[str, int]]:
    """(rule code, line number) of each ruff finding."""
    done = _run_ruff(["check", "--output-format", "json", "--exit-zero"], source, filename)
    return [(f["code"], f["location"]["row"]) for f in json.loads(done.stdout or "[]")]


def _long_lines(findings: list[tuple[str, int]]) -> set[int]:
    return {row for code, row in findings if code == "E501"}


def _pieces(value: str) -> list[str]:
    """`value` cut into pieces of about PIECE characters, after spaces where possible."""
    pieces: list[str] = []
    while len(value) > PIECE:
        cut = value.rfind(" ", PIECE // 2, PIECE) + 1 or PIECE
        pieces.append(value[:cut])
        value = value[cut:]
    return [*pieces, value] if value else pieces


def _strings(line: str) -> Iterator[tokenize.TokenInfo]:
    """The string tokens of one line of code (tokenized alone: the whole file is slow)."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.STRING:
                yield token
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return  # the line ends inside brackets or a docstring: what came before is enough


def split_long_literals(source: str, rows: set[int]) -> str:
    """Split the plain string literals on `rows` (1-based) that are longer than a piece."""
    lines = source.splitlines(keepends=True)
    for row in rows:
        line = lines[row - 1]
        for token in reversed(list(_strings(line))):
            if re.match(r"[A-Za-z]*[fFbB]", token.string) or len(token.string) <= PIECE:
                continue
            value = ast.literal_eval(token.string)
            split = "(" + " ".join(repr(piece) for piece in _pieces(value)) + ")"
            line = line[: token.start[1]] + split + line[token.end[1] :]
        lines[row - 1] = line
    return "".join(lines)


def lint_clean(source: str, filename: str) -> str:
    """`source` fixed, formatted and free of ruff findings (see the module docstring)."""
    source = _fix_and_format(source, filename)
    findings = _findings(source, filename)
    for _ in range(3):
        rows = _long_lines(findings)
        split = split_long_literals(source, rows) if rows else source
        if split == source:
            break
        source = _fix_and_format(split, filename)  # the fix drops needless parentheses
        findings = _findings(source, filename)
    long_rows = _long_lines(findings)
    codes = {code for code, _ in findings} - {"E501"}
    if codes - ALLOWED_LINT:
        raise LintError(
            f"the generated {filename} fails ruff ({', '.join(sorted(codes))}):\n"
            + _run_ruff(["check", "--exit-zero"], source, filename).stdout
        )
    if long_rows:
        lines = source.splitlines(keepends=True)
        for row in long_rows:
            lines[row - 1] = lines[row - 1].rstrip("\n") + "  # noqa: E501\n"
        source = "".join(lines)
    silenced = f"# ruff: noqa: {', '.join(sorted(codes))}\n" if codes else ""
    preamble = silenced + (UNSPLITTABLE if long_rows else "")
    if preamble:
        docstring_end = source.index('"""\n', 3) + 4
        source = source[:docstring_end] + "\n" + preamble + source[docstring_end:]
    return source
