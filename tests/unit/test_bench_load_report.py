"""The printed verdicts of `make bench`: each target of issue 8 met or missed by the figures."""

from typing import Any

from bench.costs import PerReport
from bench.figures import Latency
from bench.load_report import Step, report
from bench.target import COMPONENTS, SERVICES


def step(
    rate: float,
    submit_ms: float,
    work_ms: float,
    mail_ms: float,
    rss_mb: float,
    db_commands: float = 3.0,
    cpu_ms: float = 4.0,
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
        ),
    )


def results(top: Step, ours_ceiling: float) -> dict[str, Any]:
    return {
        "ours": [step(25, 10, 50, 90, 100), top],
        "bare_litestar": [step(25, 2, 0, 0, 0), step(100, 2, 0, 0, 0)],
        "kafka_round_trip": [{"latency": Latency.of_seconds([0.004])}] * 2,
        "ceiling": {"workers": 32, "seconds": 5, "ours": ours_ceiling, "bare_litestar": 1000.0},
        "idle_rss_mb": dict.fromkeys(COMPONENTS, 80.0),
        "routing_cost": {
            "results": [
                {"areas": 10, "indexed_median_us": 8.0},
                {"areas": 10_000, "indexed_median_us": 11.0},
            ]
        },
    }


def verdicts(text: str) -> dict[str, str]:
    targets = text.split("\ntargets\n")[1].strip().splitlines()[2:]
    return {line.split("|")[0].strip(): line.split("|")[-1].strip() for line in targets}


def test_figures_within_every_target_are_reported_as_met() -> None:
    text = report(results(step(100, 20, 120, 300, 150), ours_ceiling=400), [25, 100])

    assert set(verdicts(text).values()) == {"met"}


def test_figures_beyond_the_targets_are_reported_as_missed_with_their_rate() -> None:
    text = report(results(step(100, 20, 260, 900, 250, 5, 6), ours_ceiling=100), [25, 100])

    found = verdicts(text)
    assert found["submission → work item p99 < 250 ms at 100/s"] == "MISSED"
    assert found["submission → mail p99 < 500 ms at 100/s"] == "MISSED"
    assert found["sustained submissions ≥ 30% of bare Litestar"] == "MISSED"
    assert found["every service < 200 MB RSS at 100/s"] == "MISSED"
    assert found["routing cost at 10,000 areas ≤ 2× that at 10"] == "met"
    assert found["database commands per report ≤ 12 at 100/s"] == "MISSED"  # 3 × 5
    assert found["CPU per report ≤ 30 ms in all processes at 100/s"] == "MISSED"  # 6 × 6


def test_the_cost_per_report_is_printed_by_service_and_process() -> None:
    text = report(results(step(100, 20, 120, 300, 150, 2.5, 1.5), ours_ceiling=400), [25, 100])

    costs = text.split("work per report")[1].split("\n\n")[1].splitlines()
    top = [cell.strip() for cell in costs[-1].split("|")]
    assert top[:5] == ["100/s", "2.5", "2.5", "2.5", "7.5"]
    assert top[5 + len(COMPONENTS)] == "10.5"  # CPU ms of all seven processes together
    assert "find reports |       2.50" in text


def test_a_load_only_run_judges_no_routing_cost() -> None:
    figures = results(step(100, 20, 120, 300, 150), ours_ceiling=400)
    del figures["routing_cost"]

    found = verdicts(report(figures, [25, 100]))

    assert found["routing cost at 10,000 areas ≤ 2× that at 10"] == "n/a"
    assert found["submission → work item p99 < 250 ms at 100/s"] == "met"


def test_a_run_on_sqlite_sums_the_cpu_of_the_processes_it_has() -> None:
    top = step(100, 20, 120, 300, 150, 2.5, 1.5)
    assert top.cost is not None
    del top.cost.cpu_ms["postgresql"]

    text = report(results(top, ours_ceiling=400), [25, 100])

    costs = text.split("work per report")[1].split("\n\n")[1].splitlines()
    top_row = [cell.strip() for cell in costs[-1].split("|")]
    assert top_row[5 + len(COMPONENTS)] == "9.0"  # six processes, no PostgreSQL
