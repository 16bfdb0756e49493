"""The statistics page and JSON with 50,000 reports stored, beside a bare Litestar endpoint.

    .venv/bin/python -m bench.statistics                       # facts kept in memory
    .venv/bin/python -m bench.statistics --mongodb-url mongodb://127.0.0.1:27017   # in FerretDB

Makes the facts of 50,000 reports (24 months, every category, district and department of
Duisburg, seeded), stores them, builds the read model from the store as a starting replica does,
and serves the reports app's statistics routes and a bare Litestar endpoint with uvicorn in this
process. Each endpoint is asked one request after another over HTTP; `changed` rows put one
report's new facts into the read model before every request, as a stream of events would, so no
answer comes from the kept answers. Prints the table (issue 18: the page under 200 ms) and writes
var/bench/statistics.json.
"""

import argparse
import asyncio
import json
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import uvicorn
from litestar import Litestar, get
from pymongo import AsyncMongoClient

from bench.figures import Latency, ratio, show, table
from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.statistics.domain import ReportFacts, Stamped
from stadtmelder_reports.statistics.service import StatisticsService
from stadtmelder_reports.statistics.store import FACTS, MongoFactsStore, StoredFacts
from stadtmelder_shared.data_keys import DataKeys
from stadtmelder_shared.departments import load_directory

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "var" / "bench" / "statistics.json"
TARGET_MS = 200.0
DISTRICTS = [f"district-{n}00" for n in range(1, 8)]
START = datetime(2025, 1, 1, tzinfo=UTC)


class MemoryFacts:
    """The facts store in this process, for runs without a database."""

    def __init__(self) -> None:
        self.stored: dict[str, StoredFacts] = {}

    async def get(self, report_id: str) -> StoredFacts | None:
        return self.stored.get(report_id)

    async def put(self, facts: ReportFacts, revision: int | None) -> bool:
        self.stored[facts.report_id] = (facts, (revision or 0) + 1)
        return True

    async def every(self) -> AsyncIterator[list[ReportFacts]]:
        facts = [stored[0] for stored in self.stored.values()]
        for start in range(0, len(facts), 1000):
            yield facts[start : start + 1000]


def made_facts(count: int, seed: int) -> list[ReportFacts]:
    """Reports over 24 months: most acknowledged within days, two in three resolved."""
    chance = random.Random(seed)  # noqa: S311 (made-up data, the same in every run)
    categories = [c.code for c in load_jurisdiction().categories]
    departments = [d.ref() for d in load_directory().departments]
    made = []
    for number in range(count):
        sent = START + timedelta(minutes=chance.randrange(0, 730 * 24 * 60))
        taken_up = sent + timedelta(hours=chance.expovariate(1 / 30))
        resolved = taken_up + timedelta(hours=chance.expovariate(1 / 200))
        status = chance.choice(["routed", "acknowledged", "resolved", "resolved", "resolved"])
        made.append(
            ReportFacts(
                report_id=f"B{number:06d}",
                submitted_at=sent,
                category=Stamped(chance.choice(categories), sent),
                district=Stamped(chance.choice(DISTRICTS), sent) if chance.random() < 0.9 else None,
                department=Stamped(chance.choice(departments), sent),
                status=Stamped(status, resolved),
                acknowledged_at=taken_up if status != "routed" else None,
                resolved_at=resolved if status == "resolved" else None,
                ever_resolved=status == "resolved",
                reopened_not_fixed=status == "resolved" and chance.random() < 0.08,
            )
        )
    return made


@get("/bare")
async def bare() -> dict[str, str]:
    """The framework's floor: a route that answers a small JSON object and does nothing else."""
    return {"status": "ok"}


def statistics_app(statistics: StatisticsService) -> Litestar:
    # The statistics routes read only the jurisdiction's names of the report service.
    reports = ReportService(
        cast(ReportRepository, None), load_jurisdiction(), data_keys=cast(DataKeys, None)
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = reports
        app.state.statistics = statistics
        yield

    return build_app(lifespan, ApiSettings("http://127.0.0.1", 1000), SubmissionLimiter(10))


@asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn says so by a flag, not an event)
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def timed(
    client: httpx.AsyncClient, path: str, requests: int, before: Callable[[int], None]
) -> list[float]:
    seconds = []
    for number in range(requests):
        before(number)
        started = time.perf_counter()
        response = await client.get(path, headers={"accept": "text/html"})
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:200]}")
    return seconds


