"""`make bench`: open-loop load on the local system, side by side with its two baselines.

Per rate step: submit latency, submission → department work item and → the reporter's
confirmation mail, achieved throughput, errors, memory of every process, CPU per report (gross,
and what a report adds to the idle system); then a burst above the sustained rates and how long
its backlog takes to clear; the same rates against a bare Litestar endpoint and a bare Kafka
round trip; the ceilings (closed loop) of ours and of bare Litestar; the routing decision's
cost at 10/1,000/10,000 areas (bench/routing_decision.py); the window in which a kill -9 of
notify sends a mail twice (bench/accept_gap.py).
Prints the tables, writes var/bench/load.json and var/bench/load.png.

    .venv/bin/python -m bench.load [--rates 5,25,50] [--seconds 30] [--burst 100x10]
        [--profile run|test]
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.baselines import bare_litestar, kafka_round_trips
from bench.costs import PerReport, idle_cpu
from bench.figures import Latency
from bench.load_report import Step, report
from bench.load_steps import bare_step, ceiling, system_step
from bench.load_targets import targets_table
from bench.observers import Mailbox, WorkTopics
from bench.plot import plot_latencies
from bench.target import COMPONENTS, ROOT, Target

OUT = ROOT / "var/bench"
BARE_PORT_SHIFT = 90  # the bare app listens next to the services: 8090, or 18890 with offset 800


def routing_cost() -> dict[str, Any]:
    """Run bench/routing_decision.py (it prints its own table) and read its raw figures."""
    # As a module: run as a script, its folder comes first on sys.path and bench/statistics.py
    # would stand in for the standard library's statistics.
    module = [sys.executable, "-m", "bench.routing_decision"]
    subprocess.run(module, check=True, cwd=ROOT)  # noqa: S603 (our script)
    document: dict[str, Any] = json.loads((OUT / "routing_decision.json").read_text())
    return document


def accept_gap() -> dict[str, Any]:
    """Run bench/accept_gap.py (it prints its own table) and read its raw figures."""
    script = ROOT / "bench/accept_gap.py"
    subprocess.run([sys.executable, str(script)], check=True, cwd=ROOT)  # noqa: S603 (our script)
    document: dict[str, Any] = json.loads((OUT / "accept_gap.json").read_text())
    return document


def parse_rates(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def parse_burst(text: str) -> tuple[float, float] | None:
    """`100x10`: 100 reports a second for 10 s; `0` or `none`: no burst."""
    if text.strip().lower() in {"0", "none", ""}:
        return None
    rate, _, seconds = text.partition("x")
    return float(rate), float(seconds or 10)


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", choices=("run", "test"), default="run")
    parser.add_argument("--rates", type=parse_rates, default=parse_rates("5,25,50"))
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each rate step")
    parser.add_argument(
        "--burst",
        type=parse_burst,
        default=parse_burst("100x10"),
        help="RATExSECONDS after the rate steps, to see its backlog clear (0: none)",
    )
    parser.add_argument(
        "--baseline-seconds", type=float, default=10.0, help="length of each baseline step"
    )
    parser.add_argument(
        "--idle-seconds", type=float, default=15.0, help="the idle window (background CPU)"
    )
    parser.add_argument("--settle", type=float, default=60.0, help="wait for work items, mails")
    parser.add_argument("--ceiling-seconds", type=float, default=5.0)
    parser.add_argument("--ceiling-workers", type=int, default=32)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="skip the routing decision cost and the resend window (neither uses the database)",
    )
    return parser.parse_args(argv)


async def measure(options: argparse.Namespace, target: Target) -> dict[str, Any]:
    say: Callable[[str], None] = lambda text: print(f"bench: {text}", flush=True)  # noqa: E731
    idle_rss = target.rss_mb(*COMPONENTS)
    results: dict[str, Any] = {"idle_rss_mb": idle_rss, "bare_litestar": [], "kafka_round_trip": []}
    results["burst"] = None
    if not options.load_only:
        say("routing decision cost at 10, 1,000 and 10,000 areas")
        results["routing_cost"] = await asyncio.to_thread(routing_cost)
        say("the instant a kill -9 of notify sends a mail twice (RFC 1047)")
        results["accept_gap"] = await asyncio.to_thread(accept_gap)
    bare_port = target.profile.reports_port + BARE_PORT_SHIFT
    async with bare_litestar(bare_port) as (bare_url, bare_pid):
        for rate in options.rates:
            say(f"bare Litestar at {rate:g}/s for {options.baseline_seconds:g} s")
            step = await bare_step(bare_url, bare_pid, rate, options.baseline_seconds)
            results["bare_litestar"].append(step)
        say(f"bare Litestar ceiling, {options.ceiling_workers} clients")
        bare_ceiling = await ceiling(bare_url, options.ceiling_workers, options.ceiling_seconds)
    for rate in options.rates:
        say(f"bare Kafka round trip at {rate:g}/s for {options.baseline_seconds:g} s")
        trips = await kafka_round_trips(target.kafka, rate, options.baseline_seconds)
        results["kafka_round_trip"].append(
            {"rate": rate, **asdict(trips), "latency": Latency.of_seconds(trips.latencies)}
        )
    works, mailbox = WorkTopics(target.kafka), Mailbox(target.mail_dir)
    await works.start()
    results["ours"] = []
    try:
        say(f"the idle system's CPU for {options.idle_seconds:g} s, once nothing waits")
        idle = await idle_cpu(target, options.idle_seconds, options.settle)
        results["idle_cpu_ms_per_s"] = idle
        observed = (works, mailbox)

        async def step_at(rate: float, seconds: float) -> Step:
            say(
                f"Stadtmelder at {rate:g}/s for {seconds:g} s, then up to "
                f"{options.settle:g} s for work items and mails"
            )
            return await system_step(target, observed, rate, seconds, options.settle, idle)

        for rate in options.rates:
            results["ours"].append(await step_at(rate, options.seconds))
        if options.burst is not None:
            results["burst"] = await step_at(*options.burst)
    finally:
        await works.stop()
    say(f"Stadtmelder ceiling, {options.ceiling_workers} clients")
    ours_ceiling = await ceiling(
        target.reports_url, options.ceiling_workers, options.ceiling_seconds
    )
    results["ceiling"] = {
        "workers": options.ceiling_workers,
        "seconds": options.ceiling_seconds,
        "ours": ours_ceiling,
        "bare_litestar": bare_ceiling,
    }
    return results


def to_json(value: Any) -> Any:
    if isinstance(value, Step | Latency | PerReport):
        return to_json(asdict(value))
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    options = arguments(argv)
    target = Target.of(options.profile)
    target.ensure_running()
    results = asyncio.run(measure(options, target))
    print(report(results))
    print("\ntargets (issues 8 and 16), beside the baseline measured in the same run\n")
    print(targets_table(results))
    options.out.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "load",
        "at": datetime.now(UTC).isoformat(),
        "profile": options.profile,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "db_backend": target.db_backend(),
        "step_seconds": options.seconds,
        "baseline_seconds": options.baseline_seconds,
        **to_json(results),
    }
    raw = options.out / "load.json"
    raw.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    picture = plot_latencies(document, options.out / "load.png")
    print(f"\nraw figures: {raw}\nlatency plot: {picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
