"""`make run REPLICAS=2`: the local stack splits each service into replicas on their own ports,
puts a balancer on the reports port, and remembers the count for stop and status."""

from pathlib import Path

import pytest

from tests.system import load_local_script, load_stack

stack = load_stack()
replicas = load_local_script("replicas")


def profile(state_dir: Path) -> object:
    base = stack.PROFILES["test"]
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    return stack.Profile(**{**fields, "state_dir": state_dir})


def test_two_replicas_listen_on_ports_of_their_own_behind_a_balancer(tmp_path: Path) -> None:
    shown = profile(tmp_path)
    table = stack.components(shown, {"STADTMELDER_REPLICAS": "2"})

    ports = {name: component.port for name, component in table.items()}
    reports = stack.PROFILES["test"].reports_port

    assert "reports" not in table
    assert table["balancer"].port == reports
    assert [ports["reports-1"], ports["reports-2"]] == [reports + 20, reports + 40]
    assert table["balancer"].argv[-4:] == (
        "--backend",
        str(reports + 20),
        "--backend",
        str(reports + 40),
    )
    assert len(set(ports.values())) == len(ports), "two components share a port"
    assert table["routing-2"].env is not None
    assert table["routing-2"].env["ROUTING_PORT"] == str(ports["routing-2"])
    assert table["notify-1"].env is not None
    assert table["notify-1"].env["NOTIFY_PORT"] == str(ports["notify-1"])


def test_one_replica_keeps_every_name_and_port(tmp_path: Path) -> None:
    table = stack.components(profile(tmp_path), {})

    assert "balancer" not in table
    assert table["reports"].port == stack.PROFILES["test"].reports_port


def test_a_service_name_stands_for_all_its_replicas_and_starts_them_together() -> None:
    order = ["kafka", "reports-1", "reports-2", "balancer", "routing-1", "routing-2"]

    assert stack.select(["reports"], order=order) == ["reports-1", "reports-2", "balancer"]
    assert stack.select(["routing-2"], order=order) == ["routing-2"]
    batches = replicas.batches(order)
    assert batches == [
        ["kafka"],
        ["reports-1", "reports-2"],
        ["balancer"],
        ["routing-1", "routing-2"],
    ]


def test_the_count_is_remembered_for_stop_and_status_until_everything_stops(tmp_path: Path) -> None:
    replicas.remember(tmp_path, 2)
    assert replicas.count(tmp_path, {}) == 2

    replicas.forget(tmp_path)
    assert replicas.count(tmp_path, {}) == 1
    with pytest.raises(ValueError, match="STADTMELDER_REPLICAS"):
        replicas.count(tmp_path, {"STADTMELDER_REPLICAS": "many"})
