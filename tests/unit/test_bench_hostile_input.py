"""The hostile-input benchmark's verdicts: a bomb is met only when every answer is a quick 4xx."""

from bench.bombs import Reply
from bench.figures import Latency
from bench.hostile_input import result_table

QUICK = Latency.of_seconds([0.01, 0.02])


def test_quick_refusals_meet_the_targets() -> None:
    shown, met = result_table(
        {"deep JSON": [Reply(400, 120, 0.02)]}, [Reply(400, 90, 0.01)], QUICK, QUICK
    )

    assert met
    assert "deep JSON" in shown
    assert "MISSED" not in shown


def test_a_slow_refusal_a_server_error_or_slow_health_misses() -> None:
    baseline = [Reply(400, 90, 0.01)]

    _, slow = result_table({"bomb": [Reply(413, 100, 1.5)]}, baseline, QUICK, QUICK)
    _, failed = result_table({"bomb": [Reply(500, 100, 0.01)]}, baseline, QUICK, QUICK)
    shown, frozen = result_table(
        {"bomb": [Reply(400, 100, 0.01)]}, baseline, QUICK, Latency.of_seconds([0.9])
    )

    assert not slow
    assert not failed
    assert not frozen
    assert "MISSED" in shown
