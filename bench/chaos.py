"""`make chaos`: fault drills under steady load, each ending with what was lost or doubled.

Each drill sends reports open loop (20/s by default), injects its fault while the load goes on,
keeps the load up a little longer, then waits (bounded) until every accepted report is stored,
routed, on its department's work topic and mailed twice (confirmation, routed), and until the
pipeline's consumers have committed past everything, so late redeliveries are counted too.
Exits non-zero when any drill lost or doubled a report. Writes var/bench/chaos.json.

    .venv/bin/python -m bench.chaos [--rate 20] [--drills kafka,routing,...] [--profile run|test]
        [--replicas 2]

With `--replicas 2` (`make chaos REPLICAS=2`) every service runs as two processes, reports behind
the local balancer, and the replica drills (bench/replica_faults.py) run after the six others.
"""

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pymongo.errors import PyMongoError

from bench.drills import Observed, Tally, tally
from bench.figures import show, table
from bench.observers import (
    Answer,
    Mailbox,
    StoredReports,
    WorkTopics,
    client,
    errors_of,
    new_run_id,
    submit,
    wait_for_consumers,
)
from bench.open_loop import run_open_loop
from bench.raw_figures import write_raw
from bench.replica_faults import (
    kill_consumer_replicas,
    kill_one_replica_of_each,
    kill_second_replicas,
)
from bench.target import ROOT, SERVICES, Target

OUT = ROOT / "var/bench"
LONGEST_LOAD_SECONDS = 3600  # a cap only: the load ends when the drill says so


@dataclass(frozen=True)
class Fault:
    """What a drill does to the system; blocking, run in a thread while the load goes on."""

    name: str
    description: str
    act: Callable[[Target, argparse.Namespace], None]


def kill_kafka(target: Target, options: argparse.Namespace) -> None:
    target.stop("kafka", kill=True)
    time.sleep(options.kafka_down)  # the outage itself is the drill
    target.start("kafka")


def kill_routing(target: Target, options: argparse.Namespace) -> None:
    target.stop("routing", kill=True)
    target.start("routing")


def kill_notify(target: Target, options: argparse.Namespace) -> None:
    target.stop("notify", kill=True)
    target.start("notify")


def restart_database(target: Target, options: argparse.Namespace) -> None:
    target.stop("ferretdb")
    target.start("ferretdb")


def smtp_away(target: Target, options: argparse.Namespace) -> None:
    target.stop("smtp")
    time.sleep(options.smtp_away)  # the outage itself is the drill
    target.start("smtp")


def sigterm_each_service(target: Target, options: argparse.Namespace) -> None:
    for service in SERVICES:
        target.stop(service)
        target.start(service)
        time.sleep(options.between)  # some load reaches each restarted service before the next


FAULTS = {
    fault.name: fault
    for fault in (
        Fault("kafka", "kill -9 of the Kafka broker, down {kafka_down:g} s", kill_kafka),
        Fault("routing", "kill -9 of routing, restarted", kill_routing),
        Fault("notify", "kill -9 of notify, restarted", kill_notify),
        Fault("ferretdb", "restart of the database server (FerretDB)", restart_database),
        Fault("smtp", "the SMTP server away for {smtp_away:g} s", smtp_away),
        Fault("sigterm", "SIGTERM of reports, routing, notify in turn", sigterm_each_service),
    )
}


# Only with --replicas 2 or more: they kill one replica while the others go on.
REPLICA_FAULTS = {
    fault.name: fault
    for fault in (
        Fault(
            "replica",
            "kill -9 of reports-1, routing-1, notify-1 in turn, each restarted",
            kill_one_replica_of_each,
        ),
        Fault("survivors", "kill -9 of routing-1 and notify-1, left down", kill_consumer_replicas),
        Fault("rebalance", "kill -9 of reports-2 and routing-2, restarted", kill_second_replicas),
    )
}


@dataclass(frozen=True)
class DrillResult:
    tally: Tally
    description: str
    refused_by_status: dict[str, int]
    settled_after_s: float
    settled: bool
    consumers_behind: list[str]


async def observe(
    accepted: dict[str, str],
    refused: int,
    works: WorkTopics,
    mailbox: Mailbox,
    database: StoredReports,
) -> Observed:
    await works.poll()
    await asyncio.to_thread(mailbox.scan)
    try:
        stored, routed = await database.stored_and_routed(accepted)
    except PyMongoError:  # the database may still be coming back: the next look asks again
        stored, routed = set(), set()
    return Observed(
        accepted=accepted,
        refused=refused,
        stored=stored,
        routed=routed,
        work_items=works.counts(),
        mails=mailbox.counts(accepted),
    )


