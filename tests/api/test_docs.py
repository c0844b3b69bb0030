"""/docs and /redoc work with no network: every script, style sheet, icon and the OpenAPI
document they reference is served by the service itself, without a token."""

import re
from html.parser import HTMLParser

import pytest
from httpx import ASGITransport, AsyncClient

from app.main import create_app
from tests.api.conftest import make_settings

# The OpenAPI document's URL, as Swagger UI (`url: '...'`) and ReDoc (`spec-url="..."`) name it.
_DOCUMENT_URL = re.compile(r"""(?:\burl:\s*'|spec-url=")([^'"]+)""")


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def referenced_urls(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    return parser.urls + _DOCUMENT_URL.findall(page)


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", {"text/css", "text/javascript", "image/png", "application/json"}),
        ("/redoc", {"text/javascript", "image/png", "application/json"}),
    ],
)
async def test_the_docs_page_and_everything_it_references_come_from_the_service(
    page: str, assets: set[str]
) -> None:
    # No token, and no database: the docs depend on neither.
    app = create_app(make_settings(None))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as browser:
        html = await browser.get(page)
        assert html.status_code == 200
        urls = referenced_urls(html.text)
        assert "/api/v1/openapi.json" in urls
        content_types = set()
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url}"
            asset = await browser.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url
            content_types.add(asset.headers["content-type"].split(";")[0])
    assert content_types == assets
