"""`make bench-replicas`: the same open-loop load on one and on two replicas of each service.

Per rate step and replica count: accepted submissions per second, submit p50/p99, submission →
department work item p99, and what did not arrive; then the closed-loop ceiling of each (W
clients back to back through the balancer). Both counts run in the same invocation on the same
machine, one after the other, so the side-by-side figures share their noise. Writes
var/bench/replicas.json.

    .venv/bin/python -m bench.replicas [--rates 10,20,40] [--seconds 10] [--profile run|test]
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.figures import show, table
from bench.load import parse_rates
from bench.load_report import Step
from bench.load_steps import ceiling, system_step
from bench.observers import Mailbox, WorkTopics
from bench.raw_figures import write_raw
from bench.target import ROOT, Target

OUT = ROOT / "var/bench"


async def measure(target: Target, options: argparse.Namespace) -> dict[str, Any]:
    """Every rate step, then the ceiling, on the replica count the target runs now."""
    works, mailbox = WorkTopics(target.kafka), Mailbox(target.mail_dir)
    await works.start()
    try:
        steps: list[Step] = []
        for rate in options.rates:
            print(f"bench: {rate:g} reports/s for {options.seconds:g} s", flush=True)
            observed = (works, mailbox)
            steps.append(await system_step(target, observed, rate, options.seconds, options.settle))
        print(f"bench: ceiling with {options.workers} clients", flush=True)
        top = await ceiling(target.reports_url, options.workers, options.seconds)
    finally:
        await works.stop()
    return {"steps": steps, "ceiling_per_second": top}


def row(rate: float, steps: dict[int, Step]) -> list[str]:
    cells = [show(rate, "/s", 0)]
    for step in steps.values():
        lost = step.not_delivered + sum(step.errors.values())
        cells += [
            show(step.achieved_per_second, "/s"),
            show(step.submit.p50, " ms"),
            show(step.submit.p99, " ms"),
            show(step.work_item.p99 if step.work_item else None, " ms"),
            show(lost),
        ]
    return cells


def printed(results: dict[int, dict[str, Any]], rates: Sequence[float]) -> str:
    counts = sorted(results)
    headers = ["offered"]
    for count in counts:
        label = f"{count}×"
        headers += [f"{label} achieved", f"{label} submit p50", f"{label} submit p99"]
        headers += [f"{label} work item p99", f"{label} refused/lost"]
    rows = [
        row(rate, {count: results[count]["steps"][index] for count in counts})
        for index, rate in enumerate(rates)
    ]
    ceilings = ", ".join(
        f"{count} replica(s): {results[count]['ceiling_per_second']:.1f}/s" for count in counts
    )
    return f"{table(headers, rows)}\n\nclosed-loop ceiling through the reports port: {ceilings}"


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", choices=("run", "test"), default="run")
    parser.add_argument("--rates", type=parse_rates, default=[10.0, 20.0, 40.0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per step")
    parser.add_argument("--settle", type=float, default=120.0, help="longest drain per step, s")
    parser.add_argument("--workers", type=int, default=8, help="clients for the ceiling")
    parser.add_argument("--replicas", default="1,2", help="the counts to compare, in order")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser.parse_args(argv)


async def compare(target: Target, options: argparse.Namespace) -> dict[int, dict[str, Any]]:
    results: dict[int, dict[str, Any]] = {}
    for count in (int(text) for text in options.replicas.split(",")):
        await asyncio.to_thread(target.use_replicas, count)
        await asyncio.to_thread(target.ensure_running)
        print(f"bench: {count} replica(s) of each service", flush=True)
        results[count] = await measure(target, options)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    options = arguments(argv)
    target = Target.of(options.profile)
    results = asyncio.run(compare(target, options))
    print()
    print(printed(results, options.rates))
    by_count = {
        str(count): {
            "ceiling_per_second": result["ceiling_per_second"],
            "steps": [asdict(step) for step in result["steps"]],
        }
        for count, result in results.items()
    }
    raw = write_raw("replicas", options, results=by_count)
    print(f"\nraw figures: {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
