"""The Prisma peer does the service's duties and answers the benchmark's requests as the
reference does, so that the service/peer ratio compares like with like."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import asyncpg
import pytest
from httpx import AsyncClient

from app import crud
from app.api.etags import etag
from app.core.dburl import libpq_url
from app.core.security import create_token
from app.models import Page
from scripts.bench.apps import AppProcess
from scripts.bench.peer import peer_command, peer_env
from scripts.bench.runner import LIST, PAGES, request
from scripts.prisma_client import NodeUnavailable
from tests.bench.conftest import ROWS, SECRET_KEY, BenchDatabase
from tests.bench.test_reference import _lua_create_body

TOKEN = create_token(SECRET_KEY, "bench-test", expires_in=timedelta(minutes=30))


@pytest.fixture(scope="module", params=[1, 2], ids=["one process", "two processes"])
def peer(
    request: pytest.FixtureRequest,
    bench_database: BenchDatabase,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AppProcess]:
    try:
        command = peer_command()
    except NodeUnavailable as exc:
        pytest.skip(f"the Prisma peer cannot run here: {exc}")
    env = peer_env(
        bench_database.url,
        SECRET_KEY,
        workers=request.param,
        pool_size=4,
        application_name="bench peer test",
    )
    log = tmp_path_factory.mktemp("peer") / "peer.log"
    app = AppProcess("peer", command, env, log)
    app.start()
    try:
        yield app
    finally:
        app.stop()


async def test_a_list_and_a_page_are_the_references_json(
    peer: AppProcess, reference_app: AsyncClient
) -> None:
    status, listed = request(peer, "GET", f"{LIST}&limit=20", TOKEN)
    theirs = (await reference_app.get("/pages/?limit=20&orderBy[createdAt]=desc")).json()
    assert status == 200
    assert (listed["data"], listed["count"]) == (theirs["data"], theirs["count"])
    assert listed["count"] == ROWS
    for page in theirs["data"][:5]:
        status, mine = request(peer, "GET", f"{PAGES}{page['id']}", TOKEN)
        assert (status, mine) == (200, page)


async def test_a_filtered_list_with_authors_is_the_references_json(
    peer: AppProcess, reference_app: AsyncClient
) -> None:
    filtered = "&where[status]=PUBLISHED&include[author]=true&count=exact"
    status, listed = request(peer, "GET", f"{LIST}{filtered}", TOKEN)
    theirs = (await reference_app.get(f"/pages/?limit=20&orderBy[createdAt]=desc{filtered}")).json()
    assert status == 200
    assert len(listed["data"]) == 20
    assert (listed["data"], listed["count"]) == (theirs["data"], theirs["count"])
    assert request(peer, "GET", f"{LIST}&where[status]=GONE", TOKEN)[0] == 422


def test_the_cursor_walks_the_same_pages_as_skip(peer: AppProcess) -> None:
    _, first = request(peer, "GET", f"{LIST}&limit=50", TOKEN)
    _, after = request(peer, "GET", f"{LIST}&limit=50&cursor={first['nextCursor']}", TOKEN)
    _, skipped = request(peer, "GET", f"{LIST}&limit=50&skip=50", TOKEN)
    assert [p["id"] for p in after["data"]] == [p["id"] for p in skipped["data"]]


async def test_the_benchmark_create_body_is_created(
    peer: AppProcess, bench_database: BenchDatabase
) -> None:
    author_id = bench_database.seeded.author_ids[0]
    body = json.loads(_lua_create_body("bench-test-peer", author_id))
    try:
        status, created = request(peer, "POST", PAGES, TOKEN, body)
        assert status == 201
        assert created["price"] == "9.99"
        assert created["viewCount"] == "0"
        assert created["metadata"] == body["metadata"]
        assert request(peer, "POST", PAGES, TOKEN, body)[0] == 409  # its slug is taken
    finally:
        conn = await asyncpg.connect(libpq_url(bench_database.url))
        try:
            await conn.execute('DELETE FROM "Page" WHERE "slug" LIKE $1', "bench-test-peer%")
        finally:
            await conn.close()


def test_its_duties_refuse_what_the_service_refuses(
    peer: AppProcess, bench_database: BenchDatabase
) -> None:
    expired = create_token(SECRET_KEY, "bench-test", expires_in=timedelta(minutes=-5))
    forged = create_token("another-secret-key-" + "y" * 32, "x", expires_in=timedelta(minutes=5))
    for token in ("", expired, forged):
        assert request(peer, "GET", LIST, token)[0] == 401
    author_id = bench_database.seeded.author_ids[0]
    unknown_field = {"title": "T", "slug": "bench-test-peer-x", "authorId": author_id, "x": 1}
    status, refused = request(peer, "POST", PAGES, TOKEN, unknown_field)
    assert status == 422
    assert refused["detail"][0]["type"] == "unrecognized_keys"
    assert request(peer, "GET", f"{LIST}&limit=101", TOKEN)[0] == 422


def test_a_page_has_its_etag_a_request_id_and_an_access_line(
    peer: AppProcess, bench_database: BenchDatabase
) -> None:
    page_id = bench_database.seeded.page_ids[0]
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "peer-test-1"}
    conn = http.client.HTTPConnection("127.0.0.1", peer.port, timeout=10)
    try:
        conn.request("GET", f"{PAGES}{page_id}", headers=headers)
        response = conn.getresponse()
        page = json.loads(response.read())
        tag = response.getheader("ETag")
        conn.request("GET", f"{PAGES}{page_id}", headers=headers | {"If-None-Match": str(tag)})
        unchanged = conn.getresponse()
        unchanged.read()
    finally:
        conn.close()
    assert response.getheader("X-Request-ID") == "peer-test-1"
    updated = datetime.fromisoformat(page["updatedAt"]).replace(tzinfo=None)
    assert tag == etag(crud.version(Page, {"updatedAt": updated}))  # the service's ETag
    assert unchanged.status == 304
    lines = [json.loads(line) for line in peer.log_path.read_text().splitlines()]
    assert any(line.get("request_id") == "peer-test-1" and line["status"] == 200 for line in lines)
