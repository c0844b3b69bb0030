"""Memoization of what is derived from mapped classes (facts, schemas, statements). Keys
are models and names from the code, never from requests, so the memo stays small."""

from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def per_model(build: Callable[P, T]) -> Callable[P, T]:
    built: dict[tuple[Hashable, ...], T] = {}

    def get(*args: P.args, **kwargs: P.kwargs) -> T:
        key = (*args, *kwargs.items())
        if key not in built:
            built[key] = build(*args, **kwargs)
        return built[key]

    return get
