"""Outside `local`, nothing meant for developers is reachable or described: the diagnostics
routes do not exist under any method, and the OpenAPI document names no private route and
carries no setting, address or secret of the deployment."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from app.core.dburl import parse
from app.resources import RESOURCES
from tests.api.conftest import SECRET_KEY, bearer, client_for, make_settings, running

PRIVATE = ["/private/diagnostics/server", "/private/diagnostics/database", "/private/"]


@pytest.fixture(scope="module", params=["staging", "production"])
async def deployed(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[AsyncClient]:
    settings = make_settings(database_url, ENVIRONMENT=request.param, PROJECT_NAME="Pages")
    async with running(settings) as app, client_for(app, headers=bearer()) as client:
        yield client


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", PRIVATE)
async def test_private_routes_do_not_exist_under_any_method(
    deployed: AsyncClient, method: str, path: str
) -> None:
    response = await deployed.request(method, path)
    assert response.status_code == 404  # not 401 or 405: nothing says a route is there
    assert response.json() == {"detail": "Not Found"}
    assert "allow" not in response.headers


async def test_the_document_describes_only_the_public_api(
    deployed: AsyncClient, database_url: str
) -> None:
    response = await deployed.get("/openapi.json")
    assert response.status_code == 200
    text = response.text
    paths = response.json()["paths"]
    public = ("/api/v1/utils/", *(f"/api/v1{resource.url_path}/" for resource in RESOURCES))
    assert all(path.startswith(public) for path in paths)
    url = parse(database_url)
    leaks = [
        "private",
        "diagnostics",
        SECRET_KEY,
        url.database or "",
        str(url.query.get("host") or url.host or ""),
    ]
    assert not [leak for leak in leaks if leak and leak in text]


async def test_diagnostics_answer_in_local_only(client: AsyncClient, deployed: AsyncClient) -> None:
    """The control for the tests above: the same request in local does reach them."""
    for path in PRIVATE[:2]:
        assert (await client.get(path)).status_code == 200
        assert (await deployed.get(path)).status_code == 404


async def test_a_stranger_learns_no_parameter_names(anonymous: AsyncClient) -> None:
    """Unknown query parameters are refused after authentication, not before."""
    response = await anonymous.get("/pages/", params={"sort": "title"})
    assert response.status_code == 401
    assert "authorId" not in response.text
