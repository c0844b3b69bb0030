"""PostgreSQL URL spellings: one URL from the environment, one driver per consumer.

Users give `postgres://`, `postgresql://` or `postgresql+asyncpg://`; the service
needs asyncpg, sqlacodegen needs a sync driver (psycopg), and asyncpg's own
`connect()` wants a plain libpq URL.
"""

from sqlalchemy.engine import URL, make_url

_ACCEPTED = {"postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg"}


def parse(url: str) -> URL:
    """Parse and check a PostgreSQL URL; raise ValueError naming what is wrong."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in it
        raise ValueError("is not a valid database URL") from exc
    if parsed.drivername not in _ACCEPTED:
        raise ValueError(f"must be a PostgreSQL URL (postgresql://...), not {parsed.drivername}://")
    return parsed


def asyncpg_url(url: str) -> str:
    """SQLAlchemy URL for the async engine."""
    return parse(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def psycopg_url(url: str) -> str:
    """SQLAlchemy URL for sync tools (sqlacodegen reflection)."""
    return parse(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """Plain URL for `asyncpg.connect()` and psql."""
    return parse(url).set(drivername="postgresql").render_as_string(hide_password=False)


def masked(url: str) -> str:
    """The URL with its password replaced, safe for logs and error messages."""
    try:
        return parse(url).render_as_string(hide_password=True)
    except ValueError:
        return "<unparseable database URL>"
