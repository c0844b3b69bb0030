"""What Prisma's client does in JavaScript, for the generated models (app/models.py).

Prisma fills `@default(cuid())`, `uuid()`, `nanoid()`, `ulid()`, `now()` and `@updatedAt`
in its client, not in the database: rows inserted from Python need the same values made
here. DateTimes are stored as Prisma stores them: UTC, without a zone, to the millisecond.
"""

from datetime import UTC, datetime
from typing import Any

import cuid as cuid_v1
import cuid2
import nanoid as nanoid_lib
import ulid
import uuid_utils
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def cuid() -> str:
    """`@default(cuid())`: a 25-character cuid (version 1)."""
    return cuid_v1.cuid()


def cuid2_id() -> str:
    """`@default(cuid(2))`: a 24-character cuid2."""
    return cuid2.create_id()


def uuid4() -> str:
    """`@default(uuid())` / `uuid(4)`, as the text Prisma stores."""
    return str(uuid_utils.uuid4())


def uuid7() -> str:
    """`@default(uuid(7))`: time-ordered UUID."""
    return str(uuid_utils.uuid7())


def nanoid(size: int = 21) -> str:
    """`@default(nanoid())` / `nanoid(size)`."""
    return nanoid_lib.generate(size=size)


def ulid_id() -> str:
    """`@default(ulid())`: 26-character Crockford base32 ULID."""
    return str(ulid.ULID())


def _to_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def now() -> datetime:
    """`@default(now())` and `@updatedAt`: naive UTC, truncated to milliseconds."""
    return _to_ms(datetime.now(UTC).replace(tzinfo=None))


def now_tz() -> datetime:
    """`now()` for `@db.Timestamptz` columns: aware UTC, to the millisecond."""
    return _to_ms(datetime.now(UTC))


class PrismaDateTime(TypeDecorator[datetime]):
    """`TIMESTAMP(3)` holding naive UTC, as Prisma writes it.

    Aware values are converted to UTC and stripped of their zone; every value is cut to
    milliseconds so what Python holds after a write equals what a read returns.
    """

    impl = TIMESTAMP
    cache_ok = True

    def __init__(self, precision: int = 3) -> None:
        super().__init__(timezone=False, precision=precision)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return _to_ms(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value

    @property
    def python_type(self) -> type[datetime]:
        return datetime


def table_name(name: str) -> Any:
    """The value for `__tablename__`.

    SQLModel declares `__tablename__` as a `declared_attr`; a plain string is what
    SQLAlchemy wants at run time, but type checkers reject assigning one.
    """
    return name


__all__ = [
    "PrismaDateTime",
    "cuid",
    "cuid2_id",
    "nanoid",
    "now",
    "now_tz",
    "table_name",
    "ulid_id",
    "uuid4",
    "uuid7",
]
