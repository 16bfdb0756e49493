"""The printed tables and verdicts of `make bench`: each target of issues 8 and 16 met or
missed by the figures, the CPU per report gross and beyond the idle system's."""

from typing import Any

from bench.costs import PerReport
from bench.figures import Latency
from bench.load_report import Step, report
from bench.load_targets import targets_table
from bench.target import COMPONENTS, SERVICES


def step(
    rate: float,
    submit_ms: float,
    work_ms: float,
    mail_ms: float,
    rss_mb: float,
    db_commands: float = 3.0,
    cpu_ms: float = 4.0,
    background_ms: float = 1.0,
) -> Step:
    """A step whose cost per report is spread evenly over the services and processes."""
    return Step(
        rate=rate,
        sent=100,
        accepted=100,
        errors={},
        achieved_per_second=rate,
        submit=Latency.of_seconds([submit_ms / 1000]),
        work_item=Latency.of_seconds([work_ms / 1000]),
        mail=Latency.of_seconds([mail_ms / 1000]),
        peak_rss_mb=dict.fromkeys(COMPONENTS, rss_mb),
        cost=PerReport(
            {service: {"find reports": db_commands} for service in SERVICES},
            dict.fromkeys(COMPONENTS, cpu_ms),
            dict.fromkeys(COMPONENTS, background_ms),
        ),
        seconds=30,
        cleared_after_s=1.5,
    )


def results(top: Step, ours_ceiling: float, burst: Step | None = None) -> dict[str, Any]:
    return {
        "ours": [step(25, 10, 50, 90, 100), top],
        "burst": burst or step(100, 30, 2000, 4000, 150),
        "bare_litestar": [step(25, 2, 0, 0, 0), step(50, 2, 0, 0, 0)],
        "kafka_round_trip": [
            {"rate": rate, "latency": Latency.of_seconds([0.004])} for rate in (25, 50)
        ],
        "ceiling": {"workers": 32, "seconds": 5, "ours": ours_ceiling, "bare_litestar": 1000.0},
        "idle_cpu_ms_per_s": dict.fromkeys(COMPONENTS, 2.0),
        "idle_rss_mb": dict.fromkeys(COMPONENTS, 80.0),
        "routing_cost": {
            "results": [
                {"areas": 10, "indexed_median_us": 8.0},
                {"areas": 10_000, "indexed_median_us": 11.0},
            ]
        },
    }


def verdicts(figures: dict[str, Any]) -> dict[str, str]:
    targets = targets_table(figures).splitlines()[2:]
    return {line.split("|")[0].strip(): line.split("|")[-1].strip() for line in targets}


def test_figures_within_every_target_are_reported_as_met() -> None:
    found = verdicts(results(step(50, 20, 120, 300, 150), ours_ceiling=400))

    assert set(found.values()) == {"met"}
    assert "100/s × 30 s: backlog cleared within 10 s after the burst" in found


def test_figures_beyond_the_targets_are_reported_as_missed_with_their_rate() -> None:
    burst = step(100, 30, 2000, 4000, 150)
    burst.not_mailed, burst.cleared_after_s = 3, None
    figures = results(step(50, 120, 260, 900, 250, 5, 6), ours_ceiling=100, burst=burst)

    found = verdicts(figures)

    assert found["submission → work item p99 < 250 ms at 50/s × 30 s"] == "MISSED"
    assert found["submission → mail p99 < 500 ms at 50/s × 30 s"] == "MISSED"
    assert found["submit p99 < 100 ms at 50/s × 30 s"] == "MISSED"
    assert found["sustained submissions ≥ 40% of bare Litestar"] == "MISSED"
    assert found["every service < 200 MB RSS at 50/s × 30 s"] == "MISSED"
    assert found["routing cost at 10,000 areas ≤ 2× that at 10"] == "met"
    assert found["database commands per report ≤ 12 at 50/s × 30 s"] == "MISSED"  # 3 × 5
    assert found["CPU per report ≤ 30 ms in all processes at 50/s × 30 s"] == "MISSED"  # 7 × 6
    lost = "100/s × 30 s: nothing lost (refused, accepted but not delivered or mailed)"
    assert found[lost] == "MISSED"
    assert found["100/s × 30 s: backlog cleared within 10 s after the burst"] == "MISSED"


def test_the_targets_stand_beside_the_baselines_of_the_same_run() -> None:
    figures = results(step(50, 20, 120, 300, 150), ours_ceiling=400)

    rows = {line.split("|")[0].strip(): line for line in targets_table(figures).splitlines()}

    assert (
        "Kafka round trip p99 4.0 ms" in rows["submission → work item p99 < 250 ms at 50/s × 30 s"]
    )
    assert "bare Litestar p99 2.0 ms" in rows["submit p99 < 100 ms at 50/s × 30 s"]
    assert "bare 1,000.0/s" in rows["sustained submissions ≥ 40% of bare Litestar"]


def cpu_row(text: str, label: str) -> list[str]:
    costs = text.split("CPU ms per report")[1].split("\n\n")[2].splitlines()
    return next([cell.strip() for cell in row.split("|")] for row in costs if row.startswith(label))


def test_the_cpu_per_report_is_printed_gross_and_beyond_the_idle_system() -> None:
    text = report(results(step(50, 20, 120, 300, 150, 2.5, 1.5, 1.0), ours_ceiling=400))

    row = cpu_row(text, "50/s")
    gross, background, added = row[1 + len(COMPONENTS) : 4 + len(COMPONENTS)]
    assert (gross, background, added) == ("10.5", "7.0", "3.5")  # seven processes together
    assert "idle system: 14.0 ms CPU per second" in text
    commands = text.split("database commands (each service's /metrics)")[1].split("\n\n")[1]
    top = next(row for row in commands.splitlines() if row.startswith("50/s"))
    assert [cell.strip() for cell in top.split("|")[1:]] == ["2.5", "2.5", "2.5", "7.5"]
    assert "find reports |       2.50" in text


def test_a_load_only_run_judges_no_routing_cost() -> None:
    figures = results(step(50, 20, 120, 300, 150), ours_ceiling=400)
    del figures["routing_cost"]

    found = verdicts(figures)

    assert found["routing cost at 10,000 areas ≤ 2× that at 10"] == "n/a"
    assert found["submission → work item p99 < 250 ms at 50/s × 30 s"] == "met"


def test_a_run_without_the_target_rate_is_judged_at_its_highest() -> None:
    figures = results(step(40, 20, 120, 300, 150), ours_ceiling=400)

    assert "submit p99 < 100 ms at 40/s × 30 s" in verdicts(figures)


def test_a_run_on_sqlite_sums_the_cpu_of_the_processes_it_has() -> None:
    top = step(50, 20, 120, 300, 150, 2.5, 1.5, 1.0)
    assert top.cost is not None
    del top.cost.cpu_ms["postgresql"]

    row = cpu_row(report(results(top, ours_ceiling=400)), "50/s")

    assert row[1 + len(COMPONENTS) : 4 + len(COMPONENTS)] == ["9.0", "6.0", "3.0"]
