"""Prisma's query vocabulary (`where`, `orderBy`, `include`, many-to-many writes) over
any SQLModel mapped class, validated against a QueryPolicy and compiled to SQLAlchemy
statements whose values are all bound parameters. See docs/querying.md."""

from app.core.query.include import Fetch, Included, compile_include, includable, load_includes
from app.core.query.model_info import describe
from app.core.query.order import (
    After,
    Order,
    OrderKey,
    after_clause,
    compile_order,
    cursor_for,
    decode_cursor,
    order_clauses,
)
from app.core.query.policy import LIMITS, Policies, QueryLimits, QueryPolicy, expose_all
from app.core.query.relation_writes import (
    RelationWrite,
    apply_relation_writes,
    many_to_many,
    relation_write_model,
    split_relation_writes,
)
from app.core.query.where import Shape, Where, compile_where
from app.core.query.where_sql import where_clause

__all__ = [
    "LIMITS",
    "After",
    "Fetch",
    "Included",
    "Order",
    "OrderKey",
    "Policies",
    "QueryLimits",
    "QueryPolicy",
    "RelationWrite",
    "Shape",
    "Where",
    "after_clause",
    "apply_relation_writes",
    "compile_include",
    "compile_order",
    "compile_where",
    "cursor_for",
    "decode_cursor",
    "describe",
    "expose_all",
    "includable",
    "load_includes",
    "many_to_many",
    "order_clauses",
    "relation_write_model",
    "split_relation_writes",
    "where_clause",
]
