"""The benchmark's results: one row per endpoint, issue 6's targets, the printed table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from scripts.bench import profile
from scripts.bench.load import Summary, WrkRun

APPS = ("service", "reference")


@dataclass
class Row:
    """The measurements of one endpoint on both apps."""

    endpoint: str
    target_ratio: float
    runs: dict[str, list[WrkRun]] = field(default_factory=lambda: {app: [] for app in APPS})
    skipped: dict[str, str] = field(default_factory=dict)  # app: why it was not loaded

    def summary(self, app: str) -> Summary | None:
        return Summary.of(self.runs[app]) if self.runs[app] else None

    def ratio(self) -> float | None:
        service, reference = self.summary("service"), self.summary("reference")
        if service is None or reference is None or reference.rps == 0:
            return None
        return service.rps / reference.rps


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
        entry: dict[str, Any] = {"endpoint": row.endpoint, "target_ratio": row.target_ratio}
        if row.skipped:
            entry["skipped"] = row.skipped
        for app in APPS:
            summary = row.summary(app)
            entry[app] = asdict(summary) if summary else None
        entry["ratio"] = row.ratio()
        result["endpoints"].append(entry)
    if profiles:
        result["profiles"] = profiles
    result["targets"] = check_targets(result)
    return result


def check_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 6's targets, each with the measured value and whether it is met."""
    checks: list[dict[str, Any]] = []
    for entry in result["endpoints"]:
        service, reference = entry["service"], entry["reference"]
        if not service or not reference:
            continue
        name = entry["endpoint"]
        checks.append(
            {
                "target": f"{name}: req/s >= {entry['target_ratio']} x reference",
                "value": round(entry["ratio"], 2),
                "met": entry["ratio"] >= entry["target_ratio"],
            }
        )
        p99_ratio = service["p99_ms"] / reference["p99_ms"] if reference["p99_ms"] else None
        checks.append(
            {
                "target": f"{name}: p99 <= 3 x reference",
                "value": None if p99_ratio is None else round(p99_ratio, 2),
                "met": p99_ratio is not None and p99_ratio <= 3,
            }
        )
        checks.append(
            {
                "target": f"{name}: no non-2xx nor errors",
                "value": service["non_2xx"] + service["errors"],
                "met": service["non_2xx"] + service["errors"] == 0,
            }
        )
    service = result["resources"]["service"]
    if service["peak_rss_mb"] is not None:
        checks.append(
            {
                "target": "service peak RSS <= 150 MB",
                "value": round(service["peak_rss_mb"], 1),
                "met": service["peak_rss_mb"] <= 150,
            }
        )
    checks.append(
        {
            "target": "service cold start <= 2 s",
            "value": round(service["cold_start_s"], 2),
            "met": service["cold_start_s"] <= 2,
        }
    )
    return checks


def render(result: dict[str, Any]) -> str:
    settings, info = result["settings"], result["machine"]
    lines = [
        f"{settings['rows']:,} pages; {settings['connections']} connections, "
        f"{settings['rounds']} x {settings['duration_s']} s per app and endpoint; "
        f"{info['cores']} cores ({info['cpu']}), load at start {info['load_average_at_start']}",
        "cpu ms/req: CPU time of the app's worker per request; db ms/req: of PostgreSQL; "
        "db conns: database connections the app opened during the runs",
        "",
        f"{'endpoint':<28} {'app':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx':>8} {'errors':>7} {'ratio':>6} {'cpu ms/req':>10} {'db ms/req':>9} "
        f"{'db conns':>8}",
    ]
    for entry in result["endpoints"]:
        for app in APPS:
            s = entry[app]
            label = entry["endpoint"] if app == "service" else ""
            if s is None:
                reason = entry.get("skipped", {}).get(app, "not measured")
                lines.append(f"{label:<28} {app:<10} skipped: {reason}")
                continue
            ratio = f"{entry['ratio']:.2f}" if app == "service" and entry["ratio"] else ""
            lines.append(
                f"{label:<28} {app:<10} {s['rps']:>8,.0f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} "
                f"{s['non_2xx']:>8} {s['errors']:>7} {ratio:>6} "
                f"{_ms(s['app_cpu_ms_per_req']):>10} {_ms(s['db_cpu_ms_per_req']):>9} "
                f"{s['db_sessions'] if s['db_sessions'] is not None else 'n/a':>8}"
            )
    lines.append("")
    for name in APPS:
        res = result["resources"][name]
        rss = f"{res['peak_rss_mb']:.1f} MiB" if res["peak_rss_mb"] is not None else "n/a"
        lines.append(f"{name}: peak RSS {rss}, cold start {res['cold_start_s']:.2f} s")
    lines.append("")
    lines.append("targets (issue 6):")
    for check in result["targets"]:
        mark = "ok  " if check["met"] else "MISS"
        lines.append(f"  {mark} {check['target']}: {check['value']}")
    for endpoint, top in result.get("profiles", {}).items():
        lines.append("")
        lines.append(f"profile of the service, {endpoint} (share of samples):")
        lines.extend(profile.render(top))
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
