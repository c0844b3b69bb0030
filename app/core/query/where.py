"""A Prisma `where` object, validated against a model and its policy, taken apart into
a SHAPE (its structure, hashable, without values) and the values of its bound
parameters. `where_sql.where_clause` builds the SQL of a shape, so a caller can build
and compile a statement once per shape.

Shape nodes:
  ("and" | "or" | "not", (node, ...))     NOT is NOT(a AND b ...)
  ("cmp", field, operator, parameter, insensitive)
  ("null", field, is_null)
  ("empty", field, is_empty)
  ("rel", relation, quantifier, node | None)  some/every/none/is/isNot; None: `is: null`
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import SQLModel

from app.core.errors import InvalidQueryPart
from app.core.query.model_info import ModelInfo, ScalarField, describe
from app.core.query.operators import coerce, expected_form, operators, strict_bool
from app.core.query.policy import LIMITS, Policies, QueryLimits, QueryPolicy

Shape = tuple[Any, ...]
Loc = tuple[str | int, ...]

LOGICAL = ("AND", "OR", "NOT")
EVERY_ROW: Shape = ("and", ())
TO_ONE = ("is", "isNot")
TO_MANY = ("some", "every", "none")


@dataclass(frozen=True)
class Where:
    shape: Shape
    params: dict[str, Any]

    @property
    def empty(self) -> bool:
        """No condition at all (every row): a caller may leave the WHERE out."""
        return self.shape == EVERY_ROW


def like_pattern(value: str, operator: str) -> str:
    """`value` taken literally (LIKE's wildcards escaped with `/`), placed by `operator`."""
    escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
    if operator == "contains":
        return f"%{escaped}%"
    if operator == "startsWith":
        return f"{escaped}%"
    if operator == "endsWith":
        return f"%{escaped}"
    return escaped


@dataclass
class _Walk:
    policies: Policies
    limits: QueryLimits
    params: dict[str, Any] = field(default_factory=dict)
    conditions: int = 0

    def fail(self, loc: Loc, message: str, kind: str = "value_error") -> InvalidQueryPart:
        return InvalidQueryPart(message, loc=loc, kind=kind)

    def bind(self, value: Any) -> str:
        name = f"w{len(self.params)}"
        self.params[name] = value
        return name

    def count(self, loc: Loc) -> None:
        self.conditions += 1
        if self.conditions > self.limits.max_conditions:
            raise self.fail(
                loc,
                f"Too many conditions: at most {self.limits.max_conditions} in one where",
                "too_many_conditions",
            )

    def policy(self, model: type[SQLModel], loc: Loc) -> QueryPolicy:
        policy = self.policies(model)
        if policy is None:
            raise self.fail(loc, f"{model.__name__} cannot be filtered here", "not_filterable")
        return policy

    def where(self, model: type[SQLModel], value: Any, loc: Loc, depth: int, hops: int) -> Shape:
        if depth > self.limits.max_depth:
            raise self.fail(
                loc, f"Nested too deeply: at most {self.limits.max_depth} levels", "too_deep"
            )
        if not isinstance(value, Mapping):
            raise self.fail(loc, f"Expected an object of {model.__name__} fields", "dict_type")
        info = describe(model)
        policy = self.policy(model, loc)
        nodes = []
        for key, item in value.items():
            at = (*loc, key)
            if key in LOGICAL:
                nodes.append(self.logical(model, key, item, at, depth, hops))
            elif key in info.scalars and info.scalars[key].filterable and policy.may_filter(key):
                nodes.append(self.scalar(info.scalars[key], item, at, depth))
            elif key in info.relations and policy.may_filter(key):
                nodes.append(self.relation(info, key, item, at, depth, hops))
            else:
                raise self.fail(
                    at,
                    f"{key!r} is not a filterable field of {model.__name__}; use one of: "
                    + ", ".join([*self.filterable(info, policy), *LOGICAL]),
                    "unknown_field",
                )
        return nodes[0] if len(nodes) == 1 else ("and", tuple(nodes))

    def filterable(self, info: ModelInfo, policy: QueryPolicy) -> list[str]:
        scalars = [n for n, f in info.scalars.items() if f.filterable and policy.may_filter(n)]
        relations = [
            name
            for name, relation in info.relations.items()
            if policy.may_filter(name) and self.policies(relation.target) is not None
        ]
        return scalars + relations

    def logical(
        self, model: type[SQLModel], key: str, value: Any, loc: Loc, depth: int, hops: int
    ) -> Shape:
        items = value if isinstance(value, list) else [value]
        if key == "OR" and not isinstance(value, list):
            raise self.fail(loc, "OR takes a list of conditions (OR[0][...], OR[1][...])")
        nodes = tuple(
            self.where(model, item, (*loc, i) if isinstance(value, list) else loc, depth + 1, hops)
            for i, item in enumerate(items)
        )
        if key == "AND":
            return ("and", nodes)
        if key == "OR":
            return ("or", nodes)
        return ("and", tuple(("not", (node,)) for node in nodes))

    def relation(
        self, info: ModelInfo, name: str, value: Any, loc: Loc, depth: int, hops: int
    ) -> Shape:
        relation = info.relations[name]
        self.policy(relation.target, loc)
        quantifiers = TO_MANY if relation.to_many else TO_ONE
        if hops >= self.limits.max_relation_depth:
            raise self.fail(
                loc,
                f"Relation filters nest at most {self.limits.max_relation_depth} deep",
                "too_deep",
            )
        if not isinstance(value, Mapping) or not value:
            raise self.fail(loc, f"{name} takes one of: {', '.join(quantifiers)}", "dict_type")
        nodes = []
        for quantifier, inner in value.items():
            at = (*loc, quantifier)
            if quantifier not in quantifiers:
                raise self.fail(
                    at,
                    f"{quantifier!r} is not a filter of the relation {name}; use one of: "
                    + ", ".join(quantifiers),
                    "unknown_operator",
                )
            self.count(at)
            if inner is None and quantifier in TO_ONE:
                nodes.append(("rel", name, quantifier, None))
            else:
                nodes.append(
                    (
                        "rel",
                        name,
                        quantifier,
                        self.where(relation.target, inner, at, depth + 1, hops + 1),
                    )
                )
        return nodes[0] if len(nodes) == 1 else ("and", tuple(nodes))

    def value(self, field: ScalarField, value: Any, loc: Loc) -> Any:
        try:
            return coerce(field, value)
        except ValueError as exc:
            hint = ""
            if value == "" and field.nullable:  # what plain qs.stringify writes for null
                hint = " (null is a bare key: qs.stringify(q, { strictNullHandling: true }))"
            raise self.fail(loc, f"{field.name}: {exc}{hint}") from None

    def values(self, field: ScalarField, value: Any, loc: Loc) -> list[Any]:
        items = value if isinstance(value, list) else [value]
        if len(items) > self.limits.max_list:
            raise self.fail(
                loc, f"At most {self.limits.max_list} values in a list", "too_many_values"
            )
        return [self.value(field, item, (*loc, i)) for i, item in enumerate(items)]

    def scalar(self, field: ScalarField, value: Any, loc: Loc, depth: int) -> Shape:
        if not isinstance(value, Mapping):  # `where[title]=x`: equals
            return self.operator(field, "equals", value, False, loc)
        allowed = operators(field)
        mode = value.get("mode", "default")
        if mode not in ("default", "insensitive") or ("mode" in value and "mode" not in allowed):
            raise self.fail(
                (*loc, "mode"), "mode takes default or insensitive (string fields only)"
            )
        insensitive = mode == "insensitive"
        nodes = []
        for operator, item in value.items():
            at = (*loc, operator)
            if operator == "mode":
                continue
            if operator not in allowed:
                raise self.fail(
                    at,
                    f"{operator!r} is not an operator of {field.name}; use one of: "
                    + ", ".join(allowed),
                    "unknown_operator",
                )
            if operator == "not" and isinstance(item, Mapping):
                if depth + 1 > self.limits.max_depth:
                    raise self.fail(
                        at, f"Nested too deeply: at most {self.limits.max_depth} levels", "too_deep"
                    )
                nodes.append(("not", (self.scalar(field, item, at, depth + 1),)))
            else:
                nodes.append(self.operator(field, operator, item, insensitive, at))
        if not nodes:
            raise self.fail(loc, f"{field.name} takes one of: " + ", ".join(allowed), "missing")
        return nodes[0] if len(nodes) == 1 else ("and", tuple(nodes))

    def operator(
        self, field: ScalarField, operator: str, value: Any, insensitive: bool, loc: Loc
    ) -> Shape:
        self.count(loc)
        name = field.name
        form = operators(field).get(operator, "nullable")
        if value is None and form in ("nullable", "not"):
            if not field.nullable:
                raise self.fail(loc, f"{name} is never null: give {expected_form(field)}")
            return ("null", name, operator == "equals")
        if field.is_list:
            if operator == "isEmpty":
                try:
                    return ("empty", name, strict_bool(value))
                except ValueError:
                    raise self.fail(loc, "isEmpty takes true or false") from None
            if operator == "has":
                return ("cmp", name, "has", self.bind(self.value(field, value, loc)), False)
            return ("cmp", name, operator, self.bind(self.values(field, value, loc)), False)
        if form == "values":
            values = self.values(field, value, loc)
            if insensitive:
                values = [item.lower() for item in values]
            return ("cmp", name, operator, self.bind(values), insensitive)
        if form == "text":
            if not isinstance(value, str):
                raise self.fail(loc, f"{operator} takes a string")
            return ("cmp", name, "like", self.bind(like_pattern(value, operator)), insensitive)
        typed = self.value(field, value, loc)
        if operator in ("equals", "not") and insensitive:
            op = "like" if operator == "equals" else "notLike"
            return ("cmp", name, op, self.bind(like_pattern(typed, "equals")), True)
        op = {"equals": "eq", "not": "ne"}.get(operator, operator)
        if insensitive:
            typed = typed.lower()
        return ("cmp", name, op, self.bind(typed), insensitive)


def compile_where(
    model: type[SQLModel],
    where: Mapping[str, Any] | None,
    policies: Policies,
    limits: QueryLimits = LIMITS,
    loc: Loc = ("where",),
) -> Where:
    """The shape and parameter values of `where` on `model` (None or {}: every row).
    InvalidQueryPart (a 422 located at `query` + `loc`) for an unknown field, an
    operator the field's type does not take, a value of the wrong type, or a bound
    exceeded."""
    if not where:
        return Where(EVERY_ROW, {})
    walk = _Walk(policies, limits)
    shape = walk.where(model, where, loc, 1, 0)
    return Where(shape, walk.params)
