"""Publishing a page: the worked example of domain logic over several rows.

A resource's plain CRUD comes from its declaration (app/resources.py); what changes
several rows together lives in this package, as functions over `crud` in one
transaction, free of HTTP (routes translate).
"""

from app import crud
from app.core.db import Database
from app.core.errors import NotFound
from app.models import AuditLog, Page, PageStatus, User

PUBLISHED_ACTION = "page.published"


async def publish(
    database: Database,
    page_id: str,
    *,
    caller: str,
    request_id: str | None,
    if_version: str | None = None,
) -> crud.Record:
    """Mark the page published (status and flag; `updatedAt` moves on) and record who did
    it in the audit log, both or neither. `if_version`: the page must still be at this
    version (PreconditionFailed otherwise); NotFound when it does not exist.

    The caller is the token's subject: the audit row names it, and links it as the
    actor when it is a user's id.
    """
    async with crud.transaction(database) as tx:
        before = await crud.get(tx, Page, page_id)
        page = await crud.update(
            tx,
            Page,
            page_id,
            {"status": PageStatus.PUBLISHED, "published": True},
            if_version=if_version,
        )
        try:
            actor = (await crud.get(tx, User, caller))["id"]
        except NotFound:
            actor = None
        entry = {
            "action": PUBLISHED_ACTION,
            "actorId": actor,
            "payload": {"pageId": page_id, "caller": caller, "previousStatus": before["status"]},
        }
        if request_id is not None:
            entry["requestId"] = request_id
        await crud.create(tx, AuditLog, entry)
    return page
