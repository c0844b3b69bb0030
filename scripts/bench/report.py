"""The benchmark's results: one row per endpoint, the targets, the printed table.

Apps are named "service", "peer", "reference", and "service x2", "peer x2" when run
with two processes. Ratios pair each app with its counterpart: the service with the
peer of the same process count, the one-process apps with the reference, and an app
with several processes with its own one-process figure. A row with a baseline is also
read against another row: each app's req/s over its own req/s there, and the service's
has a target.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from scripts.bench import profile
from scripts.bench.load import Summary, WrkRun

SERVICE, PEER, REFERENCE = "service", "peer", "reference"
MAX_PEAK_RSS_MB = 120
MAX_COLD_START_S = 1.5


@dataclass(frozen=True)
class Baseline:
    """Another endpoint a row is measured against, app by app: the service's req/s on
    the row must be within `within` times its req/s on `endpoint` (at least 1/within)."""

    endpoint: str
    within: float


@dataclass
class Row:
    """The measurements of one endpoint on each app."""

    endpoint: str
    target_ratio: float  # the service's req/s over the reference's, at least
    cpu_target_ms: float | None  # the service's CPU per request, at most
    apps: list[str]
    runs: dict[str, list[WrkRun]] = field(init=False)
    skipped: dict[str, str] = field(default_factory=dict)  # app: why it was not loaded
    baseline: Baseline | None = None

    def __post_init__(self) -> None:
        self.runs = {app: [] for app in self.apps}


def _base(app: str) -> tuple[str, str]:
    """("service x2") -> ("service", " x2"); ("peer") -> ("peer", "")."""
    name, _, workers = app.partition(" ")
    return name, f" {workers}" if workers else ""


def ratio_pairs(apps: list[str]) -> dict[str, tuple[str, str]]:
    """Which ratios a row reports, by column: vs peer, vs reference, vs one process."""
    pairs: dict[str, tuple[str, str]] = {}
    for app in apps:
        name, suffix = _base(app)
        if name == SERVICE:
            pairs[f"{app}/{PEER}{suffix}"] = (app, f"{PEER}{suffix}")
        if suffix:
            pairs[f"{app}/{name}"] = (app, name)
        elif name != REFERENCE:
            pairs[f"{app}/{REFERENCE}"] = (app, REFERENCE)
    return pairs


def report(
    settings: dict[str, Any],
    info: dict[str, Any],
    rows: list[Row],
    resources: dict[str, dict[str, Any]],
    log_lines: int,
    profiles: dict[str, Any],
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "settings": settings,
        "endpoints": [],
        "resources": resources,
        "service_log_lines": log_lines,
    }
    for row in rows:
        entry: dict[str, Any] = {
            "endpoint": row.endpoint,
            "target_ratio": row.target_ratio,
            "cpu_target_ms": row.cpu_target_ms,
            "apps": row.apps,
        }
        if row.skipped:
            entry["skipped"] = row.skipped
        summaries = {app: Summary.of(runs) if runs else None for app, runs in row.runs.items()}
        for app, summary in summaries.items():
            entry[app] = asdict(summary) if summary else None
        entry["ratios"] = {}
        for label, (app, other) in ratio_pairs(row.apps).items():
            mine, theirs = summaries.get(app), summaries.get(other)
            if mine and theirs and theirs.rps:
                entry["ratios"][label] = mine.rps / theirs.rps
        result["endpoints"].append(entry)
    for row, entry in zip(rows, result["endpoints"], strict=True):
        if row.baseline is not None:
            entry["baseline"] = baseline_ratios(row.baseline, entry, result["endpoints"])
    if profiles:
        result["profiles"] = profiles
    result["targets"] = check_targets(result)
    return result


def baseline_ratios(
    baseline: Baseline, entry: dict[str, Any], entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """Each app's req/s on `entry` over its req/s on the baseline's endpoint, for the apps
    measured on both (none when the baseline's endpoint was not run)."""
    other = next((e for e in entries if e["endpoint"] == baseline.endpoint), {})
    ratios = {}
    for app in entry["apps"]:
        mine, theirs = entry.get(app), other.get(app)
        if mine and theirs and theirs["rps"]:
            ratios[app] = mine["rps"] / theirs["rps"]
    return {"endpoint": baseline.endpoint, "within": baseline.within, "ratios": ratios}


def _check(target: str, value: float | None, met: bool) -> dict[str, Any]:
    return {"target": target, "value": None if value is None else round(value, 2), "met": met}


def check_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Issues 6 and 16's targets, each with the measured value and whether it is met."""
    checks: list[dict[str, Any]] = []
    for entry in result["endpoints"]:
        service, name = entry.get(SERVICE), entry["endpoint"]
        if not service:
            continue
        reference, peer = entry.get(REFERENCE), entry.get(PEER)
        versus_reference = entry["ratios"].get(f"{SERVICE}/{REFERENCE}")
        if reference and versus_reference is not None:
            target = entry["target_ratio"]
            checks.append(
                _check(
                    f"{name}: req/s >= {target} x reference",
                    versus_reference,
                    versus_reference >= target,
                )
            )
            p99 = service["p99_ms"] / reference["p99_ms"] if reference["p99_ms"] else None
            checks.append(
                _check(f"{name}: p99 <= 3 x reference", p99, p99 is not None and p99 <= 3)
            )
        versus_peer = entry["ratios"].get(f"{SERVICE}/{PEER}")
        if peer and versus_peer is not None:
            checks.append(_check(f"{name}: req/s >= 1.0 x peer", versus_peer, versus_peer >= 1))
            checks.append(
                _check(
                    f"{name}: p99 <= peer's ({peer['p99_ms']:.1f} ms)",
                    service["p99_ms"],
                    service["p99_ms"] <= peer["p99_ms"],
                )
            )
        cpu, cpu_target = service["app_cpu_ms_per_req"], entry["cpu_target_ms"]
        if cpu is not None and cpu_target is not None:
            checks.append(_check(f"{name}: CPU ms/req <= {cpu_target}", cpu, cpu <= cpu_target))
        checks.extend(_baseline_checks(entry))
        failures = service["non_2xx"] + service["errors"]
        checks.append(_check(f"{name}: no non-2xx nor errors", failures, failures == 0))
    service = result["resources"][SERVICE]
    if service["peak_rss_mb"] is not None:
        rss = service["peak_rss_mb"]
        checks.append(
            _check(f"service peak RSS <= {MAX_PEAK_RSS_MB} MB", rss, rss <= MAX_PEAK_RSS_MB)
        )
    cold = service["cold_start_s"]
    checks.append(
        _check(f"service cold start <= {MAX_COLD_START_S} s", cold, cold <= MAX_COLD_START_S)
    )
    return checks


def _baseline_checks(entry: dict[str, Any]) -> list[dict[str, Any]]:
    baseline = entry.get("baseline")
    ratio = baseline["ratios"].get(SERVICE) if baseline else None
    if baseline is None or ratio is None:
        return []
    target = (
        f"{entry['endpoint']}: req/s within {baseline['within']} x "
        f"{baseline['endpoint']}'s (>= {1 / baseline['within']:.2f})"
    )
    return [_check(target, ratio, ratio >= 1 / baseline["within"])]


RATIO_COLUMNS = ("vs peer", "vs ref", "vs x1")


def _ratio_cells(entry: dict[str, Any], app: str) -> list[str]:
    name, suffix = _base(app)
    labels = (
        f"{app}/{PEER}{suffix}",
        f"{app}/{REFERENCE}" if not suffix else None,
        f"{app}/{name}" if suffix else None,
    )
    ratios = entry["ratios"]
    return [f"{ratios[label]:.2f}" if label in ratios else "" for label in labels]


def render(result: dict[str, Any]) -> str:
    settings, info = result["settings"], result["machine"]
    # Wide enough for the longest endpoint name, so that the columns line up.
    width = max([26] + [len(entry["endpoint"]) for entry in result["endpoints"]])
    lines = [
        f"{settings['rows']:,} pages; {settings['connections']} connections, "
        f"{settings['rounds']} x {settings['duration_s']} s per app and endpoint; "
        f"{info['cores']} cores ({info['cpu']}), load at start {info['load_average_at_start']}",
        "vs peer: req/s over the Prisma peer's with as many processes; vs ref: over the "
        "reference's; vs x1: over the same app's with one process",
        "cpu ms/req: CPU time of the app's processes per request; db ms/req: of PostgreSQL; "
        "db conns: connections the app held after a run (new: opened during the runs)",
        "",
        f"{'endpoint':<{width}} {'app':<10} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'non-2xx':>7} {'errors':>6} "
        + " ".join(f"{column:>7}" for column in RATIO_COLUMNS)
        + f" {'cpu ms/req':>10} {'db ms/req':>9} {'db conns':>8} {'new':>5}",
    ]
    for entry in result["endpoints"]:
        for index, app in enumerate(entry["apps"]):
            s = entry[app]
            label = entry["endpoint"] if index == 0 else ""
            if s is None:
                reason = entry.get("skipped", {}).get(app, "not measured")
                lines.append(f"{label:<{width}} {app:<10} skipped: {reason}")
                continue
            ratios = " ".join(f"{cell:>7}" for cell in _ratio_cells(entry, app))
            lines.append(
                f"{label:<{width}} {app:<10} {s['rps']:>7,.0f} "
                f"{s['p50_ms']:>7.2f} {s['p99_ms']:>7.2f} "
                f"{s['non_2xx']:>7} {s['errors']:>6} {ratios} "
                f"{_ms(s['app_cpu_ms_per_req']):>10} {_ms(s['db_cpu_ms_per_req']):>9} "
                f"{_count(s['db_held']):>8} {_count(s['db_sessions']):>5}"
            )
    lines.extend(_baseline_lines(result["endpoints"]))
    lines.append("")
    for name, res in result["resources"].items():
        rss = f"{res['peak_rss_mb']:.1f} MiB" if res["peak_rss_mb"] is not None else "n/a"
        lines.append(f"{name}: peak RSS {rss}, cold start {res['cold_start_s']:.2f} s")
    for name, reason in result["settings"].get("apps_skipped", {}).items():
        lines.append(f"{name}: not run ({reason})")
    lines.append("")
    lines.append("targets (issues 6 and 16):")
    for check in result["targets"]:
        mark = "ok  " if check["met"] else "MISS"
        lines.append(f"  {mark} {check['target']}: {check['value']}")
    for endpoint, top in result.get("profiles", {}).items():
        lines.append("")
        lines.append(f"profile of the service, {endpoint} (share of samples):")
        lines.extend(profile.render(top))
    return "\n".join(lines)


def _baseline_lines(entries: list[dict[str, Any]]) -> list[str]:
    """One line per endpoint measured against another: each app's req/s over its own
    req/s on that endpoint."""
    lines = []
    for entry in entries:
        baseline = entry.get("baseline")
        if not baseline:
            continue
        ratios = baseline["ratios"]
        figures = ", ".join(f"{app} {ratio:.2f}" for app, ratio in ratios.items()) or "n/a"
        lines.append(
            f"{entry['endpoint']} over {baseline['endpoint']}, req/s of the same app: {figures} "
            f"(the service's within {baseline['within']}x, >= {1 / baseline['within']:.2f})"
        )
    return ["", *lines] if lines else []


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _count(value: int | None) -> str:
    return "n/a" if value is None else str(value)
