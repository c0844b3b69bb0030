"""Prisma `@default(...)` values as Python source for the generated models."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scripts.orm.dmmf import PrismaField


class UnmappableDefault(ValueError):
    """A Prisma default the generator does not know how to reproduce in Python."""


@dataclass(frozen=True)
class PythonDefault:
    """How a field gets its value when Python code does not set it.

    `field` is the keyword for SQLModel's `Field()` ("default" or "default_factory") and
    `source` its value as code; `column_default` is set for values Prisma's client
    makes (ids, `@updatedAt`), so Core `insert()` statements get them as well.
    `imports` are (module, name) pairs the source needs; an empty module means
    `import name`.
    """

    field: str
    source: str
    column_default: str | None = None
    imports: tuple[tuple[str, str], ...] = ()


_RUNTIME = "app.prisma_defaults"

# @default(fn(args)) -> function in app/prisma_defaults.py, keyed by (name, args).
_ID_FUNCTIONS: dict[tuple[str, tuple[Any, ...]], str] = {
    ("cuid", ()): "cuid",
    ("cuid", (1,)): "cuid",
    ("cuid", (2,)): "cuid2_id",
    ("uuid", ()): "uuid4",
    ("uuid", (4,)): "uuid4",
    ("uuid", (7,)): "uuid7",
    ("ulid", ()): "ulid_id",
    ("nanoid", ()): "nanoid",
}


def _runtime(name: str) -> PythonDefault:
    return PythonDefault("default_factory", name, name, ((_RUNTIME, name),))


def now_default(timezone: bool, on_update: bool) -> PythonDefault:
    name = "now_tz" if timezone else "now"
    return PythonDefault("default_factory", name, name if on_update else None, ((_RUNTIME, name),))


def python_default(
    field: PrismaField, enum_member: Callable[[str], str], timezone: bool
) -> PythonDefault | None:
    """The Python-side default for `field`, or None when the database makes the value.

    `enum_member` turns a Prisma enum value name into the code of its member."""
    if field.is_updated_at:
        return now_default(timezone, on_update=True)
    call = field.default_call
    if call is not None:
        name, args = call
        if name == "now":
            return now_default(timezone, on_update=False)
        if name in ("autoincrement", "dbgenerated", "sequence"):
            return None
        if name == "nanoid" and args:
            source = f"lambda: nanoid({int(args[0])})"
            return PythonDefault("default_factory", source, source, ((_RUNTIME, "nanoid"),))
        function = _ID_FUNCTIONS.get((name, tuple(args)))
        if function is None:
            raise UnmappableDefault(f"@default({name}({', '.join(map(str, args))}))")
        return _runtime(function)
    if not field.has_default:
        return None
    return _literal(field, field.default, enum_member)


def _literal(field: PrismaField, value: Any, enum_member: Callable[[str], str]) -> PythonDefault:
    if field.is_list:
        if not isinstance(value, list):
            raise UnmappableDefault(f"list default {value!r}")
        if not value:
            return PythonDefault("default_factory", "list")
        items, imports = zip(*(_scalar(field, v, enum_member) for v in value), strict=True)
        merged = tuple(sorted({i for group in imports for i in group}))
        return PythonDefault("default_factory", f"lambda: [{', '.join(items)}]", None, merged)
    source, imports = _scalar(field, value, enum_member)
    if field.type == "Json":
        parsed = json.loads(value) if isinstance(value, str) else value
        if parsed == {}:
            return PythonDefault("default_factory", "dict")
        if parsed == []:
            return PythonDefault("default_factory", "list")
        if isinstance(parsed, dict | list):
            return PythonDefault("default_factory", f"lambda: {source}", None, imports)
    return PythonDefault("default", source, None, imports)


def _scalar(
    field: PrismaField, value: Any, enum_member: Callable[[str], str]
) -> tuple[str, tuple[tuple[str, str], ...]]:
    kind = field.type
    if field.kind == "enum":
        return enum_member(str(value)), ()
    if kind == "String":
        return repr(str(value)), ()
    if kind == "Boolean":
        return repr(bool(value)), ()
    if kind in ("Int", "BigInt"):
        return repr(int(value)), ()
    if kind == "Float":
        return repr(float(value)), ()
    if kind == "Decimal":
        return f"decimal.Decimal({str(Decimal(str(value)))!r})", (("", "decimal"),)
    if kind == "DateTime":
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return repr(moment), (("", "datetime"),)
    if kind == "Json":
        parsed = json.loads(value) if isinstance(value, str) else value
        return repr(parsed), ()
    if kind == "Bytes":
        return repr(base64.b64decode(str(value))), ()
    raise UnmappableDefault(f"default {value!r} for a {kind} field")
