"""Pages: list, read, create, update and delete, with ETags on single pages."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from app import crud
from app.api.deps import DatabaseDep, require_json
from app.api.etags import etag, expected_version, matches
from app.api.responses import errors
from app.models import Page, PageStatus
from app.schemas import Id, PageCreate, PagePublic, PagesPublic, PageUpdate, Text

router = APIRouter(prefix="/pages", tags=["pages"])

PageId = Annotated[Id, Path(description="The page's id")]
IfMatch = Annotated[
    str | None,
    Header(description="Only write if the page still has this ETag (else 412)"),
]
# Response headers, declared so that clients know to read them.
ETAG = {
    "ETag": {
        "description": "The page's version: send it back in If-Match or If-None-Match",
        "schema": {"type": "string"},
    }
}
LOCATION = {"Location": {"description": "The new page's URL", "schema": {"type": "string"}}}
# Whitelisted sort keys; `-` sorts descending. Ties are broken by id.
PageOrder = Literal["createdAt", "-createdAt", "updatedAt", "-updatedAt", "title", "-title"]


def _with_etag(response: Response, page: crud.Record) -> crud.Record:
    response.headers["ETag"] = etag(page["updatedAt"])
    return page


@router.get(
    "/",
    operation_id="listPages",
    summary="List pages",
    response_model=PagesPublic,
    responses=errors(401, 503),
)
async def list_pages(
    database: DatabaseDep,
    status_: Annotated[PageStatus | None, Query(alias="status")] = None,
    published: bool | None = None,
    author_id: Annotated[Id | None, Query(alias="authorId")] = None,
    q: Annotated[
        Text | None, Query(max_length=200, description="Title contains (any case)")
    ] = None,
    order_by: PageOrder = "-createdAt",
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
) -> Any:
    return await crud.get_many(
        database,
        Page,
        equals={"status": status_, "published": published, "authorId": author_id},
        contains={"title": q},
        order_by=[order_by],
        skip=skip,
        cursor=cursor,
        limit=limit,
        count=count,
    )


@router.get(
    "/{id}",
    operation_id="getPage",
    summary="Read a page",
    response_model=PagePublic,
    responses={
        200: {"headers": ETAG},
        304: {"description": "If-None-Match names the current ETag", "headers": ETAG},
    }
    | errors(401, 404, 503),
)
async def get_page(
    database: DatabaseDep,
    response: Response,
    id: PageId,
    if_none_match: Annotated[
        str | None, Header(description="A previously read ETag: 304 while it is current")
    ] = None,
) -> Any:
    page = await crud.get(database, Page, id)
    current = etag(page["updatedAt"])
    if matches(if_none_match, current):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": current})
    return _with_etag(response, page)


@router.post(
    "/",
    operation_id="createPage",
    summary="Create a page",
    status_code=status.HTTP_201_CREATED,
    response_model=PagePublic,
    dependencies=[Depends(require_json)],
    responses={201: {"headers": ETAG | LOCATION}} | errors(401, 409, 413, 415, 503),
)
async def create_page(
    database: DatabaseDep, request: Request, response: Response, body: PageCreate
) -> Any:
    page = await crud.create(database, Page, body.model_values())
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{page['id']}"
    return _with_etag(response, page)


@router.put(
    "/{id}",
    operation_id="updatePage",
    summary="Update some fields of a page",
    response_model=PagePublic,
    dependencies=[Depends(require_json)],
    responses={200: {"headers": ETAG}} | errors(401, 404, 409, 412, 413, 415, 503),
)
async def update_page(
    database: DatabaseDep,
    response: Response,
    id: PageId,
    body: PageUpdate,
    if_match: IfMatch = None,
) -> Any:
    page = await crud.update(
        database, Page, id, body.model_values(), expected=expected_version(if_match)
    )
    return _with_etag(response, page)


@router.delete(
    "/{id}",
    operation_id="deletePage",
    summary="Delete a page",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 404, 412, 503),
)
async def delete_page(database: DatabaseDep, id: PageId, if_match: IfMatch = None) -> None:
    await crud.delete(database, Page, id, expected=expected_version(if_match))
