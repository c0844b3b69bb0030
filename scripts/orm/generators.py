"""sqlacodegen generators that make Prisma-faithful SQLModel code.

The database says what exists (tables, columns, types, constraints); Prisma's DMMF says
what things are called and what Prisma's client does that the database does not
(ids, `@updatedAt`, relation names and cardinality). Without a DMMF the generators fall
back to sqlacodegen's naming and record what they could not know in `notes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlacodegen.generators import SQLModelGenerator, TablesGenerator
from sqlacodegen.models import (
    ColumnAttribute,
    Model,
    ModelClass,
    RelationshipAttribute,
    RelationshipType,
)
from sqlacodegen.utils import get_column_names, get_common_fk_constraints, render_callable
from sqlalchemy import ARRAY, JSON, Column, Enum, ForeignKeyConstraint, Table, Uuid, inspect
from sqlalchemy.dialects.postgresql import DOMAIN, JSONB, TIMESTAMP
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import MetaData
from sqlalchemy.types import NullType, TypeEngine

from app.prisma_defaults import PrismaDateTime
from scripts.orm.dmmf import Datamodel, PrismaEnum, PrismaField, PrismaModel
from scripts.orm.names import enum_member_name, safe_attribute, safe_class_name
from scripts.orm.prisma_values import PythonDefault, UnmappableDefault, python_default

PRISMA_BOOKKEEPING = "_prisma_migrations"
SQLMODEL_NAMES = {"Field", "Relationship", "SQLModel"}


class MappingError(RuntimeError):
    """The database and the Prisma schema disagree, or a construct cannot be mapped."""


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


class _PrismaCommon(TablesGenerator):
    """Enums and column types shared by both generators (comes first in their bases)."""

    def __init__(
        self,
        metadata: MetaData,
        bind: Connection | Engine,
        options: Sequence[str],
        *,
        datamodel: Datamodel | None,
    ) -> None:
        super().__init__(metadata, bind, options)
        self.datamodel = datamodel
        self.default_schema = inspect(bind).default_schema_name or "public"
        self._prisma_enums: dict[str, PrismaEnum] = {}  # class name -> Prisma enum
        self._members: dict[str, list[EnumMember]] = {}  # class name -> members
        self.notes: list[str] = []
        self.migration: str | None = None
        # Extra keyword arguments for the Column being rendered (see render_column_callable).
        self._column_extras: dict[str, str] = {}

    def _prisma_model_of(self, table: Table) -> PrismaModel | None:
        """The Prisma model (or view) of a reflected table."""
        if self.datamodel is None:
            return None
        return self.datamodel.model_for_table(table.name, table.schema, self.default_schema)

    def render_column_callable(self, is_table: bool, *args: Any, **kwargs: Any) -> str:
        return super().render_column_callable(is_table, *args, **kwargs, **self._column_extras)

    def _enum_name_to_class_name(self, enum_name: str) -> str:
        prisma_enum = self.datamodel.enum_for_type(enum_name) if self.datamodel else None
        if self.datamodel is not None and prisma_enum is None:
            self.notes.append(f"enum type {enum_name!r} is not in the Prisma schema")
        name = prisma_enum.name if prisma_enum is not None else _pascal(enum_name)
        class_name = safe_class_name(name)
        if class_name != name:
            self.notes.append(f"enum {name} is class {class_name} (the name is taken in Python)")
        if prisma_enum is not None:
            self._prisma_enums[class_name] = prisma_enum
        return class_name

    def _enum_members(self, class_name: str) -> list[EnumMember]:
        """The members of an enum class in the database's label order: Prisma's value names
        (what Prisma's client speaks) as values, the database labels (`@map`) as labels."""
        if class_name in self._members:
            return self._members[class_name]
        labels = self.enum_values[class_name]
        prisma_enum = self._prisma_enums.get(class_name)
        if prisma_enum is None:
            names = {label: label for label in labels}
        else:
            names = {v.db_value: v.name for v in prisma_enum.values}
            unknown = [label for label in labels if label not in names]
            missing = [label for label in names if label not in labels]
            if unknown or missing:
                raise MappingError(
                    f"enum {prisma_enum.name} ({prisma_enum.db_type}) differs between the "
                    f"database and the Prisma schema: only in the database {unknown}, only "
                    f"in the schema {missing}. Apply the pending migrations or update the schema."
                )
        taken: set[str] = set()
        members = []
        for label in labels:
            value = names[label]
            member = enum_member_name(value if prisma_enum else value.upper(), taken)
            taken.add(member)
            if prisma_enum is not None and member != value:
                self.notes.append(
                    f"enum {prisma_enum.name}: value {value} is member {class_name}.{member} "
                    "(the name is taken in Python); its value stays " + repr(value)
                )
            members.append(EnumMember(member, value, label))
        self._members[class_name] = members
        return members

    def enum_member_ref(self, class_name: str, value: str) -> str:
        """`Class.member` for a Prisma value name (enum defaults)."""
        member = next(m.name for m in self._enum_members(class_name) if m.value == value)
        return f"{class_name}.{member}"

    def _render_enum_type(self, class_name: str, enum_type: Enum) -> str:
        """SQLAlchemy's Enum over the class: members bind as their database labels, and the
        labels read back as members."""
        self.add_import(Enum)
        members = self._enum_members(class_name)
        if all(m.value == m.label for m in members):
            labels = "lambda cls: [member.value for member in cls]"
        else:
            labels = f"lambda _: {[m.label for m in members]!r}"
        kwargs = {"values_callable": labels, "name": repr(enum_type.name)}
        if enum_type.schema is not None:
            kwargs["schema"] = repr(enum_type.schema)
        return render_callable("Enum", class_name, kwargs=kwargs)

    def render_column_type(self, column: Column[Any]) -> str:
        enum_class = self.enum_classes.get((column.table.name, column.name))
        if enum_class is not None and isinstance(column.type, Enum):
            return self._render_enum_type(enum_class, column.type)
        if (
            enum_class is not None
            and isinstance(column.type, ARRAY)
            and isinstance(column.type.item_type, Enum)
        ):
            self.add_import(ARRAY)
            dimensions = column.type.dimensions
            return render_callable(
                "ARRAY",
                self._render_enum_type(enum_class, column.type.item_type),
                kwargs={"dimensions": repr(dimensions)} if dimensions is not None else {},
            )
        if isinstance(column.type, JSON):
            # sqlacodegen cannot render JSON types whose astext_type is the default.
            self.add_import(column.type)
            return f"{column.type.__class__.__name__}(none_as_null=True)"
        if isinstance(column.type, DOMAIN):
            # The domain by name over its base type; its CHECK stays in the database.
            self.add_import(DOMAIN)
            data_type = column.type.data_type
            if getattr(data_type, "collation", None) == "default":
                data_type = data_type.__class__()
            base = self.render_column_type(Column(column.name, data_type))
            return f"DOMAIN({column.type.name!r}, {base})"
        if isinstance(column.type, Uuid) and not column.type.as_uuid:
            self.add_import(Uuid)
            return "Uuid(as_uuid=False)"
        return super().render_column_type(column)

    def render_module_variables(self, models: list[Model]) -> str:
        return "\n".join(
            filter(
                None, [_migration_constant(self.migration), super().render_module_variables(models)]
            )
        )

    def _prisma_type(self, column: Column[Any], field: PrismaField | None) -> TypeEngine[Any]:
        column_type = column.type
        if isinstance(column_type, JSONB):
            return JSONB(none_as_null=True)
        if isinstance(column_type, JSON):
            return JSON(none_as_null=True)
        if isinstance(column_type, TIMESTAMP) and not column_type.timezone:
            return PrismaDateTime(column_type.precision if column_type.precision is not None else 6)
        if isinstance(column_type, Uuid) and field is not None and field.type == "String":
            return Uuid(as_uuid=False)
        return column_type

    def render_enum_classes(self) -> str:
        if not self.enum_values:
            return ""
        self.add_module_import("enum")
        order = {e.name: i for i, e in enumerate(self.datamodel.enums)} if self.datamodel else {}

        def position(name: str) -> tuple[int, str]:
            prisma_enum = self._prisma_enums.get(name)
            return (order[prisma_enum.name] if prisma_enum else len(order), name)

        rendered = []
        for name in sorted(self.enum_values, key=position):
            members = "\n".join(f"    {m.name} = {m.value!r}" for m in self._enum_members(name))
            rendered.append(f"class {name}(enum.StrEnum):\n{members}")
        return "\n\n\n".join(rendered)


@dataclass(frozen=True)
class EnumMember:
    name: str  # the Python member
    value: str  # Prisma's name for it (the database label when there is no schema)
    label: str  # the database label (`@map`)


class PrismaSQLModelGenerator(_PrismaCommon, SQLModelGenerator):
    """Tables as SQLModel classes named and behaving as Prisma's client sees them."""

    def __init__(
        self,
        metadata: MetaData,
        bind: Connection | Engine,
        options: Sequence[str],
        *,
        datamodel: Datamodel | None,
    ) -> None:
        super().__init__(metadata, bind, [*options, "nojoined"], datamodel=datamodel)
        self._fields: dict[tuple[str, str], PrismaField] = {}  # (table, column) -> field
        self._prisma_models: dict[str, PrismaModel] = {}  # table -> model
        self._relation_fields: dict[int, PrismaField] = {}  # id(relationship) -> field
        self._defaults: dict[tuple[str, str], PythonDefault] = {}
        # id(relationship) on the side without the key (User.pages, User.profile).
        self._referenced_side: set[int] = set()
        # id(relationship) -> [(key column, referenced column)] where no foreign key exists.
        self._explicit_joins: dict[int, list[tuple[str, str]]] = {}
        # id(many-to-many relationship) -> (link table, its column for the source,
        # source, its column for the target, target) where a foreign key is missing.
        self._link_joins: dict[int, tuple[str, str, ModelClass, str, ModelClass]] = {}
        prisma_names = {m.name for m in datamodel.models} if datamodel else set()
        self._qualify_sqlmodel = bool(prisma_names & SQLMODEL_NAMES)
        if self._qualify_sqlmodel:
            self.base_class_name = "sqlmodel.SQLModel"

    # -- what to generate ---------------------------------------------------------------

    def should_ignore_table(self, table: Table) -> bool:
        return table.name == PRISMA_BOOKKEEPING or super().should_ignore_table(table)

    def fix_column_types(self, table: Table) -> None:
        super().fix_column_types(table)
        prisma_model = self._prisma_model_of(table)
        if prisma_model is not None:
            self._prisma_models[table.name] = prisma_model
            fields = prisma_model.scalar_by_column()
            for column in table.columns:
                field = fields.get(column.name)
                if field is None:
                    self.notes.append(
                        f"{table.name}.{column.name} is not a field of Prisma model "
                        f"{prisma_model.name} (Unsupported type?): named after the column"
                    )
                    continue
                self._fields[(table.name, column.name)] = field
            known = {c.name for c in table.columns}
            for column_name, field in fields.items():
                if column_name not in known:
                    raise MappingError(
                        f"{prisma_model.name}.{field.name} has no column {table.name}."
                        f"{column_name} in the database: apply the pending migrations"
                    )
        for column in table.columns:
            column.type = self._prisma_type(column, self._fields.get((table.name, column.name)))

    def generate_models(self) -> list[Model]:
        if self.datamodel is None:
            self.notes.append(
                "no Prisma schema: names come from the database; client-side defaults "
                "(cuid/uuid/@updatedAt) and relation names are unknown, so inserts must "
                "set those columns"
            )
            return super().generate_models()
        datamodel = self.datamodel
        implicit = self._implicit_relation_tables()
        models: dict[str, Model] = {}
        links: list[tuple[Model, str]] = []
        for table in sorted(self.metadata.tables.values(), key=lambda t: t.name):
            if table.name not in self._prisma_models and table.name in implicit:
                link = Model(table)
                links.append((link, implicit[table.name]))
                models[table.name] = link
                continue
            if table.name not in self._prisma_models:
                self.notes.append(f"table {table.name!r} is not in the Prisma schema")
            elif not table.primary_key.columns:
                self._key_on_prisma_identity(table, self._prisma_models[table.name])
            if not any(column.primary_key for column in table.columns):
                self.notes.append(f"table {table.name!r} has no primary key: a plain Table")
                models[table.name] = Model(table)
                continue
            model = ModelClass(table)
            model.columns = [ColumnAttribute(model, column) for column in table.columns]
            models[table.name] = model

        for table_name, prisma_model in self._prisma_models.items():
            source = models.get(table_name)
            if isinstance(source, ModelClass):
                for field in prisma_model.relation_fields():
                    if field.relation_from_fields:
                        self._add_relation(source, prisma_model, field, models)
        for link, relation_name in links:
            self._add_implicit_many_to_many(link, relation_name, models)

        order = {m.table: i for i, m in enumerate(datamodel.models)}
        ordered = sorted(
            models.values(),
            key=lambda m: (
                not isinstance(m, ModelClass),
                order.get(m.table.name, len(order)),
                m.table.name,
            ),
        )
        self.collect_imports(ordered)
        global_names = {name for names in self.imports.values() for name in names}
        for model in ordered:
            self.generate_model_name(model, global_names)
            global_names.add(model.name)
        return ordered

    def _implicit_relation_tables(self) -> dict[str, str]:
        """`_Name` -> relation name, for each implicit many-to-many relation in the DMMF
        (two list fields, neither holding the keys): the table Prisma makes for it,
        whatever foreign keys the database still has."""
        assert self.datamodel is not None
        sides: dict[str, list[PrismaField]] = {}
        for prisma_model in self.datamodel.models:
            for field in prisma_model.relation_fields():
                if field.relation_name and field.is_list and not field.relation_from_fields:
                    sides.setdefault(field.relation_name, []).append(field)
        return {f"_{name}": name for name, fields in sides.items() if len(fields) == 2}

    def _key_on_prisma_identity(self, table: Table, prisma_model: PrismaModel) -> None:
        """A model without `@id` is identified by a `@unique`/`@@unique` key: SQLAlchemy
        needs a key to map a class, so that one is marked as the primary key."""
        identity = prisma_model.identity_columns()
        for column in table.columns:
            column.primary_key = column.name in identity
        if identity:
            self.notes.append(
                f"model {prisma_model.name} has no @id: keyed on its unique ({', '.join(identity)})"
            )

    def _model_for(self, name: str, models: Mapping[str, Model]) -> tuple[PrismaModel, ModelClass]:
        assert self.datamodel is not None
        prisma_model = self.datamodel.model(name)
        model = models.get(prisma_model.table)
        if not isinstance(model, ModelClass):
            raise MappingError(f"table {prisma_model.table!r} of Prisma model {name} is missing")
        return prisma_model, model

    def _add_relation(
        self,
        source: ModelClass,
        prisma_model: PrismaModel,
        field: PrismaField,
        models: Mapping[str, Model],
    ) -> None:
        by_name = {f.name: f for f in prisma_model.fields}
        columns = [by_name[name].column for name in field.relation_from_fields]
        target_prisma, target = self._model_for(field.type, models)
        constraint = next(
            (
                c
                for c in source.table.foreign_key_constraints
                if sorted(get_column_names(c)) == sorted(columns)
                and c.referred_table is target.table
            ),
            None,
        )
        back = next(
            f
            for f in target_prisma.relation_fields()
            if f.relation_name == field.relation_name
            and f.type == prisma_model.name
            and f.name != field.name
            and not f.relation_from_fields
        )
        one_to_one = not back.is_list
        forward = RelationshipAttribute(
            RelationshipType.ONE_TO_ONE if one_to_one else RelationshipType.MANY_TO_ONE,
            source,
            target,
            constraint,
        )
        reverse = RelationshipAttribute(
            RelationshipType.ONE_TO_ONE if one_to_one else RelationshipType.ONE_TO_MANY,
            target,
            source,
            constraint,
            backref=forward,
        )
        forward.backref = reverse
        self._referenced_side.add(id(reverse))
        if constraint is None:
            # relationMode = "prisma": no foreign key in the database, so say the join.
            targets = {f.name: f.column for f in target_prisma.fields}
            pairs = [
                (column, targets[name])
                for column, name in zip(columns, field.relation_to_fields, strict=True)
            ]
            self._explicit_joins[id(forward)] = self._explicit_joins[id(reverse)] = pairs
            cause = (
                "dropped by a migration or never created"
                if any(t.foreign_key_constraints for t in self.metadata.tables.values())
                else 'the database has none at all: relationMode = "prisma"?'
            )
            self.notes.append(
                f"relation {prisma_model.name}.{field.name} has no foreign key in the "
                f"database ({cause}): joined explicitly; ON DELETE/UPDATE actions of the "
                "relation are not enforced by the database"
            )
        if source is target:
            forward.remote_side = [
                source.get_column_attribute(target_column)
                for _, target_column in self._join_pairs(constraint, forward)
            ]
            reverse.remote_side = [source.get_column_attribute(name) for name in columns]
        if (
            constraint is not None
            and len(get_common_fk_constraints(source.table, target.table)) > 1
        ):
            keys = [source.get_column_attribute(name) for name in columns]
            forward.foreign_keys = keys
            reverse.foreign_keys = keys
        self._relation_fields[id(forward)] = field
        self._relation_fields[id(reverse)] = back
        source.relationships.append(forward)
        target.relationships.append(reverse)

    def _join_pairs(
        self, constraint: ForeignKeyConstraint | None, relationship: RelationshipAttribute
    ) -> list[tuple[str, str]]:
        """(column holding the key, referenced column) pairs of a relation."""
        if constraint is None:
            return self._explicit_joins[id(relationship)]
        return [(element.parent.name, element.column.name) for element in constraint.elements]

    def _add_implicit_many_to_many(
        self, link: Model, relation_name: str, models: Mapping[str, Model]
    ) -> None:
        assert self.datamodel is not None
        fields = [
            (prisma_model, field)
            for prisma_model in self.datamodel.models
            for field in prisma_model.relation_fields()
            if field.relation_name == relation_name and field.is_list
        ]
        by_column = {get_column_names(c)[0]: c for c in link.table.foreign_key_constraints}
        # Prisma: column A points to the model whose name sorts first; in a
        # self-relation, the field whose name sorts first reads its peers from A.
        (model_a, field_a), (model_b, field_b) = sorted(
            fields, key=lambda pair: (pair[0].name, pair[1].name)
        )
        side_a = self._model_for(model_a.name, models)[1]
        side_b = self._model_for(model_b.name, models)[1]
        to_b = RelationshipAttribute(
            RelationshipType.MANY_TO_MANY, side_a, side_b, by_column.get("B"), link
        )
        to_a = RelationshipAttribute(
            RelationshipType.MANY_TO_MANY, side_b, side_a, by_column.get("A"), link, to_b
        )
        to_b.backref = to_a
        missing = [column for column in ("A", "B") if column not in by_column]
        if missing:
            # Say the joins: SQLAlchemy cannot infer them without both foreign keys.
            table = link.table.name
            keys = {"A": side_a, "B": side_b}
            self._link_joins[id(to_b)] = (table, "A", keys["A"], "B", keys["B"])
            self._link_joins[id(to_a)] = (table, "B", keys["B"], "A", keys["A"])
            self.notes.append(
                f"table {table!r} of the implicit many-to-many relation {relation_name} "
                f"({model_a.name}.{field_a.name} / {model_b.name}.{field_b.name}) has no "
                f"foreign key on column {' or '.join(missing)} in the database (dropped by "
                "a migration?): joined explicitly"
            )
        elif side_a is side_b:
            key = side_a.table.primary_key.columns[0].name
            to_b.primaryjoin = [(side_a, key, link, "B")]
            to_b.secondaryjoin = [(side_a, key, link, "A")]
            to_a.primaryjoin = [(side_a, key, link, "A")]
            to_a.secondaryjoin = [(side_a, key, link, "B")]
        self._relation_fields[id(to_b)] = field_a
        self._relation_fields[id(to_a)] = field_b
        side_a.relationships.append(to_b)
        side_b.relationships.append(to_a)

    # -- names --------------------------------------------------------------------------

    def generate_model_name(self, model: Model, global_names: set[str]) -> None:
        prisma_model = self._prisma_models.get(model.table.name)
        if prisma_model is None or not isinstance(model, ModelClass):
            super().generate_model_name(model, global_names)
            if not isinstance(model, ModelClass) and model.name.startswith("t_"):
                model.name = self.find_free_name(
                    model.table.name.lstrip("_") + "_table", global_names
                )
            return
        model.name = self.find_free_name(prisma_model.name, global_names)
        if model.name != prisma_model.name:
            self.notes.append(f"model {prisma_model.name} is class {model.name} (name taken)")
        local_names: set[str] = set()
        for column_attr in model.columns:
            self.generate_column_attr_name(column_attr, global_names, local_names)
            local_names.add(column_attr.name)
        for relationship in model.relationships:
            self.generate_relationship_name(relationship, global_names, local_names)
            local_names.add(relationship.name)

    def generate_column_attr_name(
        self, column_attr: ColumnAttribute, global_names: set[str], local_names: set[str]
    ) -> None:
        field = self._fields.get((column_attr.model.table.name, column_attr.column.name))
        if field is None:
            super().generate_column_attr_name(column_attr, global_names, local_names)
            return
        column_attr.name = safe_attribute(field.name)
        if column_attr.name != field.name:
            self.notes.append(
                f"{column_attr.model.table.name}.{field.name} is attribute "
                f"{column_attr.name!r} (the name is reserved on model classes)"
            )

    def generate_relationship_name(
        self, relationship: RelationshipAttribute, global_names: set[str], local_names: set[str]
    ) -> None:
        field = self._relation_fields.get(id(relationship))
        if field is None:
            super().generate_relationship_name(relationship, global_names, local_names)
            return
        relationship.name = safe_attribute(field.name)

    # -- rendering ----------------------------------------------------------------------

    def render_class_variables(self, model: ModelClass) -> str:
        self.add_literal_import("app.prisma_defaults", "table_name")
        variables = [f"__tablename__ = table_name({model.table.name!r})"]
        table_args = self.render_table_args(model.table)
        if table_args:
            variables.append(f"__table_args__ = {table_args}")
        return "\n".join(variables)

    def render_class(self, model: ModelClass) -> str:
        # Prisma's field order (the schema's), not sqlacodegen's not-null-first order.
        prisma_model = self._prisma_models.get(model.table.name)
        if prisma_model is not None:
            position = {f.column: i for i, f in enumerate(prisma_model.fields)}
            model.columns.sort(key=lambda a: position.get(a.column.name, len(position)))
            names = [f.name for f in prisma_model.fields]
            model.relationships.sort(
                key=lambda r: (
                    names.index(self._relation_fields[id(r)].name)
                    if id(r) in self._relation_fields
                    else len(names)
                )
            )
        sections = [self.render_class_variables(model)]
        sections.append("\n".join(self.render_column_attribute(a) for a in model.columns))
        if model.relationships:
            sections.append("\n".join(self.render_relationship(r) for r in model.relationships))
        body = "\n\n".join(_indent(section, self.indentation) for section in sections)
        return f"{self.render_class_declaration(model)}\n{body}"

    def render_column_attribute(self, column_attr: ColumnAttribute) -> str:
        column = column_attr.column
        field = self._fields.get((column.table.name, column.name))
        default = self._python_default(column, field)
        extras: dict[str, str] = {}
        if default is not None and default.column_default is not None:
            extras["default"] = default.column_default
            if field is not None and field.is_updated_at:
                extras["onupdate"] = default.column_default
        self._column_extras = extras
        try:
            rendered_column = self.render_column(column, True)
        finally:
            self._column_extras = {}

        python_type = self.render_column_python_type(column)
        kwargs: dict[str, str] = {}
        if default is not None:
            kwargs[default.field] = default.source
            for module, name in default.imports:
                if module:
                    self.add_literal_import(module, name)
                else:
                    self.add_module_import(name)
        elif (
            column.nullable
            or column.server_default is not None
            or column.foreign_keys
            or _is_autoincrement(column)
        ):
            # None is left out of INSERT: the database fills in NULL or its default, and
            # a foreign key is usually set through its relationship (page.author = user).
            kwargs["default"] = "None"
            if _is_autoincrement(column):
                python_type = f"{python_type} | None"
        kwargs["sa_column"] = rendered_column
        field_call = render_callable(self._sqlmodel("Field"), kwargs=kwargs)
        return f"{column_attr.name}: {python_type} = {field_call}"

    def _python_default(
        self, column: Column[Any], field: PrismaField | None
    ) -> PythonDefault | None:
        if field is None:
            return None
        enum_class = self.enum_classes.get((column.table.name, column.name))
        timezone = isinstance(column.type, TIMESTAMP) and bool(column.type.timezone)

        def member(value: str) -> str:
            if enum_class is None:
                raise UnmappableDefault(f"enum default {value!r} without an enum type")
            return self.enum_member_ref(enum_class, value)

        try:
            return python_default(field, member, timezone)
        except UnmappableDefault as exc:
            raise MappingError(
                f"{column.table.name}.{column.name}: cannot reproduce {exc}"
            ) from exc

    def render_column_python_type(self, column: Column[Any]) -> str:
        field = self._fields.get((column.table.name, column.name))
        optional = column.nullable if field is None else not field.is_required and not field.is_list
        column_type = column.type
        python_type = self._python_type(
            column, column_type.item_type if isinstance(column_type, ARRAY) else column_type
        )
        if isinstance(column_type, ARRAY):
            for _ in range(column_type.dimensions or 1):
                python_type = f"list[{python_type}]"
        if isinstance(column_type, JSON):
            # JsonValue already includes None.
            return python_type
        return f"{python_type} | None" if optional else python_type

    def _python_type(self, column: Column[Any], column_type: TypeEngine[Any]) -> str:
        if isinstance(column_type, Enum):
            enum_class = self.enum_classes.get((column.table.name, column.name))
            if enum_class is not None:
                return enum_class
        if isinstance(column_type, JSON):
            self.add_literal_import("pydantic", "JsonValue")
            return "JsonValue"
        if isinstance(column_type, Uuid) and not column_type.as_uuid:
            return "str"
        if isinstance(column_type, DOMAIN):
            return self._python_type(column, column_type.data_type)
        try:
            python_type = column_type.python_type
        except NotImplementedError:
            python_type = object
        if python_type is object:
            # tsvector, point, ranges...: Prisma's `Unsupported(...)`; values pass through
            # as the driver returns them.
            known = not isinstance(column_type, NullType)
            sql_type = column_type.compile(self.bind.dialect) if known else "an unknown type"
            self.notes.append(f"{column.table.name}.{column.name} is {sql_type}: typed Any")
            self.add_literal_import("typing", "Any")
            return "Any"
        if python_type.__module__ == "builtins":
            return python_type.__name__
        self.add_module_import(python_type.__module__)
        return f"{python_type.__module__}.{python_type.__name__}"

    def render_relationship_annotation(self, relationship: RelationshipAttribute) -> str:
        field = self._relation_fields.get(id(relationship))
        target = relationship.target.name
        if relationship.type in (RelationshipType.ONE_TO_MANY, RelationshipType.MANY_TO_MANY):
            return f"list[{target!r}]"
        if field is not None:
            optional = not field.is_required
        else:
            optional = relationship.constraint is not None and any(
                c.nullable for c in relationship.constraint.columns
            )
            if (
                relationship.type is RelationshipType.ONE_TO_ONE
                and relationship.backref is not None
            ):
                optional = optional or (
                    relationship.constraint is not None
                    and relationship.constraint.referred_table is relationship.source.table
                )
        return f"Optional[{target!r}]" if optional else repr(target)

    def render_relationship_arguments(
        self, relationship: RelationshipAttribute
    ) -> Mapping[str, Any]:
        kwargs = dict(super().render_relationship_arguments(relationship))
        kwargs.pop("uselist", None)  # decided below from Prisma's cardinality
        holds_foreign_key = (
            relationship.type is not RelationshipType.MANY_TO_MANY
            and id(relationship) not in self._referenced_side
        )
        if relationship.type is RelationshipType.ONE_TO_ONE and not holds_foreign_key:
            kwargs["uselist"] = "False"
        pairs = self._explicit_joins.get(id(relationship))
        if pairs is not None:
            owner, referenced = (
                (relationship.source, relationship.target)
                if holds_foreign_key
                else (relationship.target, relationship.source)
            )
            terms = [
                f"{owner.name}.{owner.get_column_attribute(key).name} == "
                f"{referenced.name}.{referenced.get_column_attribute(ref).name}"
                for key, ref in pairs
            ]
            join = terms[0] if len(terms) == 1 else f"and_({', '.join(terms)})"
            keys = ", ".join(f"{owner.name}.{owner.get_column_attribute(k).name}" for k, _ in pairs)
            kwargs["primaryjoin"] = repr(join)
            kwargs["foreign_keys"] = repr(f"[{keys}]")
        link_join = self._link_joins.get(id(relationship))
        if link_join is not None:
            table, own_column, source, other_column, target = link_join
            own_key = self._key_attribute(source)
            other_key = self._key_attribute(target)
            kwargs["primaryjoin"] = repr(f"{source.name}.{own_key} == {table}.c.{own_column}")
            kwargs["secondaryjoin"] = repr(f"{target.name}.{other_key} == {table}.c.{other_column}")
            kwargs["foreign_keys"] = repr(f"[{table}.c.A, {table}.c.B]")
        if relationship.type is RelationshipType.MANY_TO_MANY:
            # The link rows go with either side (ON DELETE CASCADE in the database).
            kwargs["passive_deletes"] = "True"
        elif not holds_foreign_key:
            # Leave ON DELETE to the database: RESTRICT fails with a foreign-key error
            # instead of SQLAlchemy nulling the children's NOT NULL key first.
            kwargs["passive_deletes"] = "'all'"
        return kwargs

    @staticmethod
    def _key_attribute(model: ModelClass) -> str:
        """The attribute of the model's single-column key (what an implicit relation joins on)."""
        key = next(column for column in model.table.columns if column.primary_key)
        return model.get_column_attribute(key.name).name

    def collect_imports(self, models: Iterable[Model]) -> None:
        super().collect_imports(models)
        self.remove_literal_import("typing", "Optional")
        if self._qualify_sqlmodel:
            for name in SQLMODEL_NAMES:
                self.remove_literal_import("sqlmodel", name)
            self.add_module_import("sqlmodel")

    def group_imports(self) -> list[list[str]]:
        # Enum arrays make sqlacodegen import the generic ARRAY beside PostgreSQL's.
        if "ARRAY" in self.imports.get("sqlalchemy.dialects.postgresql", ()):
            self.remove_literal_import("sqlalchemy", "ARRAY")
        for package in [p for p, names in self.imports.items() if not names]:
            del self.imports[package]
        return super().group_imports()

    def render_relationship(self, relationship: RelationshipAttribute) -> str:
        kwargs = dict(self.render_relationship_arguments(relationship))
        annotation = self.render_relationship_annotation(relationship)
        if annotation.startswith("Optional["):
            self.add_literal_import("typing", "Optional")
        native = {k: kwargs.pop(k) for k in ("back_populates", "passive_deletes") if k in kwargs}
        if kwargs:
            native["sa_relationship_kwargs"] = (
                "{" + ", ".join(f"{key!r}: {value}" for key, value in kwargs.items()) + "}"
            )
        rendered = render_callable(self._sqlmodel("Relationship"), kwargs=native)
        return f"{relationship.name}: {annotation} = {rendered}"

    def _sqlmodel(self, name: str) -> str:
        """`Field`, or `sqlmodel.Field` when a Prisma model takes the name."""
        return f"sqlmodel.{name}" if self._qualify_sqlmodel else name

    def render_table(self, table: Table) -> str:
        self.base.metadata_ref = f"{self._sqlmodel('SQLModel')}.metadata"
        return TablesGenerator.render_table(self, table)


def _migration_constant(migration: str | None) -> str:
    return (
        "# The latest Prisma migration applied to the database this was generated from.\n"
        f"PRISMA_MIGRATION: str | None = {migration!r}"
    )


def _is_autoincrement(column: Column[Any]) -> bool:
    return bool(column.primary_key and column.autoincrement is True)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


class PrismaViewsGenerator(_PrismaCommon, TablesGenerator):
    """Views as read-only `Table`s on their own MetaData, named after Prisma's views."""

    def __init__(
        self,
        metadata: MetaData,
        bind: Connection | Engine,
        options: Sequence[str],
        *,
        datamodel: Datamodel | None,
        views: set[str],
    ) -> None:
        super().__init__(metadata, bind, options, datamodel=datamodel)
        self.views = views
        self._keys: dict[tuple[str, str], str] = {}  # (view, column) -> Prisma field name

    def should_ignore_table(self, table: Table) -> bool:
        return table.name not in self.views

    def generate_model_name(self, model: Model, global_names: set[str]) -> None:
        prisma_view = self._prisma_model_of(model.table)
        if prisma_view is None:
            if self.datamodel is not None:
                self.notes.append(f"view {model.table.name!r} is not in the Prisma schema")
            model.name = self.find_free_name(_pascal(model.table.name), global_names)
            return
        model.name = safe_class_name(prisma_view.name)
        fields = prisma_view.scalar_by_column()
        for column in model.table.columns:
            field = fields.get(column.name)
            if field is not None and field.name != column.name:
                self._keys[(model.table.name, column.name)] = field.name

    def render_column(self, column: Column[Any], show_name: bool, is_table: bool = False) -> str:
        # A `@map`ped view field: the Prisma name becomes the column's key.
        key = self._keys.get((column.table.name, column.name))
        self._column_extras = {"key": repr(key)} if key else {}
        try:
            return super().render_column(column, show_name, is_table)
        finally:
            self._column_extras = {}

    def fix_column_types(self, table: Table) -> None:
        super().fix_column_types(table)
        prisma_view = self._prisma_model_of(table)
        fields = prisma_view.scalar_by_column() if prisma_view else {}
        # A view's columns all reflect as nullable and keyless: Prisma knows better. The
        # key (`@id`, else its first `@unique`) lets a row be addressed like a table's.
        identity = prisma_view.identity_columns() if prisma_view else []
        for column in table.columns:
            field = fields.get(column.name)
            column.type = self._prisma_type(column, field)
            if field is not None:
                column.nullable = not field.is_required and not field.is_list
            column.primary_key = column.name in identity
        if prisma_view is not None and not identity:
            self.notes.append(f"view {prisma_view.name} has no @id or @unique: no key")
