"""Latency summaries, ratios to a baseline and plain-text tables for the printed results."""

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile: a value that was really measured, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Latency:
    """p50/p95/p99/max in milliseconds of `count` measurements (None when nothing arrived)."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None

    @classmethod
    def of_seconds(cls, seconds: Sequence[float]) -> "Latency":
        ms = [value * 1000 for value in seconds]
        return cls(
            len(ms),
            percentile(ms, 0.50),
            percentile(ms, 0.95),
            percentile(ms, 0.99),
            max(ms) if ms else None,
        )


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """ours / baseline, or None when either is missing or the baseline is zero."""
    if ours is None or baseline is None or baseline == 0:
        return None
    return ours / baseline


def show(value: float | int | None, unit: str = "", digits: int = 1) -> str:
    """A figure for a table cell; a dash for what was not measured."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value:,.{digits}f}{unit}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns right-aligned to their widest cell, the first one left-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [f"{first:<{widths[0]}}"]
        parts += [f"{cell:>{width}}" for cell, width in zip(rest, widths[1:], strict=True)]
        return " | ".join(parts)

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])
