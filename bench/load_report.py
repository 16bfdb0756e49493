"""The printed tables of `make bench`: latencies, ceilings, the work and memory per report."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.costs import PerReport
from bench.figures import Latency, ratio, show, table
from bench.target import COMPONENTS, OPTIONAL, SERVICES

SHOWN_FROM = 0.05  # commands per report; rarer ones (timers, scrapes) stay in the JSON only
TARGET_RATE = 50.0  # issue 16 judges its targets at 50 reports/s sustained


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
    seconds: float = 0.0
    # From the end of the schedule until the last work item and confirmation mail arrived;
    # None while any is missing.
    cleared_after_s: float | None = None

    @property
    def label(self) -> str:
        return f"{self.rate:g}/s × {self.seconds:g} s" if self.seconds else f"{self.rate:g}/s"


def ms(latency: Latency | None, which: str) -> str:
    return show(getattr(latency, which) if latency else None)


def judged_step(ours: Sequence[Step]) -> Step:
    """The step at the issues' rate, or the highest rate when the run had none at it."""
    at_rate = [step for step in ours if step.rate == TARGET_RATE]
    return max(at_rate or ours, key=lambda step: (step.rate, step.seconds))


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "MISSED")


def measured_components(cost: PerReport) -> list[str]:
    """Every component, less those that need not run (PostgreSQL on SQLite) and did not."""
    return [name for name in COMPONENTS if name not in OPTIONAL or name in cost.cpu_ms]


def cost_of(step: Step) -> tuple[float | None, float | None]:
    """Database commands and gross CPU ms per report, each summed over all that was read."""
    if step.cost is None:
        return None, None
    db = [step.cost.db_total(service) for service in SERVICES]
    return (
        None if None in db else sum(v for v in db if v is not None),
        step.cost.cpu_total(measured_components(step.cost)),
    )


def added_cpu(step: Step) -> float | None:
    """CPU ms per report beyond what the idle system spends in the same time."""
    return None if step.cost is None else step.cost.incremental(measured_components(step.cost))


def cost_tables(
    steps: Sequence[Step], top: Step, bare: Sequence[Step], idle: dict[str, float] | None
) -> list[str]:
    lines = ["", "work per report: database commands (each service's /metrics)", ""]
    rows = []
    for step in steps:
        cost = step.cost or PerReport({}, {})
        db_total, _ = cost_of(step)
        rows.append([step.label, *(show(cost.db_total(s)) for s in SERVICES), show(db_total)])
    lines.append(table(["step", *(f"db {s}" for s in SERVICES), "db all"], rows))
    lines += ["", "CPU ms per report (/proc, every process): gross, idle background, added", ""]
    if idle is not None:
        shares = ", ".join(f"{name} {rate:.1f}" for name, rate in idle.items())
        lines += [f"idle system: {sum(idle.values()):.1f} ms CPU per second ({shares})", ""]
    bare_cpu = {b.rate: b.cost.cpu_ms.get("bare_litestar") for b in bare if b.cost}
    rows = []
    for step in steps:
        cost = step.cost or PerReport({}, {})
        _, gross = cost_of(step)
        added = added_cpu(step)
        base = bare_cpu.get(step.rate)
        rows.append(
            [
                step.label,
                *(show(cost.cpu_ms.get(name)) for name in COMPONENTS),
                show(gross),
                show(None if gross is None or added is None else gross - added),
                show(added),
                show(base, digits=2),
                show(ratio(gross, base), "×"),
            ]
        )
    headers = ["step", *(f"cpu {name}" for name in COMPONENTS), "gross", "background"]
    lines.append(table([*headers, "added", "cpu bare", "gross / bare"], rows))
    if top.cost is not None:
        lines += ["", f"database commands per report at {top.label}", ""]
        rows = [
            [service, command, show(count, digits=2)]
            for service, commands in top.cost.db_commands.items()
            for command, count in commands.items()
            if count >= SHOWN_FROM
        ]
        lines.append(table(["service", "command collection", "per report"], rows))
    return lines


def latency_tables(ours: Sequence[Step], burst: Step | None, results: dict[str, Any]) -> list[str]:
    bare: dict[float, Step] = {b.rate: b for b in results["bare_litestar"]}
    kafka: dict[float, Latency] = {
        trip.get("rate", step.rate): trip["latency"]
        for trip, step in zip(results["kafka_round_trip"], ours, strict=False)
    }
    steps = [*ours, *([burst] if burst else [])]
    lines = ["", "submissions, open loop (latency in ms from the scheduled time)", ""]
    rows = []
    for step in steps:
        base = bare.get(step.rate)
        rows.append(
            [
                step.label,
                show(step.sent),
                show(step.accepted),
                ", ".join(f"{k}: {v}" for k, v in step.errors.items()) or "0",
                show(step.achieved_per_second),
                ms(step.submit, "p50"),
                ms(step.submit, "p95"),
                ms(step.submit, "p99"),
                ms(base.submit if base else None, "p50"),
                ms(base.submit if base else None, "p99"),
                show(ratio(step.submit.p99, base.submit.p99 if base else None), "×", 2),
            ]
        )
    headers = ["step", "sent", "201", "errors", "achieved/s", "p50", "p95", "p99"]
    lines.append(table([*headers, "bare p50", "bare p99", "p99 / bare"], rows))
    lines += ["", "end to end (ms from the scheduled submission)", ""]
    rows = []
    for step in steps:
        trip = kafka.get(step.rate)
        rows.append(
            [
                step.label,
                ms(step.work_item, "p50"),
                ms(step.work_item, "p95"),
                ms(step.work_item, "p99"),
                ms(step.mail, "p50"),
                ms(step.mail, "p95"),
                ms(step.mail, "p99"),
                ms(trip, "p50"),
                ms(trip, "p99"),
                show(
                    ratio(
                        step.work_item.p99 if step.work_item else None, trip.p99 if trip else None
                    ),
                    "×",
                ),
                f"{step.not_delivered}/{step.not_mailed}",
                show(step.cleared_after_s, " s"),
            ]
        )
    headers = ["step", "work p50", "work p95", "work p99", "mail p50", "mail p95", "mail p99"]
    headers += ["kafka p50", "kafka p99", "work p99 / kafka", "missing work/mail", "cleared"]
    lines.append(table(headers, rows))
    return lines


def report(results: dict[str, Any]) -> str:
    """Every table but the targets' (bench/load_targets.py)."""
    ours: list[Step] = results["ours"]
    burst: Step | None = results.get("burst")
    lines = latency_tables(ours, burst, results)
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
    steps = [*ours, *([burst] if burst else [])]
    top = judged_step(ours)
    lines += cost_tables(steps, top, results["bare_litestar"], results.get("idle_cpu_ms_per_s"))
    lines += ["", f"memory (RSS MB): idle, and the peak during {top.label}", ""]
    idle: dict[str, float | None] = results["idle_rss_mb"]
    lines.append(
        table(
            ["process", "idle", f"at {top.rate:g}/s"],
            [[name, show(idle.get(name)), show(top.peak_rss_mb.get(name))] for name in COMPONENTS],
        )
    )
    return "\n".join(lines)
