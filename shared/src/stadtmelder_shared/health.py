"""Health probes for the consumer services, served by FastStream's small ASGI app."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

Readiness = Callable[[], Awaitable[dict[str, str]]]


def _json(body: dict[str, str], status_code: int) -> AsgiResponse:
    return AsgiResponse(
        json.dumps(body).encode(), status_code, headers={"content-type": "application/json"}
    )


def health_routes(readiness: Readiness) -> list[tuple[str, GetHandler]]:
    """`/health/live` answers while the process runs; `/health/ready` when its connections work."""

    @get(include_in_schema=False)
    async def live(scope: Scope) -> AsgiResponse:
        return _json({"status": "ok"}, 200)

    @get(include_in_schema=False)
    async def ready(scope: Scope) -> AsgiResponse:
        checks = await readiness()
        ok = all(value == "ok" for value in checks.values())
        return _json({"status": "ok" if ok else "unavailable", **checks}, 200 if ok else 503)

    return [("/health/live", live), ("/health/ready", ready)]


def connection_checks(mongo: AsyncMongoClient[Any], broker: KafkaBroker) -> Readiness:
    """Readiness of a service that needs MongoDB and Kafka."""

    async def checks() -> dict[str, str]:
        result = {"mongodb": "ok", "kafka": "ok"}
        try:
            await mongo.admin.command("ping")
        except PyMongoError:
            result["mongodb"] = "unreachable"
        if not await broker.ping(timeout=2.0):
            result["kafka"] = "unreachable"
        return result

    return checks
