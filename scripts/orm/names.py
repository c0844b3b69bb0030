"""Python names for what Prisma names: safe for a generated module whatever Prisma allows.

One rule everywhere: a name Python or the libraries already use gets a trailing `_`
(`metadata` -> `metadata_`, enum member `replace` -> `replace_`, `class` -> `class_`);
Prisma's own name stays the value (enum members) or the column (fields).
"""

from __future__ import annotations

import builtins
import enum
import keyword
import re

import sqlalchemy
from sqlalchemy.dialects import postgresql
from sqlmodel import SQLModel

from app import prisma_defaults

# Attribute names SQLModel/pydantic/SQLAlchemy use themselves on every model class.
RESERVED_ATTRIBUTES = frozenset(dir(SQLModel)) | {"metadata", "registry"}
# A member called `replace` would hide str.replace on every member (and pyright refuses it).
RESERVED_MEMBERS = frozenset(dir(enum.StrEnum)) | frozenset(dir(str))
# Names a generated module may import or use: a class by one of these names would shadow it.
RESERVED_GLOBALS = (
    frozenset(dir(sqlalchemy))
    | frozenset(dir(postgresql))
    | frozenset(dir(builtins))
    | frozenset(dir(prisma_defaults))
    | {"enum", "datetime", "decimal", "uuid", "typing", "Any", "Optional", "JsonValue"}
    | {"sqlmodel", "Field", "Relationship", "SQLModel", "metadata"}
)


def safe_attribute(name: str) -> str:
    """A Prisma field name usable as a model attribute (`metadata` -> `metadata_`)."""
    if keyword.iskeyword(name) or name in RESERVED_ATTRIBUTES:
        return name + "_"
    return name


def safe_class_name(name: str) -> str:
    """A Prisma enum or view name usable as a module-level class (`Enum` -> `Enum_`)."""
    if keyword.iskeyword(name) or name in RESERVED_GLOBALS:
        return name + "_"
    return name


def enum_member_name(name: str, taken: set[str]) -> str:
    """A `StrEnum` member name for `name` (a Prisma value name, or a database label when
    there is no schema), distinct from the names in `taken`."""
    member = re.sub(r"\W", "_", name) or "EMPTY"
    if member[0].isdigit():
        member = "_" + member
    if member.startswith("_") and member.endswith("_"):
        member = "v" + member  # _sunder_ and __dunder__ names are the enum module's own
    while keyword.iskeyword(member) or member in RESERVED_MEMBERS or member in taken:
        member += "_"
    return member