async def run_drill(target: Target, fault: Fault, options: argparse.Namespace) -> DrillResult:
    description = fault.description.format(**vars(options))
    if options.replicas > 1:
        description = f"{options.replicas} replicas: {description}"
    print(f"chaos: {description}, under {options.rate:g} reports/s", flush=True)
    works, mailbox = WorkTopics(target.kafka), Mailbox(target.mail_dir)
    database = StoredReports(target.mongodb_url)
    await works.start()
    run = new_run_id()
    stop = asyncio.Event()
    try:
        async with client(target.reports_url) as api:
            load = asyncio.create_task(
                run_open_loop(
                    lambda n: submit(api, run, n), options.rate, LONGEST_LOAD_SECONDS, stop=stop
                )
            )
            await asyncio.sleep(options.before)
            await asyncio.to_thread(fault.act, target, options)
            await asyncio.sleep(options.after)
            stop.set()
            shots = await load
        answers: list[Answer] = [shot.result for shot in shots]
        accepted = {a.report_id: a.address for a in answers if a.report_id and a.accepted}
        refused = len(answers) - len(accepted)
        began = time.monotonic()
        deadline = began + options.settle
        observed = await observe(accepted, refused, works, mailbox, database)
        while tally(fault.name, observed).lost and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            observed = await observe(accepted, refused, works, mailbox, database)
        behind = await wait_for_consumers(target.kafka, deadline)
        observed = await observe(accepted, refused, works, mailbox, database)
        result = tally(fault.name, observed)
        return DrillResult(
            tally=result,
            description=description,
            refused_by_status=errors_of(answers),
            settled_after_s=time.monotonic() - began,
            settled=not result.lost and not behind,
            consumers_behind=behind,
        )
    finally:
        await works.stop()
        await database.close()


def print_table(results: Sequence[DrillResult], settle: float) -> None:
    rows = []
    for result in results:
        t = result.tally
        refused = ", ".join(f"{k}: {v}" for k, v in result.refused_by_status.items()) or "0"
        rows.append(
            [
                result.description,
                show(t.accepted),
                refused,
                show(t.stored),
                show(t.routed),
                show(t.delivered),
                show(t.mailed),
                show(len(t.lost)),
                show(len(t.duplicated)),
                show(result.settled_after_s, " s"),
                "passed" if t.passed else "FAILED",
            ]
        )
    headers = ["drill", "accepted", "refused", "stored", "routed", "delivered", "mailed"]
    headers += ["lost", "duplicated", "settled in", ""]
    print()
    print(table(headers, rows))
    for result in results:
        t = result.tally
        if t.lost:
            more = " …" if len(t.lost) > 10 else ""
            print(f"{t.drill}: not all the way within {settle:g} s: {', '.join(t.lost[:10])}{more}")
        if t.duplicated:
            print(f"{t.drill}: doubled {', '.join(t.duplicated[:10])}")
        if result.consumers_behind:
            print(f"{t.drill}: consumers still behind: {', '.join(result.consumers_behind)}")


def parse_drills(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = {**FAULTS, **REPLICA_FAULTS}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown drill {', '.join(unknown)}; choose from {', '.join(known)}"
        )
    return names


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", choices=("run", "test"), default="run")
    parser.add_argument("--drills", type=parse_drills, help="default: all (of the mode)")
    parser.add_argument("--replicas", type=int, default=1, help="processes of each service")
    parser.add_argument("--rate", type=float, default=20.0, help="reports per second")
    parser.add_argument("--before", type=float, default=5.0, help="load before the fault, s")
    parser.add_argument("--after", type=float, default=5.0, help="load after the fault, s")
    parser.add_argument("--kafka-down", type=float, default=10.0, help="broker outage, s")
    parser.add_argument("--smtp-away", type=float, default=30.0, help="SMTP outage, s")
    parser.add_argument("--between", type=float, default=2.0, help="between SIGTERMs, s")
    parser.add_argument("--settle", type=float, default=120.0, help="longest wait afterwards, s")
    parser.add_argument("--out", type=Path, default=OUT)
    options = parser.parse_args(argv)
    wanted = list(FAULTS) + (list(REPLICA_FAULTS) if options.replicas > 1 else [])
    options.drills = options.drills or wanted
    if options.replicas < 2 and set(options.drills) & set(REPLICA_FAULTS):
        parser.error(f"the drills {', '.join(REPLICA_FAULTS)} need --replicas 2 or more")
    return options


def to_json(result: DrillResult) -> dict[str, Any]:
    return asdict(result) | {"passed": result.tally.passed}


async def drill_all(target: Target, options: argparse.Namespace) -> list[DrillResult]:
    results = []
    for name in options.drills:
        await asyncio.to_thread(target.ensure_running)
        result = await run_drill(target, {**FAULTS, **REPLICA_FAULTS}[name], options)
        outcome = "passed" if result.tally.passed else "FAILED"
        print(f"chaos: {name}: {outcome} ({result.tally.accepted} accepted)", flush=True)
        results.append(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    options = arguments(argv)
    # The drills take the broker away on purpose; aiokafka would log every failed reconnect.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    target = Target.of(options.profile)
    target.use_replicas(options.replicas)
    target.ensure_running()
    results = asyncio.run(drill_all(target, options))
    print_table(results, options.settle)
    raw = write_raw("chaos", options, drills=[to_json(result) for result in results])
    print(f"\nraw figures: {raw}")
    failed = [r.tally.drill for r in results if not r.tally.passed]
    if failed:
        print(f"chaos: {len(failed)} drill(s) lost or doubled reports: {', '.join(failed)}")
        return 1
    print("chaos: every drill: zero lost, zero duplicated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
