"""The emptying plan of the fleet ingest benchmark: one district of 500 containers, all due,
asked of the running fleet service as a dispatcher asks, and timed to its answer."""

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bench.target import Target
from stadtmelder_fleet.containers.api import PLAN_PATH
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token

ROOT = Path(__file__).resolve().parents[1]
PLAN_TARGET_S = 10.0


def dispatcher_headers() -> dict[str, str]:
    """A dispatcher's token, signed with the local key the running fleet checks tokens with."""
    settings = FleetSettings()
    path = settings.staff_signing_key_file
    key = ensure_signing_key(path if path.is_absolute() else ROOT / path)
    roles, audience = ["dispatcher"], settings.staff_audience
    token = issue_token(key, "bench-dispatcher", roles, department=None, audience=audience)
    return {"authorization": f"Bearer {token}"}


async def plan_seconds(target: Target, district: str) -> tuple[float, int]:
    """Seconds the fleet takes to answer today's plan of the district, and its stops."""
    today = datetime.now(ZoneInfo(FleetSettings().timezone)).date()
    url = target.service_url("fleet")
    async with httpx.AsyncClient(base_url=url, headers=dispatcher_headers(), timeout=60) as api:
        began = time.perf_counter()
        response = await api.get(PLAN_PATH, params={"district": district, "date": str(today)})
        seconds = time.perf_counter() - began
    response.raise_for_status()
    stops = sum(len(route["stops"]) for route in response.json()["routes"])
    return seconds, stops
