"""The latency plot of `make bench`: percentiles per rate step, ours beside the baselines."""

from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")  # files only: no display on servers and CI machines

import matplotlib.pyplot as plt

SERIES = (
    ("ours", "submit", "submit (ours)", "tab:blue"),
    ("bare_litestar", "submit", "submit (bare Litestar)", "tab:gray"),
    ("ours", "work_item", "→ work item (ours)", "tab:orange"),
    ("ours", "mail", "→ mail (ours)", "tab:green"),
    ("kafka_round_trip", "latency", "Kafka round trip (bare)", "tab:purple"),
)


def plot_latencies(document: dict[str, Any], path: Path) -> Path:
    """p50 (dashed) and p99 (solid) against the offered rate, one line per measured path."""
    figure, axes = plt.subplots(figsize=(9, 5.5))
    for key, field, label, colour in SERIES:
        steps = document.get(key, [])
        rates = [step["rate"] for step in steps]
        for which, style in (("p50", "--"), ("p99", "-")):
            values = [(step.get(field) or {}).get(which) for step in steps]
            points = [(r, v) for r, v in zip(rates, values, strict=True) if v is not None]
            if points:
                xs, ys = zip(*points, strict=True)
                axes.plot(xs, ys, style, marker="o", color=colour, label=f"{label} {which}")
    axes.set_xlabel("offered rate (reports per second, open loop)")
    axes.set_ylabel("latency from the scheduled time (ms)")
    axes.set_yscale("log")
    axes.set_title(f"Stadtmelder under load, {document.get('at', '')[:16]}")
    axes.grid(visible=True, which="both", alpha=0.3)
    axes.legend(fontsize="small", ncol=2)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
