"""What `make bench` reads of the cost of a report: database commands and CPU time."""

import os
from collections import Counter

from bench.costs import Usage, cpu_rates, db_commands_in, per_report
from bench.target import group_cpu_seconds

EXPOSITION = """\
# HELP stadtmelder_db_commands_total Commands sent to the database.
# TYPE stadtmelder_db_commands_total counter
stadtmelder_db_commands_total{collection="reports",command="find"} 12.0
stadtmelder_db_commands_total{collection="reports",command="insert"} 4.0
stadtmelder_db_commands_total{collection="",command="ping"} 2.0
stadtmelder_db_commands_created{collection="reports",command="find"} 1.7e9
"""


def test_database_commands_are_read_by_command_and_collection_from_an_exposition() -> None:
    assert db_commands_in(EXPOSITION) == {"find reports": 12, "insert reports": 4, "ping": 2}


def test_the_growth_between_two_readings_is_divided_by_the_reports() -> None:
    before = Usage({"reports": Counter({"find reports": 10})}, {"ferretdb": 1.0, "kafka": 2.0})
    after = Usage(
        {"reports": Counter({"find reports": 30, "insert reports": 10})},
        {"ferretdb": 1.5, "kafka": 2.25},
    )

    cost = per_report(before, after, reports=10)

    assert cost.db_commands == {"reports": {"find reports": 2.0, "insert reports": 1.0}}
    assert cost.db_total("reports") == 3.0
    assert cost.cpu_ms == {"ferretdb": 50.0, "kafka": 25.0}


def test_the_idle_systems_cpu_in_as_long_a_time_is_the_background_of_a_report() -> None:
    idle = cpu_rates(
        Usage({}, {"kafka": 10.0, "notify": 4.0}, at=100.0),
        Usage({}, {"kafka": 10.5, "notify": 4.125}, at=110.0),
    )
    before = Usage({}, {"kafka": 20.0, "notify": 5.0}, at=200.0)
    after = Usage({}, {"kafka": 21.0, "notify": 5.5}, at=220.0)

    cost = per_report(before, after, reports=20, idle=idle)

    assert idle == {"kafka": 50.0, "notify": 12.5}  # ms per second
    assert cost.cpu_ms == {"kafka": 50.0, "notify": 25.0}
    assert cost.background_ms == {"kafka": 50.0, "notify": 12.5}  # 20 s of idle, 20 reports
    assert cost.incremental(["kafka", "notify"]) == 12.5
    assert cost.incremental(["kafka", "notify", "ferretdb"]) is None


def test_a_service_that_restarted_during_the_step_is_left_out_not_counted_negative() -> None:
    before = Usage({"notify": Counter({"find deliveries": 50})}, {"notify": 9.0})
    after = Usage({"notify": Counter({"find deliveries": 5})}, {"notify": 0.5})

    cost = per_report(before, after, reports=10)

    assert cost.db_total("notify") is None
    assert cost.cpu_ms == {}


def test_the_cpu_time_of_a_running_process_group_grows_as_it_computes() -> None:
    group = os.getpgrp()
    before = group_cpu_seconds({group})[group]
    sum(number * number for number in range(3_000_000))

    assert group_cpu_seconds({group})[group] > before
