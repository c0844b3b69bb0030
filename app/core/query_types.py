"""Query parameter types as strict as the JSON bodies.

A query string carries text only, so FastAPI parses a `bool` parameter in pydantic's lax
mode, which also takes `yes`, `on`, `1`, `t` and `Y`; a body refuses even `"true"`.
`QueryBool` takes exactly `true` or `false`, and documents itself as a plain boolean:

    published: QueryBool | None = None
"""

from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_SPELLINGS = {"true": True, "false": False}


def _true_or_false(value: Any) -> Any:
    if isinstance(value, bool):  # a default, or a value set in code
        return value
    if isinstance(value, str) and value in _SPELLINGS:
        return _SPELLINGS[value]
    raise PydanticCustomError("bool_parsing", "must be true or false")


QueryBool = Annotated[bool, BeforeValidator(_true_or_false)]
