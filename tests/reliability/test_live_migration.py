"""Prisma migrations applied to the database while the service (a real uvicorn process)
answers several clients at once, and a short soak.

Each step is a migration folder deployed the way `prisma migrate deploy` deploys it,
mid-traffic; every answer is counted by status, and readiness asked after each step.
Additive steps cost no error and keep the service ready (with warnings naming the
migration); a breaking step fails only with 503s that say the schema no longer fits,
logs each distinct problem once, and the service recovers by itself when the migration
is rolled back.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app.cli.prisma_migrate import deploy
from app.core.dburl import libpq_url
from app.core.security import create_token
from tests.api.conftest import unique_slug
from tests.conftest import EXAMPLE_MIGRATIONS, ROOT
from tests.reliability.servers import Postgres, free_port, postgres, wait_for_port

SECRET_KEY = "live-migration-secret-" + "m" * 24
CLIENTS = 4
STEP_SECONDS = 1.5
# Real projects' migrations, when present (REALWORLD_DIR, else ../shared/realworld).
REALWORLD = Path(os.environ.get("REALWORLD_DIR") or ROOT.parent / "shared" / "realworld")
MISMATCH = "The database schema no longer fits this deployment; retry shortly"


@dataclass
class Service:
    process: subprocess.Popen[str]
    url: str
    log: Path

    def log_records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(
            next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
        )


@dataclass
class Migrations:
    """A migrations folder that grows one migration per step, deployed like Prisma does."""

    cluster: Postgres
    folder: Path
    applied: list[str] = field(default_factory=list)

    async def deploy(self, name: str, sql: str) -> str:
        number = 20990101000000 + len(self.applied)
        migration = f"{number}_{name}"
        (self.folder / migration).mkdir()
        (self.folder / migration / "migration.sql").write_text(sql)
        assert await deploy(self.cluster.url(), self.folder) == [migration]
        self.applied.append(migration)
        return migration


@pytest.fixture(scope="module")
def cluster() -> Iterator[Postgres]:
    with postgres() as server:
        asyncio.run(deploy(server.url(), EXAMPLE_MIGRATIONS))
        yield server


@pytest.fixture(scope="module")
def migrations(cluster: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Migrations:
    folder = tmp_path_factory.mktemp("migrations")
    for migration in EXAMPLE_MIGRATIONS.iterdir():
        if migration.is_dir():
            (folder / migration.name).symlink_to(migration)
    return Migrations(cluster, folder)


@pytest.fixture(scope="module")
def service(cluster: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    port = free_port()
    log = tmp_path_factory.mktemp("service") / "service.log"
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": cluster.url(),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DB_POOL_SIZE": "8",
        "LOG_JSON": "true",
        "LOG_LEVEL": "WARNING",  # no access lines: what is left is what went wrong
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli.serve"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_port(port, process)
            yield Service(process, f"http://127.0.0.1:{port}/api/v1", log)
        finally:
            process.terminate()
            process.wait(30)


@pytest.fixture
async def client(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    token = create_token(SECRET_KEY, "live-migration", expires_in=timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CLIENTS * 2)
    async with httpx.AsyncClient(
        base_url=service.url, headers=headers, limits=limits, timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="module")
def author_id(cluster: Postgres) -> str:
    async def insert() -> str:
        conn = await asyncpg.connect(libpq_url(cluster.url()))
        try:
            return await conn.fetchval(
                'INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $1, now()) RETURNING id',
                unique_slug("author"),
            )
        finally:
            await conn.close()

    return asyncio.run(insert())


@dataclass
class Answer:
    step: str
    started: float
    finished: float
    status: int
    detail: str | None
    retry_after: str | None


@dataclass
class Traffic:
    """Clients getting, listing and creating pages in a loop; each answer recorded under
    the step current when it arrived."""

    client: httpx.AsyncClient
    author_id: str
    page_ids: list[str]
    step: str = "baseline"
    answers: list[Answer] = field(default_factory=list)
    running: bool = True

    async def _one(self, n: int) -> None:
        turn = n
        while self.running:
            started = time.monotonic()
            kind = turn % 4
            if kind == 0:
                response = await self.client.get(
                    f"/pages/{self.page_ids[turn % len(self.page_ids)]}"
                )
            elif kind == 1:
                response = await self.client.get("/pages/", params={"limit": 50})
            elif kind == 2:  # an enum-typed parameter, whose type a migration may recreate
                response = await self.client.get("/pages/", params={"where[status]": "DRAFT"})
            else:
                body = {"title": f"Live {turn}", "slug": unique_slug(), "authorId": self.author_id}
                response = await self.client.post("/pages/", json=body)
            detail = None
            if response.status_code >= 400:
                detail = str(response.json().get("detail"))
            self.answers.append(
                Answer(
                    self.step,
                    started,
                    time.monotonic(),
                    response.status_code,
                    detail,
                    response.headers.get("Retry-After"),
                )
            )
            turn += CLIENTS
            await asyncio.sleep(0.005)

    async def run(self) -> None:
        await asyncio.gather(*(self._one(n) for n in range(CLIENTS)))

    def of(self, step: str, started_after: float = 0) -> list[Answer]:
        return [a for a in self.answers if a.step == step and a.started >= started_after]


@dataclass
class Step:
    name: str
    kind: str  # additive, breaking, recovery
    names: str | None  # what readiness names for a breaking step
    answers: Counter[int]
    ready: int
    readiness: dict[str, Any]


async def ready(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/utils/ready")
    return response.status_code, response.json()


def print_table(steps: list[Step]) -> None:
    print()
    print(f"| {'step':<50} | {'answers by status':<28} | readiness |")
    print(f"|{'-' * 52}|{'-' * 30}|-----------|")
    for step in steps:
        answers = ", ".join(f"{status}: {n}" for status, n in sorted(step.answers.items()))
        print(f"| {step.name:<50} | {answers:<28} | {step.ready:<9} |")


def realworld_migration() -> tuple[str, str] | None:
    """The first migration of a real project's history (no extensions needed), or None."""
    for path in sorted(REALWORLD.glob("*/migrations/*/migration.sql")):
        sql = path.read_text()
        if "EXTENSION" not in sql.upper():
            return f"{path.parts[-4]}/{path.parent.name}", sql
    return None


