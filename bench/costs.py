"""What a rate step costs the system: database commands by service, CPU time by process.

Read before and after a step, from each service's `/metrics` (`stadtmelder_db_commands_total`,
by command and collection) and from /proc (user + system time of every process of each
component); the difference divided by the reports accepted is the gross cost of one report.
What the idle system spends in the same time (consumers polling, timers, Kafka's and FerretDB's
own upkeep: measured in an idle window, `idle_cpu`) is its background share; the rest is what a
report adds.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.observers import wait_for_consumers
from bench.target import COMPONENTS, SERVICES, Target

DB_COMMANDS = "stadtmelder_db_commands_total"
OUTBOX_BACKLOG = "stadtmelder_outbox_backlog"


@dataclass(frozen=True)
class Usage:
    """Counters that only grow: commands by service and "command collection", CPU s by process."""

    db_commands: dict[str, Counter[str]]
    cpu_seconds: dict[str, float]
    at: float = 0.0  # time.monotonic() of the reading
    outbox_backlog: float = 0.0  # events waiting in the services' outboxes


@dataclass(frozen=True)
class PerReport:
    """The cost of one report: commands by service (and by "command collection" within each),
    CPU ms by component (gross), and the share of that CPU the system spends idle in as long a
    time (background; empty when no idle window was measured)."""

    db_commands: dict[str, dict[str, float]]
    cpu_ms: dict[str, float]
    background_ms: dict[str, float] = field(default_factory=dict)

    def db_total(self, service: str) -> float | None:
        found = self.db_commands.get(service)
        return None if found is None else sum(found.values())

    def cpu_total(self, components: Iterable[str]) -> float | None:
        """Gross CPU ms of the components together; None when one of them was not read."""
        found = [self.cpu_ms.get(name) for name in components]
        return None if None in found else sum(v for v in found if v is not None)

    def incremental(self, components: Iterable[str]) -> float | None:
        """CPU ms that one report adds to the idle system, the components together."""
        names = list(components)
        gross = self.cpu_total(names)
        if gross is None or any(name not in self.background_ms for name in names):
            return None
        return gross - sum(self.background_ms[name] for name in names)


def db_commands_in(text: str) -> Counter[str]:
    """`stadtmelder_db_commands_total` of one exposition, by "command collection"."""
    return read_exposition(text)[0]


def read_exposition(text: str) -> tuple[Counter[str], float]:
    """Database commands by "command collection", and the events waiting in outboxes."""
    counts: Counter[str] = Counter()
    backlog = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == DB_COMMANDS:
                key = f"{sample.labels['command']} {sample.labels['collection']}".strip()
                counts[key] += int(sample.value)
            elif sample.name == OUTBOX_BACKLOG:
                backlog += sample.value
    return counts, backlog


async def usage_now(target: Target) -> Usage:
    commands: dict[str, Counter[str]] = {}
    backlog = 0.0
    async with httpx.AsyncClient(timeout=10) as http:
        for service in SERVICES:
            try:
                response = await http.get(f"{target.service_url(service)}/metrics")
            except httpx.HTTPError:
                continue  # a service away leaves a gap in the table, not a failed run
            if response.status_code == 200:
                commands[service], waiting = read_exposition(response.text)
                backlog += waiting
    cpu = await asyncio.to_thread(target.cpu_seconds, *COMPONENTS)
    return Usage(commands, cpu, time.monotonic(), backlog)


def cpu_growth(before: Usage, after: Usage) -> dict[str, float]:
    """CPU ms of each component between two readings; one that restarted in between (its
    time went down) or was not read both times is left out."""
    return {
        name: (used - before.cpu_seconds[name]) * 1000
        for name, used in after.cpu_seconds.items()
        if name in before.cpu_seconds and used >= before.cpu_seconds[name]
    }


def cpu_rates(before: Usage, after: Usage) -> dict[str, float]:
    """CPU ms per second of each component between two readings."""
    span = after.at - before.at
    if span <= 0:
        return {}
    return {name: used / span for name, used in cpu_growth(before, after).items()}


async def idle_cpu(target: Target, seconds: float, settle: float) -> dict[str, float]:
    """CPU ms per second of each component while no load runs, read as a step reads it (the
    same two scrapes of `/metrics`), once (at most `settle` s) no outbox holds an event and
    no pipeline consumer is behind: an earlier run's backlog is work, not background."""
    deadline = time.monotonic() + settle
    while True:
        behind = await wait_for_consumers(target.kafka, deadline)
        before = await usage_now(target)
        if (not behind and before.outbox_backlog == 0) or time.monotonic() >= deadline:
            break
        await asyncio.sleep(1.0)
    await asyncio.sleep(seconds)
    return cpu_rates(before, await usage_now(target))


def per_report(
    before: Usage, after: Usage, reports: int, idle: Mapping[str, float] | None = None
) -> PerReport:
    """The growth between two readings per report; a service or process that restarted in
    between (its counter went down) or was not read both times is left out. With `idle`
    (CPU ms per second by component), each component's background share over the window."""
    if reports <= 0:
        return PerReport({}, {})
    commands: dict[str, dict[str, float]] = {}
    for service, counts in after.db_commands.items():
        earlier = before.db_commands.get(service)
        if earlier is None or any(counts[key] < value for key, value in earlier.items()):
            continue
        grown = counts - earlier
        commands[service] = {key: value / reports for key, value in grown.most_common()}
    cpu = {name: used / reports for name, used in cpu_growth(before, after).items()}
    span = after.at - before.at
    background = {name: rate * span / reports for name, rate in (idle or {}).items() if name in cpu}
    return PerReport(commands, cpu, background)
