from typing import Any

from pymongo.monitoring import CommandStartedEvent

from stadtmelder_shared.database_commands import DatabaseCommands
from stadtmelder_shared.metrics import ServiceMetrics
from tests.unit.test_metrics import samples


def started(command: dict[str, Any]) -> CommandStartedEvent:
    return CommandStartedEvent(command, "stadtmelder_reports", 1, ("127.0.0.1", 27017), 1)


async def counted(*commands: dict[str, Any]) -> dict[tuple[tuple[str, str], ...], float]:
    metrics = ServiceMetrics("reports", process_series=False)
    listener = DatabaseCommands(metrics.registry)
    for command in commands:
        listener.started(started(command))
    return samples((await metrics.exposition()).decode(), "stadtmelder_db_commands")


async def test_each_command_is_counted_by_its_name_and_collection() -> None:
    values = await counted(
        {"find": "reports", "filter": {"_id": "R-1"}},
        {"find": "reports", "filter": {"_id": "R-2"}},
        {"update": "reports", "updates": []},
        {"find": "nearby_cells", "filter": {}},
        {"getMore": 7, "collection": "reports"},
    )
    assert values == {
        (("collection", "reports"), ("command", "find")): 2,
        (("collection", "reports"), ("command", "update")): 1,
        (("collection", "nearby_cells"), ("command", "find")): 1,
        (("collection", "reports"), ("command", "getMore")): 1,
    }


async def test_commands_outside_the_known_set_share_one_series_and_name_no_collection() -> None:
    values = await counted(
        {"ping": 1},
        {"replSetGetStatus": 1},
        {"someFutureCommand": "reports"},
        {"aggregate": 1, "pipeline": []},
    )
    assert values == {
        (("collection", ""), ("command", "ping")): 1,
        (("collection", ""), ("command", "other")): 1,
        (("collection", "reports"), ("command", "other")): 1,
        (("collection", ""), ("command", "aggregate")): 1,
    }