ADDITIVE = [
    ("add_nullable_column", 'ALTER TABLE "Page" ADD COLUMN "summary" TEXT;'),
    (
        "add_table",
        'CREATE TABLE "Comment" ("id" TEXT NOT NULL, "pageId" TEXT NOT NULL, "body" TEXT NOT NULL,'
        ' CONSTRAINT "Comment_pkey" PRIMARY KEY ("id"));\n'
        'ALTER TABLE "Comment" ADD CONSTRAINT "Comment_pageId_fkey" FOREIGN KEY ("pageId")'
        ' REFERENCES "Page"("id") ON DELETE CASCADE ON UPDATE CASCADE;',
    ),
    ("add_index_concurrently", 'CREATE INDEX CONCURRENTLY "Page_title_idx" ON "Page"("title");'),
    (
        "add_required_column_with_default",
        'ALTER TABLE "Page" ADD COLUMN "rank" INTEGER NOT NULL DEFAULT 0;',
    ),
    ("add_enum_value", """ALTER TYPE "PageStatus" ADD VALUE 'SCHEDULED';"""),
    ("text_to_varchar", 'ALTER TABLE "Page" ALTER COLUMN "content" SET DATA TYPE VARCHAR(5000);'),
    ("varchar_to_text", 'ALTER TABLE "Page" ALTER COLUMN "content" SET DATA TYPE TEXT;'),
    ("integer_to_bigint", 'ALTER TABLE "Tag" ALTER COLUMN "id" SET DATA TYPE BIGINT;'),
    # How Prisma removes an enum value (here one the models never knew): a new type with
    # a new oid, under statements and type data that pooled connections have cached.
    (
        "enum_recreated",
        'ALTER TYPE "PageStatus" RENAME TO "PageStatus_old";\n'
        """CREATE TYPE "PageStatus" AS ENUM ('DRAFT', 'PUBLISHED', 'ARCHIVED');\n"""
        'ALTER TABLE "Page" ALTER COLUMN "status" DROP DEFAULT;\n'
        'ALTER TABLE "Page" ALTER COLUMN "status" TYPE "PageStatus"'
        ' USING ("status"::text::"PageStatus");\n'
        """ALTER TABLE "Page" ALTER COLUMN "status" SET DEFAULT 'DRAFT';\n"""
        'DROP TYPE "PageStatus_old";',
    ),
]


