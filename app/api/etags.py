"""ETags derived from `updatedAt`, and the If-Match / If-None-Match checks.

`updatedAt` is at millisecond precision and strictly increases on every update
(see `crud.update`), so it identifies a version of the row.
"""

from datetime import datetime, timedelta

_EPOCH = datetime(1970, 1, 1)
_MILLISECOND = timedelta(milliseconds=1)
# Compares equal to no stored timestamp: a tag we did not issue never matches.
_NO_VERSION = datetime(1, 1, 1)


def etag(updated_at: datetime) -> str:
    return f'"{(updated_at - _EPOCH) // _MILLISECOND}"'


def _version(tag: str) -> datetime:
    tag = tag.strip().removeprefix("W/")
    digits = tag.strip('"')
    if not (tag.startswith('"') and tag.endswith('"') and digits.isdigit() and len(digits) < 16):
        return _NO_VERSION
    return _EPOCH + int(digits) * _MILLISECOND


def expected_version(if_match: str | None) -> dict[str, datetime]:
    """The `expected` values for a conditional write: none for a missing header or `*`.

    Several tags cannot be checked in one condition; the first is used.
    """
    if if_match is None or if_match.strip() == "*":
        return {}
    return {"updatedAt": _version(if_match.split(",", 1)[0])}


def matches(if_none_match: str | None, current: str) -> bool:
    """Whether If-None-Match names the current version (weak comparison)."""
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or current in tags
