"""`make bench`: the service against what else could answer, same database.

One process tree: a throwaway PostgreSQL with the example migrations and ROWS seeded
pages, the service (production settings, JSON logs, auth on), the Prisma peer (what a
Next.js team would run instead: Prisma Client 7 with the same duties, see
scripts/bench/peer.py), a bare Starlette + asyncpg reference, and wrk. Each endpoint
is loaded on every app in alternation (the order flips every round, so that drift on
a shared machine hits all alike); the table reports ratios taken in this one run.
With `--workers 1,2` the service (WEB_CONCURRENCY=2) and the peer (two processes) are
also measured with two processes on the endpoints marked `scaled`.

Usage: python -m scripts.bench [--rows N] [--duration S] [--rounds N] [--workers 1,2]
       [--json PATH]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.core.config import Settings
from app.core.security import create_token
from scripts.bench import cpu, profile
from scripts.bench.apps import HOST, AppProcess, Command, uvicorn_command
from scripts.bench.database import (
    CREATED_SLUG_PREFIX,
    db_connections,
    forget_created_pages,
    prepare_database,
)
from scripts.bench.load import LoadGeneratorMissing, LoadSpec, WrkRun, ensure_wrk, run_wrk
from scripts.bench.peer import peer_command, peer_env
from scripts.bench.reference import REFERENCE_APPLICATION_NAME
from scripts.bench.report import Baseline, Row, render, report
from scripts.bench.seed import Seeded
from scripts.prisma_client import NodeUnavailable
from scripts.throwaway_pg import throwaway_database

PAGES = "/api/v1/pages/"
LIST = f"{PAGES}?limit=20&orderBy[createdAt]=desc"
# A third of the seeded pages are published (seed.py): the filtered page is always full.
FILTERED_WITH_AUTHOR = "where[status]=PUBLISHED&include[author]=true"
# Keyset pagination: the query parameter that takes a cursor, and the list
# response's key that holds the cursor of the next page.
CURSOR_PARAM = "cursor"
NEXT_CURSOR_KEY = "nextCursor"
CURSOR_WALK_LIMIT = 100
WARMUP_S = 2


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked request. `cursor_depth`: list from the keyset cursor that many rows in.
    `scaled`: also measured with several processes per app. `baseline`: the endpoint this
    one's req/s is also read against (and measured whenever this one is)."""

    name: str
    path: str
    mode: str = "path"  # see wrk.lua
    cursor_depth: int | None = None
    writes: bool = False
    target_ratio: float = 0.5  # service req/s over the reference's, at least
    cpu_target_ms: float | None = None  # the service worker's CPU per request, at most
    scaled: bool = False
    baseline: Baseline | None = None


