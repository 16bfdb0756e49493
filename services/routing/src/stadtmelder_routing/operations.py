"""Routing's HTTP view for operators and dispatchers: which sends to departments keep failing."""

import dataclasses
import json
from datetime import datetime
from typing import Any

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope

from stadtmelder_routing.sending.dispatcher import Dispatcher


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def failed_sends_route(dispatcher: Dispatcher) -> tuple[str, GetHandler]:
    @get(include_in_schema=False)
    async def failed_sends(scope: Scope) -> AsgiResponse:
        records = await dispatcher.failed_sends(limit=500)
        body = [
            {key: _plain(value) for key, value in dataclasses.asdict(record).items()}
            for record in records
        ]
        return AsgiResponse(
            json.dumps({"failed_sends": body}).encode(),
            200,
            headers={"content-type": "application/json"},
        )

    return "/operations/failed-sends", failed_sends