async def test_migrations_mid_traffic(
    client: httpx.AsyncClient, service: Service, migrations: Migrations, author_id: str
) -> None:
    page_ids = []
    for n in range(5):
        body = {"title": f"Seed {n}", "slug": unique_slug(), "authorId": author_id}
        created = await client.post("/pages/", json=body)
        assert created.status_code == 201, created.text
        page_ids.append(created.json()["id"])
    traffic = Traffic(client, author_id, page_ids)
    running = asyncio.create_task(traffic.run())
    steps: list[Step] = []
    applied_at: dict[str, float] = {}

    async def step(name: str, kind: str, sql: str | None, names: str | None = None) -> None:
        traffic.step = name
        if sql is not None:
            await migrations.deploy(re.sub(r"\W+", "_", name).strip("_"), sql)
        applied_at[name] = time.monotonic()
        await asyncio.sleep(STEP_SECONDS)
        status, body = await ready(client)
        answers = Counter(a.status for a in traffic.of(name))
        steps.append(Step(name, kind, names, answers, status, body))

    try:
        await step("baseline", "additive", None)
        for name, sql in ADDITIVE:
            await step(name, "additive", sql)
        real = realworld_migration()
        if real is not None:
            # A real project's migration, into a schema of its own (its table names are
            # this example's too): catalog changes and locks mid-traffic, nothing to see.
            name, sql = real
            wrapped = (
                'CREATE SCHEMA "realworld";\n'
                "SELECT set_config('search_path', 'realworld', true);\n" + sql
            )
            await step(f"real: {name}", "additive", wrapped)
        await step(
            "rename_column (breaking)",
            "breaking",
            'ALTER TABLE "Page" RENAME COLUMN "content" TO "body";',
            names='column "Page"."content" is missing from the database',
        )
        await step(
            "rename_column rolled back",
            "recovery",
            'ALTER TABLE "Page" RENAME COLUMN "body" TO "content";',
        )
        await step(
            "retype_column (breaking)",
            "breaking",
            'ALTER TABLE "Page" ALTER COLUMN "keywords" DROP DEFAULT;\n'
            'ALTER TABLE "Page" ALTER COLUMN "keywords" SET DATA TYPE TEXT'
            " USING array_to_string(\"keywords\", ',');",
            names='column "Page"."keywords" is TEXT in the database, the models expect TEXT[]',
        )
        await step(
            "retype_column rolled back",
            "recovery",
            'ALTER TABLE "Page" ALTER COLUMN "keywords" SET DATA TYPE TEXT[]'
            " USING string_to_array(\"keywords\", ',');\n"
            'ALTER TABLE "Page" ALTER COLUMN "keywords" SET DEFAULT ARRAY[]::TEXT[];',
        )
    finally:
        traffic.running = False
        await running

    print_table(steps)
    for done in steps:
        answers = traffic.of(done.name)
        assert answers, f"{done.name}: no answers"
        if done.kind == "additive":
            assert all(a.status < 400 for a in answers), (done.name, done.answers)
            assert done.ready == 200, (done.name, done.readiness)
        elif done.kind == "breaking":
            failed = [a for a in answers if a.status >= 400]
            assert failed, f"{done.name}: nothing failed"
            assert {(a.status, a.detail, a.retry_after) for a in failed} == {(503, MISMATCH, "5")}
            assert done.ready == 503
            assert done.readiness["problems"] == [f"schema: {done.names}"], done.readiness
        else:  # recovery: every request sent once the rollback is deployed succeeds
            after = traffic.of(done.name, started_after=applied_at[done.name])
            assert after and all(a.status < 400 for a in after), (done.name, done.answers)
            assert done.ready == 200, done.readiness

    warnings = next(s for s in steps if s.name == "integer_to_bigint").readiness["warnings"]
    for expected in (
        'column "Page"."summary" is new to the models',
        'table "Comment" is new to the models',
        'enum "PageStatus" has a value the models do not know: SCHEDULED',
    ):
        assert any(expected in w and "(migration 2099" in w for w in warnings), (expected, warnings)

    records = service.log_records()
    assert not [r for r in records if "Traceback" in json.dumps(r)]
    errors = [r["message"] for r in records if r["level"] == "ERROR"]
    # One line per distinct problem (a statement, the check), not one per request.
    failed = sum(s.answers[503] for s in steps)
    assert errors and len(errors) == len(set(errors)) and len(errors) <= 8 < failed, errors


SOAK_SECONDS = 15


