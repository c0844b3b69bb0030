"""Demo data for local development: two authors, tags, and a small tree of pages.

Inserted once: a second run finds the first demo author and leaves everything as is.
Written with the generated models, so it also shows how they are used.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.dburl import asyncpg_url
from app.models import Page, PageStatus, Profile, Role, Tag, User

DEMO_EMAIL = "ada@example.com"


def _demo_rows() -> list[User | Profile | Tag | Page]:
    ada = User(email=DEMO_EMAIL, name="Ada Lovelace", role=Role.ADMIN)
    grace = User(email="grace@example.com", name="Grace Hopper")
    guides, news = Tag(name="guides"), Tag(name="news")
    # Relationships rather than raw ids: the session then inserts parents first.
    home = Page(
        title="Welcome",
        slug="welcome",
        content="The home page.",
        status=PageStatus.PUBLISHED,
        published=True,
        keywords=["home", "intro"],
        metadata_={"layout": "wide", "hero": {"image": "/hero.png"}},
        author=ada,
        tags=[news],
    )
    pages = [
        home,
        Page(
            title="Getting started",
            slug="getting-started",
            content="Install, run, test.",
            status=PageStatus.PUBLISHED,
            published=True,
            keywords=["guide"],
            price=Decimal("0.00"),
            author=grace,
            parent=home,
            tags=[guides],
        ),
        Page(
            title="Pricing",
            slug="pricing",
            status=PageStatus.DRAFT,
            price=Decimal("49.90"),
            author=ada,
            parent=home,
        ),
        Page(
            title="Old announcement", slug="old-news", status=PageStatus.ARCHIVED, authorId=grace.id
        ),
    ]
    profile = Profile(user=ada, bio="Wrote the first program.")
    return [ada, grace, profile, guides, news, *pages]


async def seed(database_url: str) -> bool:
    """Insert the demo data unless it is there; return whether it was inserted."""
    engine = create_async_engine(asyncpg_url(database_url))
    try:
        async with AsyncSession(engine) as session:
            existing = await session.exec(select(User).where(User.email == DEMO_EMAIL))
            if existing.first() is not None:
                return False
            session.add_all(_demo_rows())
            await session.commit()
            return True
    finally:
        await engine.dispose()
