"""The harness loads what its table says it loads."""

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.bench.apps import AppProcess, uvicorn_command
from scripts.bench.load import WrkRun
from scripts.bench.report import Baseline, Row, render, report
from scripts.bench.runner import LIST, cursor_at, endpoints, request, select_endpoints
from tests.bench.conftest import BenchDatabase

REFERENCE = uvicorn_command("scripts.bench.reference:app")


@pytest.fixture(scope="module")
def served_reference(
    bench_database: BenchDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppProcess]:
    """The reference app behind uvicorn on loopback, as the benchmark runs it."""
    log = tmp_path_factory.mktemp("bench") / "reference.log"
    env = dict(os.environ) | {"DATABASE_URL": bench_database.url}
    app = AppProcess("reference", REFERENCE, env, Path(log))
    app.start()
    try:
        yield app
    finally:
        app.stop()


def test_the_keyset_cursor_is_found_as_many_rows_deep_as_asked(
    served_reference: AppProcess,
) -> None:
    cursor = cursor_at(served_reference, 200, token="unused")
    assert cursor is not None
    status, from_cursor = request(served_reference, "GET", f"{LIST}&cursor={cursor}", "unused")
    _, from_skip = request(served_reference, "GET", f"{LIST}&skip=200", "unused")
    assert status == 200
    assert [p["id"] for p in from_cursor["data"]] == [p["id"] for p in from_skip["data"]]


def test_a_stopped_app_leaves_no_process_behind(
    bench_database: BenchDatabase, tmp_path: Path
) -> None:
    env = dict(os.environ) | {"DATABASE_URL": bench_database.url}
    app = AppProcess("reference", REFERENCE, env, tmp_path / "reference.log")
    app.start()
    assert app.cold_start_s is not None
    app.stop()
    assert app.process is not None and app.process.returncode is not None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", app.port), timeout=1).close()


def _run(requests: int, cpu_s: float) -> WrkRun:
    return WrkRun(
        requests=requests,
        duration_s=10.0,
        non_2xx=0,
        socket_errors=0,
        timeouts=0,
        p50_ms=5.0,
        p99_ms=20.0,
        app_cpu_s=cpu_s,
        db_cpu_s=1.0,
        db_sessions=0,
        db_held=20,
    )


def test_the_table_pairs_each_app_with_its_counterpart() -> None:
    apps = ["service", "peer", "reference", "service x2", "peer x2"]
    row = Row("get by id", target_ratio=0.5, cpu_target_ms=0.6, apps=apps)
    for app, requests in zip(apps, (6000, 8000, 12000, 9000, 15000), strict=True):
        row.runs[app].append(_run(requests, cpu_s=requests / 2000))
    resources = {app: {"peak_rss_mb": 80.0, "cold_start_s": 1.0} for app in apps}
    settings = {"rows": 100, "connections": 32, "rounds": 1, "duration_s": 10}
    machine = {"cores": 2, "cpu": "test", "load_average_at_start": [0.0]}
    result = report(settings, machine, [row], resources, log_lines=0, profiles={})

    assert result["endpoints"][0]["ratios"] == {
        "service/peer": 0.75,
        "service/reference": 0.5,
        "peer/reference": 8000 / 12000,
        "service x2/peer x2": 0.6,
        "service x2/service": 1.5,
        "peer x2/peer": 15000 / 8000,
    }
    met = {check["target"]: check["met"] for check in result["targets"]}
    assert met["get by id: req/s >= 1.0 x peer"] is False
    assert met["get by id: req/s >= 0.5 x reference"] is True
    assert met["get by id: CPU ms/req <= 0.6"] is True  # 0.5 ms per request
    table = render(result)
    service_x2 = next(line for line in table.splitlines() if "service x2" in line)
    assert "0.60" in service_x2 and "1.50" in service_x2


def test_a_row_is_read_against_its_baseline_app_by_app() -> None:
    apps = ["service", "peer", "reference"]
    plain = Row("plain list", target_ratio=0.8, cpu_target_ms=None, apps=apps)
    baseline = Baseline("plain list", within=1.5)
    filtered = Row("filtered list", 0.8, None, apps=apps, baseline=baseline)
    for app, plain_requests, filtered_requests in (
        ("service", 6000, 3000),
        ("peer", 4000, 3000),
        ("reference", 8000, 6000),
    ):
        plain.runs[app].append(_run(plain_requests, cpu_s=1.0))
        filtered.runs[app].append(_run(filtered_requests, cpu_s=1.0))
    resources = {app: {"peak_rss_mb": 80.0, "cold_start_s": 1.0} for app in apps}
    settings = {"rows": 100, "connections": 32, "rounds": 1, "duration_s": 10}
    machine = {"cores": 2, "cpu": "test", "load_average_at_start": [0.0]}
    result = report(settings, machine, [plain, filtered], resources, log_lines=0, profiles={})

    assert result["endpoints"][1]["baseline"]["ratios"] == {
        "service": 0.5,
        "peer": 0.75,
        "reference": 0.75,
    }
    met = {check["target"]: check["met"] for check in result["targets"]}
    assert met["filtered list: req/s within 1.5 x plain list's (>= 0.67)"] is False
    assert "filtered list over plain list" in render(result)


def test_only_also_selects_the_rows_a_selected_one_is_read_against() -> None:
    every = endpoints(10_000)
    with_baseline = next(e for e in every if e.baseline is not None)
    selected = select_endpoints(every, [with_baseline.name])
    assert with_baseline.baseline is not None
    assert [e.name for e in selected] == [with_baseline.baseline.endpoint, with_baseline.name]
    assert select_endpoints(every, []) == every