async def test_memory_stays_flat_over_a_soak_of_varied_requests(
    client: httpx.AsyncClient, service: Service, author_id: str
) -> None:
    """Every /pages operation, filters, orders, cursors and errors, for SOAK_SECONDS after a
    warm-up of the same length; the server's resident memory is read before and after."""
    statuses: Counter[int] = Counter()

    async def one(n: int) -> None:
        slug = unique_slug("soak")
        created = await client.post(
            "/pages/", json={"title": f"Soak {n}", "slug": slug, "authorId": author_id}
        )
        statuses[created.status_code] += 1
        page = created.json()
        url = f"/pages/{page['id']}"
        requests = [
            client.get(url),
            client.get(url, headers={"If-None-Match": created.headers["ETag"]}),
            client.put(
                url, json={"content": f"edit {n}"}, headers={"If-Match": created.headers["ETag"]}
            ),
            client.put(
                url, json={"content": "stale"}, headers={"If-Match": created.headers["ETag"]}
            ),
            client.get(
                "/pages/",
                params={"where[status]": "DRAFT", "where[published]": "false", "limit": 5},
            ),
            client.get(
                "/pages/",
                params={
                    "where[authorId]": author_id,
                    "where[title][contains]": f"soak {n % 10}",
                    "where[title][mode]": "insensitive",
                },
            ),
            client.get(
                "/pages/",
                params={
                    ["orderBy[title]", "orderBy[updatedAt]"][n % 2]: ["asc", "desc"][n % 2],
                    "skip": n % 50,
                },
            ),
            client.get("/pages/", params={"count": ["exact", "estimated", "none"][n % 3]}),
            client.get("/pages/missing-page"),
            client.get("/pages/", params={"limit": 0}),
            client.get("/pages/", params={"cursor": "not-a-cursor"}),
            client.post("/pages/", json={"title": 1}),
            client.post("/pages/", json={"title": "Dup", "slug": slug, "authorId": author_id}),
        ]
        for request in requests:
            statuses[(await request).status_code] += 1
        walk = await client.get("/pages/", params={"limit": 10})
        cursor = walk.json().get("nextCursor")
        if cursor:
            statuses[
                (await client.get("/pages/", params={"limit": 10, "cursor": cursor})).status_code
            ] += 1
        statuses[(await client.delete(url)).status_code] += 1

    async def for_seconds(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        n = 0

        async def worker(offset: int) -> None:
            nonlocal n
            while time.monotonic() < deadline:
                n += 1
                await one(n * CLIENTS + offset)

        await asyncio.gather(*(worker(i) for i in range(CLIENTS)))

    await for_seconds(SOAK_SECONDS / 2)  # warm-up: pools, caches, statements compiled
    before = service.rss_kib()
    statuses.clear()
    await for_seconds(SOAK_SECONDS)
    after = service.rss_kib()

    by_status = dict(sorted(statuses.items()))
    growth = (after - before) / 1024
    print(f"\nsoak: {sum(statuses.values())} requests in {SOAK_SECONDS}s, by status {by_status}")
    print(f"soak: RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB ({growth:+.1f} MiB)")
    assert not [status for status in statuses if status >= 500], statuses
    assert after - before < 64 * 1024, (before, after)  # generous: flat is a few MiB


@pytest.fixture(scope="module")
def scheduled_page(
    service: Service, cluster: Postgres, migrations: Migrations, author_id: str
) -> str:
    """A page whose status is an enum value that a migration added after the models."""

    async def prepare() -> str:
        await migrations.deploy(
            "add_enum_value_again",
            """ALTER TYPE "PageStatus" ADD VALUE IF NOT EXISTS 'SCHEDULED';""",
        )
        conn = await asyncpg.connect(libpq_url(cluster.url()))
        try:
            return await conn.fetchval(
                'INSERT INTO "Page" (id, title, slug, "authorId", status, "updatedAt")'
                " VALUES ($1, 'Later', $1, $2, 'SCHEDULED', now()) RETURNING id",
                unique_slug("scheduled"),
                author_id,
            )
        finally:
            await conn.close()

    return asyncio.run(prepare())


async def test_an_unknown_enum_value_is_a_readiness_warning_naming_its_migration(
    client: httpx.AsyncClient, scheduled_page: str
) -> None:
    status, body = await ready(client)

    assert status == 200, body
    assert any(
        'enum "PageStatus" has a value the models do not know: SCHEDULED' in warning
        and "(migration 20990101" in warning
        and "_add_enum_value_again)" in warning
        for warning in body["warnings"]
    ), body


async def test_a_row_with_an_unknown_enum_value_is_answered_as_stored(
    client: httpx.AsyncClient, service: Service, scheduled_page: str, author_id: str
) -> None:
    logged_before = len(service.log_records())
    traffic = Traffic(client, author_id, [scheduled_page], step="row with SCHEDULED")
    running = asyncio.create_task(traffic.run())
    await asyncio.sleep(STEP_SECONDS)
    traffic.running = False
    await running
    status, _ = await ready(client)
    answers = Counter(a.status for a in traffic.answers)
    print_table([Step("row set to SCHEDULED", "additive", None, answers, status, {})])

    assert all(a.status < 400 for a in traffic.answers), answers
    page = await client.get(f"/pages/{scheduled_page}")
    assert page.json()["status"] == "SCHEDULED"
    # By its id: the traffic above creates more pages than one list page holds.
    listed = await client.get("/pages/", params={"where[id]": scheduled_page})
    assert [item["status"] for item in listed.json()["data"]] == ["SCHEDULED"]
    records = service.log_records()[logged_before:]
    assert not [r for r in records if r["level"] == "ERROR"]
    # Once per value, however many answers carried it (readiness may have logged it first).
    assert len([r for r in records if "SCHEDULED" in r["message"]]) <= 1
