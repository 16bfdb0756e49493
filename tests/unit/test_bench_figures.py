"""Percentiles, ratios and tables of the benchmark results."""

from bench.figures import Latency, percentile, ratio, show, table


def test_percentiles_are_values_that_were_really_measured() -> None:
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.5], 0.99) == 7.5
    assert percentile([], 0.5) is None


def test_latency_summary_is_in_milliseconds() -> None:
    summary = Latency.of_seconds([0.010, 0.020, 0.250])

    assert (summary.count, summary.p50, summary.max) == (3, 20.0, 250.0)
    assert Latency.of_seconds([]).p99 is None


def test_a_ratio_to_a_missing_or_zero_baseline_is_shown_as_not_measured() -> None:
    assert ratio(30.0, 10.0) == 3.0
    assert ratio(30.0, 0.0) is None
    assert ratio(None, 10.0) is None
    assert show(None) == "—"
    assert show(1234.56, " ms") == "1,234.6 ms"


def test_table_columns_line_up() -> None:
    text = table(["rate", "p99"], [["25/s", "12.5"], ["100/s", "1,250.0"]])

    lines = text.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[0].startswith("rate ")
    assert lines[3].endswith("1,250.0")
