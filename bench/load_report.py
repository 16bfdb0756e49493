"""The printed tables of `make bench` and the verdict on each target of issue 8."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.costs import PerReport
from bench.figures import Latency, ratio, show, table
from bench.target import COMPONENTS, OPTIONAL, SERVICES

TARGET_WORK_P99_MS = 250
TARGET_MAIL_P99_MS = 500
TARGET_CEILING_RATIO = 0.30
TARGET_RSS_MB = 200
TARGET_ROUTING_GROWTH = 2.0
TARGET_DB_COMMANDS = 12  # issue 16: submission through routed and two mails
TARGET_CPU_MS = 30.0  # issue 16: in all processes together
SHOWN_FROM = 0.05  # commands per report; rarer ones (timers, scrapes) stay in the JSON only


@dataclass
class Step:
    """One rate step against one endpoint."""

    rate: float
    sent: int
    accepted: int
    errors: dict[str, int]
    achieved_per_second: float
    submit: Latency
    work_item: Latency | None = None
    mail: Latency | None = None
    not_delivered: int = 0
    not_mailed: int = 0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    # Database commands and CPU time per accepted report, over the step and its settling.
    cost: PerReport | None = None
    # Every measurement in seconds, by what was measured: the raw figures behind the summaries.
    raw: dict[str, list[float]] = field(default_factory=dict)


def ms(latency: Latency | None, which: str) -> str:
    return show(getattr(latency, which) if latency else None)


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "MISSED")


def cost_of(step: Step) -> tuple[float | None, float | None]:
    """Database commands and CPU ms per report, each summed over all that was read."""
    if step.cost is None:
        return None, None
    db = [step.cost.db_total(service) for service in SERVICES]
    measured = step.cost.cpu_ms
    cpu = [measured.get(name) for name in COMPONENTS if name not in OPTIONAL or name in measured]
    return (
        None if None in db else sum(v for v in db if v is not None),
        None if None in cpu else sum(v for v in cpu if v is not None),
    )


def cost_tables(ours: Sequence[Step], bare: Sequence[Step]) -> list[str]:
    lines = ["", "work per report: database commands (each service's /metrics), CPU ms (/proc)", ""]
    rows = []
    for step, base in zip(ours, bare, strict=True):
        cost = step.cost or PerReport({}, {})
        db_total, cpu_total = cost_of(step)
        bare_cpu = base.cost.cpu_ms.get("bare_litestar") if base.cost else None
        rows.append(
            [
                f"{step.rate:g}/s",
                *(show(cost.db_total(service)) for service in SERVICES),
                show(db_total),
                *(show(cost.cpu_ms.get(name)) for name in COMPONENTS),
                show(cpu_total),
                show(bare_cpu, digits=2),
                show(ratio(cpu_total, bare_cpu), "×"),
            ]
        )
    headers = ["rate", *(f"db {s}" for s in SERVICES), "db all"]
    headers += [*(f"cpu {name}" for name in COMPONENTS), "cpu all", "cpu bare", "all / bare"]
    lines.append(table(headers, rows))
    top = ours[-1]
    if top.cost is not None:
        lines += ["", f"database commands per report at {top.rate:g}/s", ""]
        rows = [
            [service, command, show(count, digits=2)]
            for service, commands in top.cost.db_commands.items()
            for command, count in commands.items()
            if count >= SHOWN_FROM
        ]
        lines.append(table(["service", "command collection", "per report"], rows))
    return lines


def report(results: dict[str, Any], rates: Sequence[float]) -> str:
    ours: list[Step] = results["ours"]
    bare: list[Step] = results["bare_litestar"]
    kafka: list[dict[str, Any]] = results["kafka_round_trip"]
    lines = ["", "submissions, open loop (latency in ms from the scheduled time)", ""]
    rows = []
    for step, base in zip(ours, bare, strict=True):
        rows.append(
            [
                f"{step.rate:g}/s",
                show(step.sent),
                show(step.accepted),
                ", ".join(f"{k}: {v}" for k, v in step.errors.items()) or "0",
                show(step.achieved_per_second),
                ms(step.submit, "p50"),
                ms(step.submit, "p95"),
                ms(step.submit, "p99"),
                ms(base.submit, "p50"),
                ms(base.submit, "p99"),
                show(ratio(step.submit.p99, base.submit.p99), "×", 2),
            ]
        )
    headers = ["rate", "sent", "201", "errors", "achieved/s", "p50", "p95", "p99"]
    lines.append(table([*headers, "bare p50", "bare p99", "p99 / bare"], rows))
    lines += ["", "end to end (ms from the scheduled submission)", ""]
    rows = []
    for step, trip in zip(ours, kafka, strict=True):
        kafka_latency: Latency = trip["latency"]
        rows.append(
            [
                f"{step.rate:g}/s",
                ms(step.work_item, "p50"),
                ms(step.work_item, "p95"),
                ms(step.work_item, "p99"),
                ms(step.mail, "p50"),
                ms(step.mail, "p95"),
                ms(step.mail, "p99"),
                ms(kafka_latency, "p50"),
                ms(kafka_latency, "p99"),
                show(ratio(step.work_item.p99 if step.work_item else None, kafka_latency.p99), "×"),
                f"{step.not_delivered}/{step.not_mailed}",
            ]
        )
    headers = ["rate", "work p50", "work p95", "work p99", "mail p50", "mail p95", "mail p99"]
    headers += ["kafka p50", "kafka p99", "work p99 / kafka", "missing work/mail"]
    lines.append(table(headers, rows))
    ceiling_ratio = ratio(results["ceiling"]["ours"], results["ceiling"]["bare_litestar"])
    lines += ["", "sustained submissions (closed loop, ceiling)", ""]
    lines.append(
        table(
            ["", "ours /s", "bare Litestar /s", "ours / bare"],
            [
                [
                    f"{results['ceiling']['workers']} clients, {results['ceiling']['seconds']:g} s",
                    show(results["ceiling"]["ours"]),
                    show(results["ceiling"]["bare_litestar"]),
                    show(ceiling_ratio, "×", 2),
                ]
            ],
        )
    )
    lines += cost_tables(ours, bare)
    top = ours[-1]
    lines += ["", f"memory (RSS MB): idle, and the peak during {top.rate:g}/s", ""]
    idle: dict[str, float | None] = results["idle_rss_mb"]
    lines.append(
        table(
            ["process", "idle", f"at {top.rate:g}/s"],
            [[name, show(idle.get(name)), show(top.peak_rss_mb.get(name))] for name in COMPONENTS],
        )
    )
    # Skipped by --load-only: the routing check then reads "n/a".
    cost = results.get("routing_cost", {}).get("results") or [{"areas": 10}, {"areas": 10_000}]
    growth = (
        cost[-1]["indexed_median_us"] / cost[0]["indexed_median_us"]
        if "indexed_median_us" in cost[0]
        else None
    )
    at = max(rates)
    top_work = top.work_item.p99 if top.work_item else None
    top_mail = top.mail.p99 if top.mail else None
    service_peaks = [top.peak_rss_mb[name] for name in SERVICES if name in top.peak_rss_mb]
    heaviest = max(service_peaks, default=None)
    top_db, top_cpu = cost_of(top)
    lines += ["", "targets", ""]
    checks: list[tuple[str, str, bool | None]] = [
        (
            f"submission → work item p99 < {TARGET_WORK_P99_MS} ms at {at:g}/s",
            show(top_work, " ms"),
            None if top_work is None else top_work < TARGET_WORK_P99_MS,
        ),
        (
            f"submission → mail p99 < {TARGET_MAIL_P99_MS} ms at {at:g}/s",
            show(top_mail, " ms"),
            None if top_mail is None else top_mail < TARGET_MAIL_P99_MS,
        ),
        (
            f"sustained submissions ≥ {TARGET_CEILING_RATIO:.0%} of bare Litestar",
            show(ceiling_ratio and ceiling_ratio * 100, " %"),
            None if ceiling_ratio is None else ceiling_ratio >= TARGET_CEILING_RATIO,
        ),
        (
            f"routing cost at {cost[-1]['areas']:,} areas ≤ 2× that at {cost[0]['areas']}",
            show(growth, "×", 2),
            None if growth is None else growth <= TARGET_ROUTING_GROWTH,
        ),
        (
            f"every service < {TARGET_RSS_MB} MB RSS at {top.rate:g}/s",
            show(heaviest, " MB"),
            None
            if len(service_peaks) < len(SERVICES)
            else all(peak < TARGET_RSS_MB for peak in service_peaks),
        ),
        (
            f"database commands per report ≤ {TARGET_DB_COMMANDS} at {top.rate:g}/s",
            show(top_db),
            None if top_db is None else top_db <= TARGET_DB_COMMANDS,
        ),
        (
            f"CPU per report ≤ {TARGET_CPU_MS:g} ms in all processes at {top.rate:g}/s",
            show(top_cpu, " ms"),
            None if top_cpu is None else top_cpu <= TARGET_CPU_MS,
        ),
    ]
    lines.append(table(["target", "measured", ""], [[t, m, verdict(v)] for t, m, v in checks]))
    return "\n".join(lines)
