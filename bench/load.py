"""`make bench`: open-loop load on the local system, side by side with its two baselines.

Per rate step: submit latency, submission → department work item and → the reporter's
confirmation mail, achieved throughput, errors, memory of every process; the same rates against
a bare Litestar endpoint and a bare Kafka round trip; the ceilings (closed loop) of ours and of
bare Litestar; the routing decision's cost at 10/1,000/10,000 areas (bench/routing_decision.py);
the window in which a kill -9 of notify sends a mail twice (bench/accept_gap.py).
Prints the tables, writes var/bench/load.json and var/bench/load.png.

    .venv/bin/python -m bench.load [--rates 25,50,100] [--seconds 10] [--profile run|test]
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.baselines import bare_litestar, kafka_round_trips
from bench.costs import PerReport, per_report, usage_now
from bench.figures import Latency
from bench.load_report import Step, report
from bench.observers import (
    Answer,
    Mailbox,
    WorkTopics,
    client,
    errors_of,
    new_run_id,
    submit,
    wait_for_consumers,
)
from bench.open_loop import Shot, run_closed_loop, run_open_loop
from bench.plot import plot_latencies
from bench.target import COMPONENTS, ROOT, Target, group_cpu_seconds

OUT = ROOT / "var/bench"
BARE_PORT_SHIFT = 90  # the bare app listens next to the services: 8090, or 18890 with offset 800


def achieved(shots: Sequence[Shot[Answer]]) -> float:
    """Accepted submissions per second, from the first due time to the last answer."""
    good = [s for s in shots if s.result.accepted]
    if not shots or not good:
        return 0.0
    span = max(s.due + s.latency for s in shots) - shots[0].due
    return len(good) / span if span > 0 else 0.0


async def open_loop_step(url: str, rate: float, seconds: float) -> tuple[Step, list[Shot[Answer]]]:
    run = new_run_id()
    async with client(url) as api:
        shots = await run_open_loop(lambda n: submit(api, run, n), rate, seconds)
    answers = [s.result for s in shots]
    step = Step(
        rate=rate,
        sent=len(shots),
        accepted=sum(a.accepted for a in answers),
        errors=errors_of(answers),
        achieved_per_second=achieved(shots),
        submit=Latency.of_seconds([s.latency for s in shots if s.result.accepted]),
        raw={"submit": [s.latency for s in shots if s.result.accepted]},
    )
    return step, shots


async def ceiling(url: str, workers: int, seconds: float) -> float:
    """Accepted submissions per second with `workers` clients sending back to back."""
    run = new_run_id()
    async with client(url) as api:

        async def send(number: int) -> bool:
            return (await submit(api, run, number)).accepted

        successes, elapsed = await run_closed_loop(send, workers, seconds)
    return successes / elapsed


class MemoryWatch:
    """Samples the resident memory of every component while a step runs; keeps the peaks."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self.peaks: dict[str, float] = {}

    async def run(self) -> None:
        while True:
            sizes = await asyncio.to_thread(self._target.rss_mb, *COMPONENTS)
            for name, rss in sizes.items():
                self.peaks[name] = max(self.peaks.get(name, 0.0), rss)
            await asyncio.sleep(0.5)


