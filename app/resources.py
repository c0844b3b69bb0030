"""Every model the API serves, and its API policy: the one place that names the
generated models for the API.

A new Prisma model becomes a full resource (list, get, create, update, delete, ETags,
OpenAPI schemas) by one line here and `make openapi`. Fields, types and defaults come
from the model; only policy is written down: tighter constraints, examples, hidden or
read-only fields, the default order.
"""

from pydantic import Field, StringConstraints

from app import view_tables
from app.core.query import QueryPolicy
from app.core.resource import Resource, view_model
from app.models import AuditLog, Page, PageRevision, Profile, Tag, User

NonEmpty = StringConstraints(min_length=1)

PAGES = Resource(
    Page,
    order_by={"createdAt": "desc"},
    # Made by the service (ids, timestamps) or counted by it, never chosen by clients.
    read_only=frozenset({"id", "createdAt", "viewCount"}),
    constraints={
        "title": (StringConstraints(min_length=1, max_length=500),),
        "slug": (StringConstraints(min_length=1, max_length=191),),
        "keywords": (StringConstraints(max_length=100), Field(max_length=100)),
    },
    examples={
        "id": "cm5x2k9q80000abcdxyz12345",
        "title": "Hello",
        "slug": "hello",
        "content": "First page",
        "status": "DRAFT",
        "published": False,
        "keywords": ["intro"],
        "metadata": {"layout": "wide"},
        "price": "9.99",
        "viewCount": "0",
        "authorId": "0b6f7a4e-3f0e-4c57-9a53-1c2f4a8f2d11",
        "parentId": None,
        "createdAt": "2026-01-02T03:04:05.678Z",
        "updatedAt": "2026-01-02T03:04:05.678Z",
    },
)

USERS = Resource(
    User,
    order_by={"createdAt": "desc"},
    constraints={"email": (StringConstraints(min_length=3, max_length=191),)},
)

PROFILES = Resource(Profile)

TAGS = Resource(Tag, constraints={"name": (StringConstraints(min_length=1, max_length=191),)})

PAGE_REVISIONS = Resource(PageRevision, constraints={"title": (NonEmpty,)})

AUDIT_LOGS = Resource(AuditLog, order_by={"createdAt": "desc"}, constraints={"action": (NonEmpty,)})

PUBLISHED_PAGES = Resource(
    view_model(view_tables.PublishedPage), writable=False, order_by={"updatedAt": "desc"}
)

RESOURCES: tuple[Resource, ...] = (
    PAGES,
    USERS,
    PROFILES,
    TAGS,
    PAGE_REVISIONS,
    AUDIT_LOGS,
    PUBLISHED_PAGES,
)

_BY_MODEL = {resource.model: resource for resource in RESOURCES}


def query_policy(model: type) -> QueryPolicy | None:
    """What lists may filter, sort and include of `model`; None when it is not served."""
    resource = _BY_MODEL.get(model)
    return None if resource is None else resource.query_policy
