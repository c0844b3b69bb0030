"""What this process has seen of a database schema that moved on without it.

The database belongs to another repository's Prisma migrations, so it changes while the
service runs. Requests that meet such a change note it here: an enum value the models
do not know yet (a warning: answered as stored), or a statement the database refused
because the schema no longer fits (a problem: those requests get a 503). The readiness
check notes what it finds too, and readiness itself comes from that check alone: a
failed statement noted a moment ago may already be fixed. Each
distinct thing is logged once per episode, not once per request: a busy service would
otherwise log the same line thousands of times. An episode ends when a readiness check
finds that the schema fits again.
"""

from __future__ import annotations

from collections.abc import Sequence

from loguru import logger

NOTED_KEPT = 1000
"""At most this many distinct things of each kind are remembered (and logged); beyond
that the schema is far off and already reported, and memory must stay bounded."""


class _Once:
    """Keys already logged in this episode, bounded by NOTED_KEPT."""

    def __init__(self) -> None:
        self.seen: dict[str, None] = {}  # an ordered set

    def first_time(self, key: str) -> bool:
        if key in self.seen or len(self.seen) >= NOTED_KEPT:
            return False
        self.seen[key] = None
        return True


_problems_logged = _Once()
_warnings_logged = _Once()


def note_unknown_enum_value(enum_name: str, value: str) -> None:
    """A value of the database enum `enum_name` that the generated enum does not know
    was read, and is answered as stored: a warning, logged once per value."""
    if _warnings_logged.first_time(f"enum {enum_name} {value}"):
        logger.warning(
            'enum "{}" has a value the models do not know: {!r}; answered as stored '
            "until the models are regenerated (make orm) and deployed",
            enum_name,
            value,
        )


def note_mismatch(problem: str) -> None:
    """A statement failed because the database schema no longer fits the models: an
    ERROR line the first time in an episode."""
    if _problems_logged.first_time(problem):
        logger.error("the database schema no longer fits this deployment: {}", problem)


def note_check(
    problems: Sequence[str],
    warnings: Sequence[str],
    unknown_enum_values: Sequence[tuple[str, str]] = (),
) -> None:
    """What a schema-fit check found: each new problem logged once as an ERROR, each new
    warning once as a WARNING (its enum values, among them, are not logged again when
    read). With no problems (or no warnings) that episode is over, so that what recurs
    later is logged again."""
    for problem in problems:
        if _problems_logged.first_time(problem):
            logger.error("the database schema does not fit the models: {}", problem)
    for enum_name, value in unknown_enum_values:
        _warnings_logged.first_time(f"enum {enum_name} {value}")
    for warning in warnings:
        if _warnings_logged.first_time(f"warning {warning}"):
            logger.warning("the database schema moved on, compatibly: {}", warning)
    if not problems and _problems_logged.seen:
        logger.info("the database schema fits this deployment again")
        _problems_logged.seen.clear()
    if not warnings:
        _warnings_logged.seen.clear()
