"""Pages' domain routes, beside the CRUD routes their declaration gives them."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from app import crud
from app.api.deps import CurrentCaller, DatabaseDep
from app.api.etags import etag, if_match_version
from app.api.planned_route import PlannedRoute
from app.api.resource_routes import ETAG, IfMatch
from app.api.responses import errors
from app.core.request_id import current_request_id
from app.core.resource_schemas import read_schema
from app.domain import publishing
from app.models import Page
from app.resources import PAGES, RESOURCES

router = APIRouter(
    route_class=PlannedRoute, prefix=PAGES.url_path, tags=[PAGES.url_path.strip("/")]
)


@router.post(
    "/{id}/publish",
    operation_id="publishPage",
    summary="Publish a page, recording who did it in the audit log",
    response_model=read_schema(PAGES, RESOURCES),
    response_model_exclude_unset=True,
    responses={200: {"headers": ETAG}} | errors(401, 404, 412, 503),
)
async def publish_page(
    database: DatabaseDep,
    caller: CurrentCaller,
    response: Response,
    id: Annotated[str, Path(min_length=1, description="The page's id")],
    if_match: IfMatch = None,
) -> Any:
    page = await publishing.publish(
        database,
        id,
        caller=caller.subject,
        request_id=current_request_id(),
        if_version=if_match_version(if_match),
    )
    response.headers["ETag"] = etag(crud.version(Page, page))
    return page
