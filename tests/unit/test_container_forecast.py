"""Container fill forecasts: the pace of the current cycle, emptyings starting a new one."""

from datetime import UTC, datetime, timedelta

from stadtmelder_fleet.containers.domain import FillReading
from stadtmelder_fleet.containers.forecast import fill_cycles, fill_rate_per_day, forecast

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def readings(*points: tuple[float, float], source: str = "sensor") -> list[FillReading]:
    """Readings at (hours after START, fill %)."""
    return [
        FillReading("c-1", START + timedelta(hours=hours), fill, source)  # type: ignore[arg-type]
        for hours, fill in points
    ]


def test_steady_filling_gives_its_pace_and_the_day_it_will_be_full() -> None:
    result = forecast("c-1", readings((0, 10), (24, 20), (48, 30), (72, 40)))

    assert result is not None
    assert result.rate_per_day == 10.0
    assert result.full_at == START + timedelta(hours=72) + timedelta(days=6)
    assert result.expected_fill(START + timedelta(days=5)) == 60.0


def test_an_emptying_starts_a_new_cycle_and_does_not_make_the_pace_negative() -> None:
    before = [(0, 50), (24, 70), (48, 90)]
    after = [(50, 5), (62, 10), (74, 15), (86, 20)]

    cycles = fill_cycles(readings(*before, *after))
    result = forecast("c-1", readings(*before, *after))

    assert [len(cycle) for cycle in cycles] == [3, 4]
    assert result is not None
    assert result.last_fill_percent == 20.0
    assert result.rate_per_day == 10.0


def test_just_after_an_emptying_the_containers_usual_pace_holds() -> None:
    earlier = [(0, 10), (24, 40), (48, 70), (72, 100)]
    emptied = [(73, 0)]

    result = forecast("c-1", readings(*earlier, *emptied))

    assert result is not None
    assert result.last_fill_percent == 0.0
    assert result.rate_per_day == 30.0
    assert result.expected_fill(START + timedelta(hours=73 + 48)) == 60.0


def test_one_wild_reading_does_not_drag_the_pace() -> None:
    steady = readings((0, 10), (12, 15), (24, 20), (36, 25), (48, 30), (60, 35))
    wild = readings((30, 95))

    result = forecast("c-1", [*steady, *wild])

    assert result is not None
    assert result.rate_per_day is not None
    assert 9.0 <= result.rate_per_day <= 11.0


def test_readings_arriving_out_of_order_give_the_same_forecast() -> None:
    ordered = readings((0, 10), (24, 20), (48, 30))

    assert forecast("c-1", list(reversed(ordered))) == forecast("c-1", ordered)


def test_small_falls_are_sensor_noise_not_emptyings() -> None:
    assert len(fill_cycles(readings((0, 40), (6, 35), (12, 45)))) == 1


def test_a_citizen_report_of_a_full_container_makes_it_full_now() -> None:
    result = forecast("c-1", readings((0, 30), (24, 40), (30, 100)))

    assert result is not None
    assert result.full_at == START + timedelta(hours=30)
    assert result.expected_fill(START + timedelta(days=9)) == 100.0


def test_a_single_reading_tells_no_pace_and_no_full_day() -> None:
    result = forecast("c-1", readings((0, 30)))

    assert result is not None
    assert result.rate_per_day is None
    assert result.full_at is None
    assert result.expected_fill(START + timedelta(days=3)) == 30.0
    assert fill_rate_per_day(readings((0, 30), (0.5, 31))) is None


def test_no_readings_no_forecast() -> None:
    assert forecast("c-1", []) is None
