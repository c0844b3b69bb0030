"""What a list request asks for: the page (skip or cursor, limit) and the count mode."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query

from app import crud
from app.core.resource import Resource


@dataclass(frozen=True)
class ListQuery:
    order_by: Sequence[str]
    skip: int
    cursor: str | None
    limit: int
    count: crud.CountMode


def list_query(resource: Resource) -> Callable[..., Any]:
    """The dependency that reads a list request of `resource`."""

    async def read(
        skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        cursor: Annotated[
            str | None,
            Query(
                max_length=4096,
                description="The previous page's nextCursor (keyset paging; not with skip)",
            ),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        count: Annotated[
            crud.CountMode,
            Query(
                description="exact; estimated (the planner's estimate, exact below "
                f"{crud.ESTIMATE_EXACT_BELOW:,} rows); none (null)"
            ),
        ] = "estimated",
    ) -> ListQuery:
        return ListQuery(order_by=(), skip=skip, cursor=cursor, limit=limit, count=count)

    return read
