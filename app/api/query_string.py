"""The raw query string read the way the npm package `qs` writes nested objects:
`where[title][contains]=intro`, `where[OR][0][title]=a`, `where[id][in][0]=a` or
`where[id][in][]=a`, keys and values percent-encoded or not. A key without `=` is null
(`qs.stringify(q, { strictNullHandling: true })`); `key=` is the empty string. Bounded in
length, number of pairs, nesting and list indices, so no query string costs more than a
few thousand steps."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

MAX_LENGTH = 16_384
MAX_PAIRS = 512
MAX_SEGMENTS = 12  # brackets in one key
MAX_INDEX = 999

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class QueryStringError(ValueError):
    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _path(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not head:
        raise QueryStringError((key,), "A query parameter needs a name before its brackets")
    if not bracket:
        return [head]
    rest = "[" + rest
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest:
        raise QueryStringError((head,), f"Malformed brackets in {key!r}: write name[a][b]=value")
    if len(segments) > MAX_SEGMENTS:
        raise QueryStringError((head,), f"Nested too deeply: at most {MAX_SEGMENTS} brackets")
    return [head, *segments]


def _listed(node: Any) -> Any:
    """Objects whose keys are all list indices become lists, in index order (as qs does)."""
    if type(node) is not dict:
        return node
    if node and all(type(key) is int for key in node):
        return [_listed(node[key]) for key in sorted(node)]
    return {str(key): _listed(value) for key, value in node.items()}


def _decoded(text: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    return unquote_plus(text, errors="strict")


def parse(query_string: bytes | str) -> dict[str, Any]:
    """Nested dicts, lists and strings (None for a bare key). QueryStringError, located
    at the parameter, for what no `qs` writes or what exceeds a bound."""
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    if len(text) > MAX_LENGTH:
        raise QueryStringError((), f"The query string is too long: at most {MAX_LENGTH} characters")
    pairs = [pair for pair in text.split("&") if pair]
    if len(pairs) > MAX_PAIRS:
        raise QueryStringError((), f"Too many query parameters: at most {MAX_PAIRS}")
    root: dict[Any, Any] = {}
    for pair in pairs:
        raw_key, equals, raw_value = pair.partition("=")
        try:
            key = _decoded(raw_key)
            value = _decoded(raw_value) if equals else None
        except UnicodeDecodeError:
            raise QueryStringError(
                (raw_key,), "The query string is not UTF-8 percent-encoded"
            ) from None
        if "\x00" in key or (value is not None and "\x00" in value):
            # PostgreSQL's text cannot hold NUL: refused here, located, not by the database.
            raise QueryStringError((key.partition("[")[0],), "NUL characters are not allowed")
        path = _path(key)
        node = root
        loc: tuple[str | int, ...] = ()
        for depth, segment in enumerate(path):
            last = depth == len(path) - 1
            step: Any = segment
            if depth and (segment == "" or segment.isdigit()):
                step = (
                    int(segment)
                    if segment
                    else max((k for k in node if isinstance(k, int)), default=-1) + 1
                )
                if step > MAX_INDEX:
                    raise QueryStringError(loc, f"List index too large: at most {MAX_INDEX}")
            loc = (*loc, step)
            if last:
                if step not in node:
                    node[step] = value
                elif isinstance(node[step], list):
                    node[step].append(value)
                elif isinstance(node[step], dict):
                    raise QueryStringError(loc, "Given both as a value and as an object")
                else:
                    node[step] = [node[step], value]  # a repeated key: a list, as qs reads it
            else:
                child = node.setdefault(step, {})
                if not isinstance(child, dict):
                    raise QueryStringError(loc, "Given both as a value and as an object")
                node = child
    return _listed(root)