async def stored(facts: list[ReportFacts], mongodb_url: str | None) -> tuple[Any, float, Any]:
    """The store holding `facts`, the seconds storing took, and what to close afterwards."""
    started = time.perf_counter()
    if mongodb_url is None:
        memory = MemoryFacts()
        memory.stored = {f.report_id: (f, 1) for f in facts}
        return memory, time.perf_counter() - started, None
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    database = client[f"bench_statistics_{uuid.uuid4().hex[:8]}"]
    documents = [{"_id": f.report_id, "revision": 1, **FACTS.dump_python(f)} for f in facts]
    for start in range(0, len(documents), 1000):
        await database["statistics_facts"].insert_many(documents[start : start + 1000])
    return MongoFactsStore(database), time.perf_counter() - started, (client, database.name)


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    facts = made_facts(arguments.reports, arguments.seed)
    store, storing_s, to_close = await stored(facts, arguments.mongodb_url)
    statistics = StatisticsService(store)
    started = time.perf_counter()
    await statistics.rebuild()
    building_s = time.perf_counter() - started

    def changing(number: int) -> None:
        # A report taken up again: its group's durations change, every kept answer is stale.
        one = facts[number % len(facts)]
        statistics.aggregates.put(replace(one, acknowledged_at=None))
        statistics.aggregates.put(one)

    def nothing(number: int) -> None:
        return None

    one_category = facts[0].category.value if facts[0].category else ""
    asks = [
        ("bare Litestar (baseline)", "bare", "/bare", nothing),
        ("JSON, last 12 months", "stats", "/api/v1/statistics?from=2026-01&to=2026-12", nothing),
        (
            "JSON, changed each time",
            "stats",
            "/api/v1/statistics?from=2025-01&to=2026-12",
            changing,
        ),
        ("page, last 12 months", "stats", "/statistics?from=2026-01&to=2026-12", nothing),
        ("page, changed each time", "stats", "/statistics?from=2025-01&to=2026-12", changing),
        (
            "page, one category and district, changed",
            "stats",
            f"/statistics?from=2025-01&to=2026-12&category={one_category}&district=district-500",
            changing,
        ),
    ]
    measured: dict[str, list[float]] = {}
    async with (
        served(Litestar([bare])) as bare_url,
        served(statistics_app(statistics)) as stats_url,
        httpx.AsyncClient(timeout=30) as client,
    ):
        urls = {"bare": bare_url, "stats": stats_url}
        for name, app, path, before in asks:
            await timed(client, urls[app] + path, arguments.warmup, before)
            measured[name] = await timed(client, urls[app] + path, arguments.requests, before)
    if to_close is not None:
        client_db, name = to_close
        await client_db.drop_database(name)
        await client_db.close()
    return {
        "reports": arguments.reports,
        "store": "FerretDB/MongoDB" if arguments.mongodb_url else "memory",
        "storing_s": storing_s,
        "building_s": building_s,
        "groups": len(statistics.aggregates.groups),
        "latency_ms": {name: asdict(Latency.of_seconds(s)) for name, s in measured.items()},
    }


def printed(result: dict[str, Any]) -> str:
    latencies = result["latency_ms"]
    floor = latencies["bare Litestar (baseline)"]["p50"]
    rows = [
        [
            name,
            show(figures["count"]),
            show(figures["p50"]),
            show(figures["p95"]),
            show(figures["p99"]),
            show(figures["max"]),
            show(ratio(figures["p50"], floor), "×"),
        ]
        for name, figures in latencies.items()
    ]
    headers = ["request", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "p50 / bare"]
    pages = [f for name, f in latencies.items() if name.startswith("page")]
    worst = max(f["p95"] for f in pages)
    verdict = "met" if worst < TARGET_MS else "MISSED"
    return "\n".join(
        [
            f"statistics with {result['reports']:,} reports ({result['store']}): stored in "
            f"{result['storing_s']:.1f} s, read model built in {result['building_s']:.1f} s, "
            f"{result['groups']:,} groups",
            "",
            table(headers, rows),
            "",
            f"target (issue 18): the page under {TARGET_MS:.0f} ms — worst page p95 "
            f"{worst:.1f} ms: {verdict}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=100, help="per endpoint")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--mongodb-url", help="store the facts there (a fresh database)")
    arguments = parser.parse_args()
    result = asyncio.run(run(arguments))
    print(printed(result))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
