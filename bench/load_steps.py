"""One rate step of `make bench`: open-loop submissions, then the reports' way through the
system (work items, mails, commands, CPU, memory, how long the backlog took to clear)."""

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence

from bench.costs import PerReport, per_report, usage_now
from bench.figures import Latency
from bench.load_report import Step
from bench.observers import (
    CONNECTIONS,
    Answer,
    Mailbox,
    WorkTopics,
    client,
    errors_of,
    gate,
    new_run_id,
    submit,
    wait_for_consumers,
)
from bench.open_loop import Shot, run_closed_loop, run_open_loop
from bench.target import COMPONENTS, Target, group_cpu_seconds


def achieved(shots: Sequence[Shot[Answer]]) -> float:
    """Accepted submissions per second, from the first due time to the last answer."""
    good = [s for s in shots if s.result.accepted]
    if not shots or not good:
        return 0.0
    span = max(s.due + s.latency for s in shots) - shots[0].due
    return len(good) / span if span > 0 else 0.0


async def open_loop_step(url: str, rate: float, seconds: float) -> tuple[Step, list[Shot[Answer]]]:
    run, queue = new_run_id(), gate()
    async with client(url, CONNECTIONS) as api:
        shots = await run_open_loop(lambda n: submit(api, run, n, queue), rate, seconds)
    answers = [s.result for s in shots]
    step = Step(
        rate=rate,
        sent=len(shots),
        accepted=sum(a.accepted for a in answers),
        errors=errors_of(answers),
        achieved_per_second=achieved(shots),
        submit=Latency.of_seconds([s.latency for s in shots if s.result.accepted]),
        raw={"submit": [s.latency for s in shots if s.result.accepted]},
        seconds=seconds,
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
    target: Target,
    observed: tuple[WorkTopics, Mailbox],
    rate: float,
    seconds: float,
    settle: float,
    idle: Mapping[str, float] | None = None,
) -> Step:
    """Send `rate` reports a second for `seconds`, then wait (at most `settle` s) until each
    accepted one is on its work topic and mailed and the consumers have committed; `idle`
    (CPU ms per second by component) splits the CPU into background and what reports add."""
    works, mailbox = observed
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
        step.cost = per_report(before, await usage_now(target), step.accepted, idle)
    finally:
        sampling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampling
    mails = mailbox.by_report(reporters)
    arrivals = {
        r: (min(works.times[r]), min(mails[r]["confirmation"]))
        for r in accepted
        if r in works.times and "confirmation" in mails.get(r, {})
    }
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
    if shots and accepted and len(arrivals) == len(accepted):
        # From the end of the schedule to the last work item or confirmation mail.
        end = shots[-1].due + 1 / rate + wall_offset
        step.cleared_after_s = max(0.0, max(max(pair) for pair in arrivals.values()) - end)
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
