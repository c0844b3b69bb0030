"""Relations and defaults the example project lacks (tests/orm/edge_prisma): a self-referencing
implicit many-to-many, a one-to-one self-relation, composite keys, enum lists, nanoid(10)."""

import json
from pathlib import Path

from app.cli.prisma_migrate import deploy
from app.core.dburl import asyncpg_url
from scripts.generate_models import generate, load_datamodel
from tests.orm.generated_module import import_in_subprocess, run_in_subprocess

EDGE = Path(__file__).resolve().parent / "edge_prisma"

# Runs against the generated module (`module`) in a fresh interpreter.
SCENARIO = """
import asyncio, datetime, json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

async def main(url):
    engine = create_async_engine(url)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        ann, bob = module.Person(name="ann"), module.Person(name="bob")
        ann.friends.append(bob)
        bob.mentee = ann
        account = module.Account(provider="github", accountId="1", person=ann)
        login = module.Session(account=account, expires=datetime.datetime.now(datetime.UTC))
        session.add_all([ann, bob, login])
        await session.commit()
        conn = await session.connection()
        link = (await conn.execute(text('SELECT "A", "B" FROM "_Friends"'))).one()
        stored = (await conn.execute(text('SELECT tags, kinds::text[] FROM "Session"'))).one()
        print(json.dumps({
            "ann": ann.id, "bob": bob.id, "link": list(link),
            "bob_friend_of": [p.id for p in bob.friendOf],
            "ann_mentor": ann.mentorId, "session_id": login.id,
            "session_key": [login.provider, login.accountId],
            "tags": stored[0], "kinds": stored[1], "score": str(login.score),
        }))
    await engine.dispose()

asyncio.run(main(sys.argv[2]))
"""


async def test_edge_relations_and_defaults_work(empty_database: str, tmp_path: Path) -> None:
    await deploy(empty_database, EDGE / "migrations")
    schema, datamodel, _ = load_datamodel(EDGE / "schema.prisma")
    path = tmp_path / "edge_models.py"
    path.write_text(generate("tables", empty_database, schema, datamodel).source)

    assert import_in_subprocess(path).split() == ["Account", "Person", "Session", "_Friends"]
    result = json.loads(run_in_subprocess(path, SCENARIO, asyncpg_url(empty_database)))

    # Prisma: the relation field whose name sorts first (friendOf) reads its peers from A.
    assert result["link"] == [result["ann"], result["bob"]]
    assert result["bob_friend_of"] == [result["ann"]]
    assert result["ann_mentor"] == result["bob"]
    assert len(result["session_id"]) == 10
    assert result["session_key"] == ["github", "1"]
    assert (result["tags"], result["kinds"], result["score"]) == (["a", "b"], ["A"], "1.5")
