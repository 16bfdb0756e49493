"""Request bombs against the running reports service, side by side with an ordinary bad request.

    .venv/bin/python -m bench.hostile_input [--repeat 3] [--profile run|test]

Sends each bomb of bench/bombs.py `--repeat` times to reports, one after another, while a thread
polls `/health/live` every 50 ms, and times a small refused report (a payload missing its
fields) the same way in the same run: the baseline. A bomb passes when every answer is a 4xx and
the slowest arrives within a second (the hostile-input issue's promise); health passes when its
slowest answer while bombs land stays under half a second. Prints the table; exits 1 when a
target is missed.
"""

import argparse
import asyncio
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from bench.bombs import BOMBS, JSON, Bomb, Reply, png_bomb, send_bomb
from bench.figures import Latency, show, table
from bench.target import Target

REFUSAL_TARGET_MS = 1000.0
HEALTH_TARGET_MS = 500.0
IDLE_POLLS = 20
BASELINE = Bomb("baseline: a report missing its fields", "POST /api/v1/reports", JSON, b"{}")


@dataclass
class HealthPolls:
    """`/health/live` asked every 50 ms from a thread of its own; `seconds` are its answer times."""

    url: str
    seconds: list[float] = field(default_factory=list)
    failures: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    idle_done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    if client.get("/health/live").status_code != 200:
                        self.failures += 1
                except httpx.HTTPError:
                    self.failures += 1
                self.seconds.append(time.perf_counter() - started)
                if len(self.seconds) >= IDLE_POLLS:
                    self.idle_done.set()
                self.stop.wait(0.05)


async def replies_to(url: str, bombs: Sequence[Bomb], repeat: int) -> dict[str, list[Reply]]:
    replies: dict[str, list[Reply]] = {}
    for bomb in bombs:
        replies[bomb.name] = [await send_bomb(url, bomb) for _ in range(repeat)]
    return replies


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def result_table(
    replies: dict[str, list[Reply]], baseline: list[Reply], idle: Latency, busy: Latency
) -> tuple[str, bool]:
    base = Latency.of_seconds([r.seconds for r in baseline])
    rows = []
    met = True
    for name, answers in replies.items():
        slowest = max(r.seconds for r in answers) * 1000
        refused = all(400 <= r.status < 500 for r in answers)
        ok = refused and slowest < REFUSAL_TARGET_MS
        met = met and ok
        statuses = "/".join(sorted({str(r.status) for r in answers}))
        rows.append(
            [name, statuses, show(slowest, " ms"), show(base.max, " ms"),
             f"4xx < 1,000 ms ({verdict(ok)})"]
        )  # fmt: skip
    health_ok = busy.max is not None and busy.max < HEALTH_TARGET_MS
    rows.append(
        ["/health/live while bombs land, max", "", show(busy.max, " ms"), show(idle.max, " ms"),
         f"< 500 ms ({verdict(health_ok)})"]
    )  # fmt: skip
    headers = ["request", "status", "slowest answer", "baseline (same run)", "target"]
    return table(headers, rows), met and health_ok


async def run(options: argparse.Namespace) -> int:
    target = Target.of(options.profile)
    target.ensure_running()
    url = target.reports_url
    png_body, png_type = png_bomb()
    bombs = [*BOMBS, Bomb("PNG 6320x6320, 155 KB", "POST /api/v1/reports/form", png_type, png_body)]
    polls = HealthPolls(url)
    thread = threading.Thread(target=polls.run, name="health-polls")
    thread.start()
    try:
        # health's answers before any bomb lands are its baseline
        await asyncio.to_thread(polls.idle_done.wait, 30)
        idle = Latency.of_seconds(list(polls.seconds))
        baseline = (await replies_to(url, [BASELINE], options.repeat * 3))[BASELINE.name]
        print(f"bench: {len(bombs)} bombs, {options.repeat} times each", flush=True)
        before = len(polls.seconds)
        replies = await replies_to(url, bombs, options.repeat)
        busy = Latency.of_seconds(polls.seconds[before:])
    finally:
        polls.stop.set()
        await asyncio.to_thread(thread.join)
    shown, met = result_table(replies, baseline, idle, busy)
    print(f"Hostile input: each bomb beside an ordinary refused report\n{shown}")
    if polls.failures:
        print(f"health/live failed {polls.failures} times")
    return 0 if met and not polls.failures else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="times each bomb is sent")
    parser.add_argument("--profile", choices=("run", "test"), default="run")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