def endpoints(rows: int) -> list[Endpoint]:
    """Reads first, the write last: creates grow the table the reads measure."""
    deep = min(rows // 2, 40_000)
    exact_list = Endpoint(
        "list 20 + exact count",
        f"{LIST}&count=exact",
        target_ratio=0.8,
        cpu_target_ms=1.2,
        scaled=True,
    )
    return [
        Endpoint("get by id", PAGES, mode="ids", cpu_target_ms=0.6, scaled=True),
        exact_list,
        # The same list, exact count included, filtered and with each page's author.
        Endpoint(
            "filtered list with an include",
            f"{exact_list.path}&{FILTERED_WITH_AUTHOR}",
            target_ratio=0.8,
            baseline=Baseline(exact_list.name, within=1.5),
        ),
        Endpoint("list 20, estimated count", f"{LIST}&count=estimated", target_ratio=0.7),
        Endpoint(f"list 20, skip {deep:,}", f"{LIST}&skip={deep}", target_ratio=0.7),
        Endpoint(f"list 20, keyset {deep:,} deep", LIST, cursor_depth=deep, target_ratio=0.7),
        Endpoint("create", PAGES, mode="create", writes=True, cpu_target_ms=0.8, scaled=True),
    ]


def select_endpoints(candidates: list[Endpoint], only: list[str]) -> list[Endpoint]:
    """The endpoints whose name contains one of `only` (all when it is empty), and the
    baselines they are read against, in their given order."""
    chosen = {e.name for e in candidates if not only or any(o in e.name for o in only)}
    chosen |= {e.baseline.endpoint for e in candidates if e.name in chosen and e.baseline}
    return [e for e in candidates if e.name in chosen]


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


# --- talking to the apps --------------------------------------------------------------


def request(
    app: AppProcess, method: str, path: str, token: str, body: Any = None
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(HOST, app.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode(errors="replace")
    finally:
        conn.close()


def cursor_at(app: AppProcess, depth: int, token: str) -> str | None:
    """The keyset cursor `depth` rows into the list, by walking it; None if there is none.

    The walk asks for no count (`count=none`) when the app takes that parameter.
    """
    base = f"{PAGES}?limit={CURSOR_WALK_LIMIT}&orderBy[createdAt]=desc"
    path = f"{base}&count=none"
    if request(app, "GET", path, token)[0] == 422:
        path = base
    cursor = None
    for _ in range(depth // CURSOR_WALK_LIMIT):
        query = f"&{CURSOR_PARAM}={urllib.parse.quote(cursor)}" if cursor else ""
        status, body = request(app, "GET", path + query, token)
        if status != 200 or not isinstance(body, dict) or not body.get(NEXT_CURSOR_KEY):
            return None
        cursor = body[NEXT_CURSOR_KEY]
    return cursor


def preflight(app: AppProcess, spec: LoadSpec, seeded: Seeded, token: str) -> str | None:
    """One request like the load's; a message when it does not succeed with 2xx."""
    path = spec.url.removeprefix(app.base_url)
    if spec.mode == "ids":
        status, body = request(app, "GET", path + seeded.page_ids[0], token)
    elif spec.mode == "create":
        page = {
            "title": "Preflight page",
            "slug": f"{CREATED_SLUG_PREFIX}preflight-{slug(app.name)}-{secrets.token_hex(4)}",
            "authorId": seeded.author_ids[0],
        }
        status, body = request(app, "POST", path, token, page)
    else:
        status, body = request(app, "GET", path, token)
    if 200 <= status < 300:
        return None
    return f"{app.name} answered {status}: {str(body)[:160]}"


# --- the run --------------------------------------------------------------------------


@dataclass
class Options:
    rows: int
    duration_s: int
    rounds: int
    connections: int
    threads: int
    json_path: Path | None
    profile_dir: Path | None
    only: list[str]
    service_app: str
    service_env: dict[str, str]
    workers: list[int]


def service_env(database_url: str, secret_key: str, overrides: dict[str, str]) -> dict[str, str]:
    """Production settings: JSON logs at INFO, auth on, no Sentry, one worker."""
    env = dict(os.environ)
    env.update(
        ENVIRONMENT="production",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        LOG_JSON="true",
        LOG_LEVEL="INFO",
        SENTRY_DSN="",
    )
    env.update(overrides)
    return env


def service_pool_size(service_overrides: dict[str, str]) -> int:
    """Connections the service's pool may open per process (DB_POOL_SIZE + DB_MAX_OVERFLOW)."""
    return sum(
        int(service_overrides.get(name, str(Settings.model_fields[name].default)))
        for name in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW")
    )


def reference_env(database_url: str, service_overrides: dict[str, str]) -> dict[str, str]:
    # As many connections as the service's pool may open.
    pool = service_pool_size(service_overrides)
    return dict(os.environ) | {"DATABASE_URL": database_url, "REFERENCE_POOL_SIZE": str(pool)}


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-")


def scaled_name(app: str, workers: int) -> str:
    """ "service", 2 -> "service x2"; one process keeps the plain name."""
    return app if workers == 1 else f"{app} x{workers}"


@dataclass
class Apps:
    """The apps of one run, in the order they are loaded."""

    processes: dict[str, AppProcess]
    application_names: dict[str, str]  # what each app calls its database connections
    workers: dict[str, int]
    skipped: dict[str, str]  # apps that could not be started here, and why


def build_apps(options: Options, database_url: str, secret_key: str, work: Path) -> Apps:
    """The service and the peer with each process count asked for, and the reference."""
    apps = Apps({}, {}, {}, {})
    pool = service_pool_size(options.service_env)
    try:
        node_server: Command | None = peer_command()
    except NodeUnavailable as exc:
        node_server = None
        apps.skipped["peer"] = str(exc)
    for workers in options.workers:
        name = scaled_name("service", workers)
        apps.application_names[name] = f"bench {name}"
        overrides = options.service_env | {
            "WEB_CONCURRENCY": str(workers),
            "PROJECT_NAME": apps.application_names[name],  # the service's application_name
        }
        apps.processes[name] = AppProcess(
            name,
            uvicorn_command(options.service_app, workers),
            service_env(database_url, secret_key, overrides),
            work / f"{slug(name)}.log",
        )
        apps.workers[name] = workers
        if node_server is not None:
            name = scaled_name("peer", workers)
            apps.application_names[name] = f"bench {name}"
            env = peer_env(
                database_url,
                secret_key,
                workers=workers,
                pool_size=pool,
                application_name=apps.application_names[name],
            )
            apps.processes[name] = AppProcess(name, node_server, env, work / f"{slug(name)}.log")
            apps.workers[name] = workers
        if workers == 1:
            apps.processes["reference"] = AppProcess(
                "reference",
                uvicorn_command("scripts.bench.reference:app"),
                reference_env(database_url, options.service_env),
                work / "reference.log",
            )
            apps.application_names["reference"] = REFERENCE_APPLICATION_NAME
            apps.workers["reference"] = 1
    return apps


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk_version = subprocess.run(
        ["wrk", "--version"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "wrk": wrk_version[0] if wrk_version else "unknown",
    }


def bench(options: Options) -> dict[str, Any]:
    wrk = ensure_wrk()
    info = machine()
    secret_key = secrets.token_urlsafe(48)
    token = create_token(secret_key, "bench", expires_in=timedelta(hours=6))
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        database_url = stack.enter_context(throwaway_database("bench"))
        print(f"seeding {options.rows:,} pages ...", flush=True)
        started = time.perf_counter()
        database = prepare_database(database_url, options.rows)
        seeded, postmaster = database.seeded, database.postmaster
        info["postgresql"] = database.version
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
        ids_file = work / "page_ids.txt"
        ids_file.write_text("\n".join(seeded.page_ids) + "\n")
        authors_file = work / "author_ids.txt"
        authors_file.write_text("\n".join(seeded.author_ids) + "\n")

        plan = build_apps(options, database_url, secret_key, work)
        apps = plan.processes
        for name, reason in plan.skipped.items():
            print(f"  {name} skipped: {reason}", flush=True)
        for app in apps.values():
            stack.callback(app.stop)  # whatever happens, every app is stopped

        def spec_for(endpoint: Endpoint, app: AppProcess, path: str) -> LoadSpec:
            ids = {"ids": ids_file, "create": authors_file}.get(endpoint.mode)
            return LoadSpec(url=app.base_url + path, mode=endpoint.mode, ids_file=ids)

        def load(endpoint: Endpoint, app: AppProcess, path: str, duration: int, tag: str) -> WrkRun:
            connections_before = db_connections(database_url)
            app_before, db_before = app.cpu_s(), cpu.server_cpu_s(postmaster)
            result = run_wrk(
                wrk,
                spec_for(endpoint, app, path),
                token=token,
                run_tag=f"{CREATED_SLUG_PREFIX}{tag}",
                duration_s=duration,
                connections=options.connections,
                threads=options.threads,
            )
            app_after, db_after = app.cpu_s(), cpu.server_cpu_s(postmaster)
            connections = db_connections(database_url)
            result = replace(
                result,
                app_cpu_s=_delta(app_before, app_after),
                db_cpu_s=_delta(db_before, db_after),
                # Less the connection that reads the counter.
                db_sessions=connections.opened - connections_before.opened - 1,
                db_held=connections.held.get(plan.application_names[app.name], 0),
            )
            if endpoint.writes:
                forget_created_pages(database_url, database.seeded_until)
            return result

        def measure(endpoint: Endpoint, running: dict[str, AppProcess], row: Row) -> None:
            """Load `endpoint` on the running apps, in alternation, into `row`."""
            paths, skipped = prepare_paths(endpoint, running, token)
            row.skipped.update(skipped)
            for name in list(paths):
                problem = preflight(
                    apps[name], spec_for(endpoint, apps[name], paths[name]), seeded, token
                )
                if problem:
                    row.skipped[name] = problem
                    del paths[name]
            if endpoint.writes:
                forget_created_pages(database_url, database.seeded_until)
            for name in running:
                if name in row.skipped:
                    print(f"{endpoint.name}: {name} skipped ({row.skipped[name]})", flush=True)
            if "service" in paths:
                service_paths[endpoint] = paths["service"]
            if not paths:
                return
            print(f"{endpoint.name}:", end="", flush=True)
            for name in paths:
                load(endpoint, apps[name], paths[name], WARMUP_S, f"warm-{slug(name)}")
            for round_no in range(options.rounds):
                order = list(paths) if round_no % 2 == 0 else list(paths)[::-1]
                for name in order:
                    tag = f"{slug(name)}-{round_no}"
                    result = load(endpoint, apps[name], paths[name], options.duration_s, tag)
                    row.runs[name].append(result)
                    print(
                        f" {name} {result.requests / result.duration_s:,.0f}/s",
                        end="",
                        flush=True,
                    )
            print(flush=True)

        selected = select_endpoints(endpoints(options.rows), options.only)
        rows = {
            e.name: Row(
                e.name,
                e.target_ratio,
                e.cpu_target_ms,
                [name for name in apps if e.scaled or plan.workers[name] == 1],
                baseline=e.baseline,
            )
            for e in selected
        }
        rows_out = list(rows.values())
        service_paths: dict[Endpoint, str] = {}  # for the profile pass
        resources: dict[str, dict[str, Any]] = {}
        profiles: dict[str, Any] = {}
        # One phase per process count: the apps of a phase alternate with each other, and
        # the others are stopped (their pools would exceed the server's max_connections).
        for workers in options.workers:
            running = {name: app for name, app in apps.items() if plan.workers[name] == workers}
            for app in running.values():
                app.start()
                print(f"  {app.name} up in {app.cold_start_s:.2f} s on {app.base_url}", flush=True)
            for endpoint in selected:
                if workers == 1 or endpoint.scaled:
                    measure(endpoint, running, rows[endpoint.name])
            for name, app in running.items():
                resources[name] = {
                    "peak_rss_mb": app.peak_rss_mb(),
                    "cold_start_s": app.cold_start_s,
                }
            if workers == 1 and options.profile_dir is not None:
                profiles = profile_service(
                    apps["service"],
                    service_paths,
                    options,
                    lambda endpoint, path, seconds: load(
                        endpoint, apps["service"], path, seconds, "profile"
                    ),
                )
            for app in running.values():
                app.stop()
        log_lines = sum(1 for _ in (work / "service.log").open("rb"))

    settings = {
        "service_app": options.service_app,
        "service_env": options.service_env,
        "workers": options.workers,
        "apps": list(apps),
        "apps_skipped": plan.skipped,
        "rows": options.rows,
        "duration_s": options.duration_s,
        "rounds": options.rounds,
        "connections": options.connections,
        "wrk_threads": options.threads,
    }
    return report(settings, info, rows_out, resources, log_lines, profiles)


def prepare_paths(
    endpoint: Endpoint, apps: dict[str, AppProcess], token: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Each app's path for this endpoint, and why the others cannot be loaded."""
    if endpoint.cursor_depth is None:
        return dict.fromkeys(apps, endpoint.path), {}
    paths, skipped = {}, {}
    for name, app in apps.items():
        cursor = cursor_at(app, endpoint.cursor_depth, token)
        if cursor is None:
            skipped[name] = f"its list has no '{NEXT_CURSOR_KEY}' to follow"
        else:
            paths[name] = f"{endpoint.path}&{CURSOR_PARAM}={urllib.parse.quote(cursor)}"
    return paths, skipped


def profile_service(
    service: AppProcess,
    paths: dict[Endpoint, str],
    options: Options,
    load: Callable[[Endpoint, str, int], WrkRun],
) -> dict[str, Any]:
    """A separate pass, after the measured ones: py-spy samples the service under load
    on each endpoint it was measured on, at the same path."""
    assert options.profile_dir is not None
    options.profile_dir.mkdir(parents=True, exist_ok=True)
    found: dict[str, Any] = {}
    for endpoint, path in paths.items():
        slug = "".join(c if c.isalnum() else "-" for c in endpoint.name).strip("-")
        output = options.profile_dir / f"{slug}.txt"
        with profile.sampling(service.pid, output, options.duration_s):
            load(endpoint, path, options.duration_s)
        found[endpoint.name] = profile.summarize(output)
        print(f"profiled {endpoint.name}: {output}", flush=True)
    return found


def parse_args(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench",
        description="The service against a Prisma Client peer and a bare asyncpg reference.",
    )
    parser.add_argument("--rows", type=int, default=10_000, help="pages to seed (default 10000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs per app and endpoint (default 2)"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the results here")
    parser.add_argument(
        "--profile",
        type=Path,
        dest="profile_dir",
        help="after measuring, sample the service with py-spy into this folder",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="endpoints whose name contains this (repeatable), and those they are read against",
    )
    parser.add_argument(
        "--service-app",
        default="app.main:app",
        help="ASGI app to measure as the service (default app.main:app)",
    )
    parser.add_argument(
        "--workers",
        default="1,2",
        help="process counts to run the service and the peer with, comma-separated, "
        "1 among them (default 1,2)",
    )
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the service on top of the production ones (repeatable)",
    )
    args = parser.parse_args(argv)
    overrides = dict(item.partition("=")[::2] for item in args.service_env)
    try:
        workers = sorted({int(count) for count in args.workers.split(",")})
    except ValueError:
        parser.error(f"--workers takes whole numbers separated by commas, not {args.workers!r}")
    if workers[0] != 1:
        parser.error("--workers must include 1 (the one-process apps are the baseline)")
    if args.rows < 100 or args.duration < 1 or args.rounds < 1 or args.connections < 1:
        parser.error("--rows >= 100, --duration >= 1, --rounds >= 1, --connections >= 1")
    return Options(
        rows=args.rows,
        duration_s=args.duration,
        rounds=args.rounds,
        connections=args.connections,
        threads=args.threads,
        json_path=args.json_path,
        profile_dir=args.profile_dir,
        only=args.only,
        service_app=args.service_app,
        service_env=overrides,
        workers=workers,
    )


class Stopped(Exception):
    """A signal asked the benchmark to stop: unwind, so every process is stopped."""


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop(signum: int, _frame: object) -> None:
    for other in _STOP_SIGNALS:  # let the clean-up itself run uninterrupted
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signal.Signals(signum).name)


def main(argv: list[str]) -> int:
    options = parse_args(argv)
    # Also when started in the background, where SIGINT may be ignored.
    for signum in _STOP_SIGNALS:
        signal.signal(signum, _stop)
    try:
        result = bench(options)
    except LoadGeneratorMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Stopped as exc:
        print(f"\nstopped by {exc}; every process it started is stopped", file=sys.stderr)
        return 130
    print()
    print(render(result))
    if options.json_path is not None:
        options.json_path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {options.json_path}")
    return 0
