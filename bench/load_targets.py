"""The verdicts of `make bench` on the targets of issues 8 and 16, each beside the baseline
measured in the same run."""

from typing import Any

from bench.figures import Latency, ratio, show, table
from bench.load_report import Step, added_cpu, cost_of, judged_step, ms, verdict
from bench.target import SERVICES

TARGET_WORK_P99_MS = 250
TARGET_MAIL_P99_MS = 500
TARGET_SUBMIT_P99_MS = 100
TARGET_CLEARED_S = 10.0  # issue 16: after 100/s for 10 s
TARGET_CEILING_RATIO = 0.40
TARGET_RSS_MB = 200
TARGET_ROUTING_GROWTH = 2.0
TARGET_DB_COMMANDS = 12  # issue 16: submission through routed and two mails
TARGET_CPU_MS = 30.0  # issue 16: in all processes together

Check = tuple[str, str, str, bool | None]


def below(value: float | None, limit: float) -> bool | None:
    return None if value is None else value < limit


def latency_checks(top: Step, results: dict[str, Any]) -> list[Check]:
    bare = {step.rate: step for step in results["bare_litestar"]}.get(top.rate)
    trips = {t.get("rate"): t["latency"] for t in results["kafka_round_trip"]}
    trip: Latency | None = trips.get(top.rate)
    work = top.work_item.p99 if top.work_item else None
    mail = top.mail.p99 if top.mail else None
    return [
        (
            f"submission → work item p99 < {TARGET_WORK_P99_MS} ms at {top.label}",
            show(work, " ms"),
            f"Kafka round trip p99 {ms(trip, 'p99')} ms",
            below(work, TARGET_WORK_P99_MS),
        ),
        (
            f"submission → mail p99 < {TARGET_MAIL_P99_MS} ms at {top.label}",
            show(mail, " ms"),
            "",
            below(mail, TARGET_MAIL_P99_MS),
        ),
        (
            f"submit p99 < {TARGET_SUBMIT_P99_MS} ms at {top.label}",
            show(top.submit.p99, " ms"),
            f"bare Litestar p99 {ms(bare.submit if bare else None, 'p99')} ms",
            below(top.submit.p99, TARGET_SUBMIT_P99_MS),
        ),
    ]


def burst_checks(burst: Step | None) -> list[Check]:
    if burst is None:
        return [("a burst: nothing lost, backlog cleared in 10 s", "not run", "", None)]
    refused = burst.sent - burst.accepted
    lost = max(burst.not_delivered, burst.not_mailed)
    cleared = burst.cleared_after_s
    return [
        (
            f"{burst.label}: nothing lost (refused, accepted but not delivered or mailed)",
            f"{refused} refused, {lost} lost of {burst.sent}",
            "",
            refused == 0 and lost == 0,
        ),
        (
            f"{burst.label}: backlog cleared within {TARGET_CLEARED_S:g} s after the burst",
            show(cleared, " s") if cleared is not None else "not cleared",
            "",
            cleared is not None and cleared <= TARGET_CLEARED_S,
        ),
    ]


def targets_table(results: dict[str, Any]) -> str:
    ours: list[Step] = results["ours"]
    top = judged_step(ours)
    ceiling = results["ceiling"]
    ceiling_ratio = ratio(ceiling["ours"], ceiling["bare_litestar"])
    # Skipped by --load-only: the routing check then reads "n/a".
    cost = results.get("routing_cost", {}).get("results") or [{"areas": 10}, {"areas": 10_000}]
    growth = (
        cost[-1]["indexed_median_us"] / cost[0]["indexed_median_us"]
        if "indexed_median_us" in cost[0]
        else None
    )
    service_peaks = [top.peak_rss_mb[name] for name in SERVICES if name in top.peak_rss_mb]
    heaviest = max(service_peaks, default=None)
    top_db, top_cpu = cost_of(top)
    added = added_cpu(top)
    bare_cpu = {
        s.rate: s.cost.cpu_ms.get("bare_litestar") for s in results["bare_litestar"] if s.cost
    }
    checks: list[Check] = [
        *latency_checks(top, results),
        *burst_checks(results.get("burst")),
        (
            f"sustained submissions ≥ {TARGET_CEILING_RATIO:.0%} of bare Litestar",
            show(ceiling_ratio and ceiling_ratio * 100, " %"),
            f"ours {show(ceiling['ours'])}/s, bare {show(ceiling['bare_litestar'])}/s",
            None if ceiling_ratio is None else ceiling_ratio >= TARGET_CEILING_RATIO,
        ),
        (
            f"database commands per report ≤ {TARGET_DB_COMMANDS} at {top.label}",
            show(top_db),
            "",
            None if top_db is None else top_db <= TARGET_DB_COMMANDS,
        ),
        (
            f"CPU per report ≤ {TARGET_CPU_MS:g} ms in all processes at {top.label}",
            f"{show(top_cpu, ' ms')} (added {show(added, ' ms')})",
            f"bare Litestar {show(bare_cpu.get(top.rate), ' ms', 2)}",
            None if top_cpu is None else top_cpu <= TARGET_CPU_MS,
        ),
        (
            f"routing cost at {cost[-1]['areas']:,} areas ≤ 2× that at {cost[0]['areas']}",
            show(growth, "×", 2),
            "",
            None if growth is None else growth <= TARGET_ROUTING_GROWTH,
        ),
        (
            f"every service < {TARGET_RSS_MB} MB RSS at {top.label}",
            show(heaviest, " MB"),
            "",
            None
            if len(service_peaks) < len(SERVICES)
            else all(peak < TARGET_RSS_MB for peak in service_peaks),
        ),
    ]
    rows = [[name, found, base, verdict(met)] for name, found, base, met in checks]
    return table(["target", "measured", "baseline, same run", ""], rows)
