"""What a staff write costs now that it travels as a command to the report's owner: internal
notes on one routed report, one after another, beside reads of the same report through the same
staff API in the same run (the baseline: sign-in check, one report read, the answer).

    STADTMELDER_TEST_PORT_OFFSET=<n> .venv/bin/python -m bench.staff_commands --profile test

Starts what it needs (Kafka, FerretDB, SMTP sink, reports, routing, notify) and leaves it
running, as `make bench` does; `stack.py --profile test stop` stops it.
"""

import argparse
import asyncio
import os
import time

import httpx

from bench.figures import Latency
from bench.fleet_plan import dispatcher_headers
from bench.observers import new_run_id, report_body
from bench.target import Target


async def routed_report(api: httpx.AsyncClient) -> str:
    answer = await api.post("/api/v1/reports", json=report_body(new_run_id(), 0))
    answer.raise_for_status()
    report_id = str(answer.json()["id"])
    for _ in range(600):
        if (await api.get(f"/api/v1/reports/{report_id}")).json()["status"] == "routed":
            return report_id
        await asyncio.sleep(0.2)
    raise TimeoutError(f"report {report_id} was not routed within two minutes")


async def timed(
    api: httpx.AsyncClient, count: int, method: str, path: str, body: object
) -> list[float]:
    seconds = []
    for number in range(count):
        began = time.perf_counter()
        if method == "GET":
            answer = await api.get(path)
        else:
            answer = await api.post(
                path, json={"visibility": "internal", "text": f"{body} {number}"}
            )
        seconds.append(time.perf_counter() - began)
        answer.raise_for_status()
    return seconds


def row(name: str, latency: Latency) -> str:
    cells = [latency.p50, latency.p95, latency.p99, latency.max]
    shown = " | ".join("–" if value is None else f"{value:.1f}" for value in cells)
    return f"| {name} | {latency.count} | {shown} |"


async def main(profile: str, count: int) -> None:
    target = Target.of(profile)
    target.start("kafka", "ferretdb", "smtp", "reports", "routing", "notify")
    async with httpx.AsyncClient(base_url=target.reports_url, timeout=60) as api:
        report_id = await routed_report(api)
        api.headers.update(dispatcher_headers())  # the same local key reports checks
        path = f"/api/v1/staff/reports/{report_id}"
        await timed(api, 3, "GET", path, None)  # warm: sign-in keys, connections
        # Alternating rounds, so a change of the machine's load meets both alike.
        reads: list[float] = []
        writes: list[float] = []
        for _ in range(4):
            reads += await timed(api, count // 4, "GET", path, None)
            writes += await timed(api, count // 4, "POST", f"{path}/comments", "bench note")
    print(f"load average {os.getloadavg()[0]:.1f}; report {report_id}; milliseconds")
    print("| request | count | p50 | p95 | p99 | max |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(row("read the report (baseline)", Latency.of_seconds(reads)))
    print(row("internal note as a command", Latency.of_seconds(writes)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="test")
    parser.add_argument("--count", type=int, default=80)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.profile, arguments.count))
