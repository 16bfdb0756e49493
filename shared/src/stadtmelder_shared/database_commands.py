"""Counts every command a service sends to its database, by command name and collection."""

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from pymongo import monitoring

# The commands our code and the driver send; anything else counts as "other", so a driver
# upgrade or an unusual command never grows the number of series without bound.
KNOWN_COMMANDS = frozenset(
    {
        "aggregate",
        "bulkWrite",
        "count",
        "create",
        "createIndexes",
        "delete",
        "distinct",
        "drop",
        "dropIndexes",
        "endSessions",
        "find",
        "findAndModify",
        "getMore",
        "hello",
        "insert",
        "isMaster",
        "killCursors",
        "listCollections",
        "listIndexes",
        "ping",
        "update",
    }
)
OTHER = "other"


def command_and_collection(event: monitoring.CommandStartedEvent) -> tuple[str, str]:
    """The command's name from the fixed set, and the collection it names ("" for none)."""
    name = event.command_name if event.command_name in KNOWN_COMMANDS else OTHER
    command: Mapping[str, Any] = event.command
    # `find: "reports"`; getMore names its cursor's collection apart; `ping: 1` names none.
    target = command.get("collection") if name == "getMore" else command.get(event.command_name)
    return name, target if isinstance(target, str) else ""


class DatabaseCommands(monitoring.CommandListener):
    """PyMongo calls it on every command; it counts each one as it starts (failed ones too:
    they cost a round trip as well)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.commands = Counter(
            "stadtmelder_db_commands",
            "Commands sent to the database by command name (find, insert, update, "
            "findAndModify, aggregate, getMore, ...; `other` for the rest) and collection "
            "(empty for commands that name none).",
            ["command", "collection"],
            registry=registry,
        )
        # Each series once: `labels()` checks and copies its arguments under a lock, on every
        # command of every request otherwise (a tenth of the reports service's CPU under load).
        self._series: dict[tuple[str, str], Counter] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        key = command_and_collection(event)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self.commands.labels(*key)
        series.inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