async def system_step(
    target: Target, works: WorkTopics, mailbox: Mailbox, rate: float, seconds: float, settle: float
) -> Step:
    memory = MemoryWatch(target)
    sampling = asyncio.create_task(memory.run())
    wall_offset = time.time() - time.monotonic()
    before = await usage_now(target)
    try:
        step, shots = await open_loop_step(target.reports_url, rate, seconds)
        accepted = {s.result.report_id: s for s in shots if s.result.report_id}
        reporters = {report_id: s.result.address for report_id, s in accepted.items()}

        def complete() -> bool:
            mails = mailbox.by_report(reporters)
            return all(
                report_id in works.times and "confirmation" in mails.get(report_id, {})
                for report_id in accepted
            )

        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            await works.poll()
            await asyncio.to_thread(mailbox.scan)
            if complete():
                break
        # The next step starts on a drained pipeline, so it does not pay for this one's backlog.
        await wait_for_consumers(target.kafka, deadline)
        # Read once the consumers are through: the cost of the reports' whole way, both mails.
        step.cost = per_report(before, await usage_now(target), step.accepted)
    finally:
        sampling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampling
    mails = mailbox.by_report(reporters)
    to_work = [
        min(works.times[r]) - (s.due + wall_offset) for r, s in accepted.items() if r in works.times
    ]
    to_mail = [
        min(mails[r]["confirmation"]) - (s.due + wall_offset)
        for r, s in accepted.items()
        if "confirmation" in mails.get(r, {})
    ]
    step.work_item = Latency.of_seconds(to_work)
    step.mail = Latency.of_seconds(to_mail)
    step.not_delivered = len(accepted) - len(to_work)
    step.not_mailed = len(accepted) - len(to_mail)
    step.peak_rss_mb = memory.peaks
    step.raw |= {"work_item": to_work, "mail": to_mail}
    return step


async def bare_step(url: str, pid: int, rate: float, seconds: float) -> Step:
    """A step against bare Litestar, with the CPU time of its process per request."""
    before = group_cpu_seconds({pid}).get(pid, 0.0)
    step, _ = await open_loop_step(url, rate, seconds)
    used = group_cpu_seconds({pid}).get(pid, 0.0) - before
    if step.accepted:
        step.cost = PerReport({}, {"bare_litestar": used * 1000 / step.accepted})
    return step


def routing_cost() -> dict[str, Any]:
    """Run bench/routing_decision.py (it prints its own table) and read its raw figures."""
    script = ROOT / "bench/routing_decision.py"
    subprocess.run([sys.executable, str(script)], check=True, cwd=ROOT)  # noqa: S603 (our script)
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


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", choices=("run", "test"), default="run")
    parser.add_argument("--rates", type=parse_rates, default=parse_rates("25,50,100"))
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each rate step")
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
    idle = target.rss_mb(*COMPONENTS)
    results: dict[str, Any] = {"idle_rss_mb": idle, "bare_litestar": [], "kafka_round_trip": []}
    if not options.load_only:
        say("routing decision cost at 10, 1,000 and 10,000 areas")
        results["routing_cost"] = await asyncio.to_thread(routing_cost)
        say("the instant a kill -9 of notify sends a mail twice (RFC 1047)")
        results["accept_gap"] = await asyncio.to_thread(accept_gap)
    bare_port = target.profile.reports_port + BARE_PORT_SHIFT
    async with bare_litestar(bare_port) as (bare_url, bare_pid):
        for rate in options.rates:
            say(f"bare Litestar at {rate:g}/s for {options.seconds:g} s")
            step = await bare_step(bare_url, bare_pid, rate, options.seconds)
            results["bare_litestar"].append(step)
        say(f"bare Litestar ceiling, {options.ceiling_workers} clients")
        bare_ceiling = await ceiling(bare_url, options.ceiling_workers, options.ceiling_seconds)
    for rate in options.rates:
        say(f"bare Kafka round trip at {rate:g}/s for {options.seconds:g} s")
        trips = await kafka_round_trips(target.kafka, rate, options.seconds)
        results["kafka_round_trip"].append(
            {"rate": rate, **asdict(trips), "latency": Latency.of_seconds(trips.latencies)}
        )
    works, mailbox = WorkTopics(target.kafka), Mailbox(target.mail_dir)
    await works.start()
    results["ours"] = []
    try:
        for rate in options.rates:
            say(
                f"Stadtmelder at {rate:g}/s for {options.seconds:g} s, then up to "
                f"{options.settle:g} s for work items and mails"
            )
            step = await system_step(target, works, mailbox, rate, options.seconds, options.settle)
            results["ours"].append(step)
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
    print(report(results, options.rates))
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
        **to_json(results),
    }
    raw = options.out / "load.json"
    raw.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    picture = plot_latencies(document, options.out / "load.png")
    print(f"\nraw figures: {raw}\nlatency plot: {picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
