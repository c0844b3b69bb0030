"""ETags from row versions (`crud.version`), and the If-Match / If-None-Match checks."""


def etag(version: str) -> str:
    return f'"{version}"'


def if_match_version(if_match: str | None) -> str | None:
    """The version a conditional write expects: none for a missing header or `*`.

    Several tags cannot be checked in one condition; the first is used. A tag this
    service did not issue names no version, so the write fails with 412.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.split(",", 1)[0].strip().removeprefix("W/")
    if len(tag) < 2 or not (tag.startswith('"') and tag.endswith('"')):
        return ""
    return tag[1:-1]


def matches(if_none_match: str | None, current: str) -> bool:
    """Whether If-None-Match names the current version (weak comparison)."""
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or current in tags
