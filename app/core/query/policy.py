"""What a resource lets clients filter, sort and include, and the size bounds of every
query.

A declaration narrows the vocabulary with a QueryPolicy; `Policies` answers the policy
of any model (the related ones included), or None for a model that is not exposed, whose
rows no relation filter or include may then reach."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import SQLModel


@dataclass(frozen=True)
class QueryPolicy:
    """None means every field (or relation) that the type allows."""

    filterable: frozenset[str] | None = None
    sortable: frozenset[str] | None = None
    includable: frozenset[str] | None = None

    def may_filter(self, name: str) -> bool:
        return self.filterable is None or name in self.filterable

    def may_sort(self, name: str) -> bool:
        return self.sortable is None or name in self.sortable

    def may_include(self, name: str) -> bool:
        return self.includable is None or name in self.includable


Policies = Callable[[type[SQLModel]], QueryPolicy | None]
"""The policy of a model, None when the model is not exposed. Must be hashable (a
function, not a lambda made per call): the built schemas and statements are cached by it."""


def expose_all(_: type[SQLModel]) -> QueryPolicy:
    """Every model, every field: for tests and tools."""
    return QueryPolicy()


@dataclass(frozen=True)
class QueryLimits:
    """Bounds on what one request may ask for; exceeding one is a 422 naming it."""

    max_conditions: int = 50  # field conditions in one `where`
    max_depth: int = 8  # nested objects in one `where` (AND/OR/NOT, relations, `not`)
    max_relation_depth: int = 3  # relation filters inside relation filters
    max_list: int = 100  # values in `in`, `notIn`, `hasSome`, `hasEvery`; ids in a relation write
    max_order_keys: int = 5
    max_includes: int = 8  # included relations, all levels together
    max_include_depth: int = 3  # `include[author][include][profile]` is 2
    max_take: int = 100  # related rows per parent in a to-many include (its default too)


LIMITS = QueryLimits()
