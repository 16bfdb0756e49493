"""What a rate step costs the system: database commands by service, CPU time by process.

Read before and after a step, from each service's `/metrics` (`stadtmelder_db_commands_total`,
by command and collection) and from /proc (user + system time of every process of each
component); the difference divided by the reports accepted is the cost of one report.
"""

import asyncio
from collections import Counter
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.target import COMPONENTS, SERVICES, Target

DB_COMMANDS = "stadtmelder_db_commands_total"


@dataclass(frozen=True)
class Usage:
    """Counters that only grow: commands by service and "command collection", CPU s by process."""

    db_commands: dict[str, Counter[str]]
    cpu_seconds: dict[str, float]


@dataclass(frozen=True)
class PerReport:
    """The cost of one report: commands by service (and by "command collection" within each),
    CPU ms by component."""

    db_commands: dict[str, dict[str, float]]
    cpu_ms: dict[str, float]

    def db_total(self, service: str) -> float | None:
        found = self.db_commands.get(service)
        return None if found is None else sum(found.values())


def db_commands_in(text: str) -> Counter[str]:
    """`stadtmelder_db_commands_total` of one exposition, by "command collection"."""
    counts: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == DB_COMMANDS:
                key = f"{sample.labels['command']} {sample.labels['collection']}".strip()
                counts[key] += int(sample.value)
    return counts


async def usage_now(target: Target) -> Usage:
    commands: dict[str, Counter[str]] = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for service in SERVICES:
            try:
                response = await http.get(f"{target.service_url(service)}/metrics")
            except httpx.HTTPError:
                continue  # a service away leaves a gap in the table, not a failed run
            if response.status_code == 200:
                commands[service] = db_commands_in(response.text)
    cpu = await asyncio.to_thread(target.cpu_seconds, *COMPONENTS)
    return Usage(commands, cpu)


def per_report(before: Usage, after: Usage, reports: int) -> PerReport:
    """The growth between two readings per report; a service or process that restarted in
    between (its counter went down) or was not read both times is left out."""
    if reports <= 0:
        return PerReport({}, {})
    commands: dict[str, dict[str, float]] = {}
    for service, counts in after.db_commands.items():
        earlier = before.db_commands.get(service)
        if earlier is None or any(counts[key] < value for key, value in earlier.items()):
            continue
        grown = counts - earlier
        commands[service] = {key: value / reports for key, value in grown.most_common()}
    cpu = {
        name: (used - before.cpu_seconds[name]) * 1000 / reports
        for name, used in after.cpu_seconds.items()
        if name in before.cpu_seconds and used >= before.cpu_seconds[name]
    }
    return PerReport(commands, cpu)
