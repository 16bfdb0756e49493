"""The instant in which a kill -9 of notify sends a mail twice: server's commit to notify's note.

    .venv/bin/python bench/accept_gap.py [--mails 1000] [--busy-tasks 3] [--busy-ms 2]

Plain SMTP cannot ask whether a message arrived (RFC 1047): a sender killed after the server
committed a mail and before it noted the 250 sends that mail again after its restart. This
measures how long that instant is: from the moment the local SMTP sink (deploy/local/smtp_sink.py,
its own process) commits a mail, which names the file, to the moment the sender's line is in a
real sent journal. Every other mail goes the way notify sends now (`SmtpMailer`, whose own thread
reads the 250 and calls `accepted`); the others, the baseline, the way it sent before (aiosmtplib on
the caller's event loop, journalled when the send returned). With the caller's loop idle, and busy:
`--busy-tasks` coroutines that compute `--busy-ms` at a time, as notify's consumers do under load
(pure Python, which lets the GIL go every switch interval; C code that holds it longer, such as
BSON decoding, would make the thread wait longer).
Prints a table and writes the raw figures to var/bench/accept_gap.json.
"""

import argparse
import asyncio
import functools
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import aiosmtplib

from stadtmelder_notify.__main__ import GIL_SWITCH_INTERVAL_S
from stadtmelder_notify.delivery.domain import Mail
from stadtmelder_notify.delivery.mailer import SmtpMailer, message_of
from stadtmelder_notify.delivery.sent_journal import SentJournal

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "var" / "bench" / "accept_gap.json"
SINK = ROOT / "deploy" / "local" / "smtp_sink.py"
BEFORE = "aiosmtplib on the service's loop (before)"
NOW = "the mailer's own thread (now)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def sink_up(port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


async def keep_busy(stop: asyncio.Event, busy_ms: float) -> None:
    while not stop.is_set():
        until = time.perf_counter() + busy_ms / 1000
        while time.perf_counter() < until:
            pass
        await asyncio.sleep(0)


async def send_all(
    port: int, scenario: str, mails: int, busy: tuple[int, float], journal: SentJournal
) -> dict[str, dict[str, int]]:
    """Send `mails` one after another, every other one each way; when each was in `journal`, by
    way and Message-ID (ns)."""
    mailer = SmtpMailer("127.0.0.1", port, "bench@example.org")
    # Before: aiosmtplib on the service's loop, and the journal written when its send returned.
    on_the_loop = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await on_the_loop.connect()
    noted: dict[str, dict[str, int]] = {BEFORE: {}, NOW: {}}
    stop = asyncio.Event()
    tasks, busy_ms = busy
    busy_tasks = [asyncio.create_task(keep_busy(stop, busy_ms)) for _ in range(tasks)]
    try:
        for number in range(mails):
            message_id = f"<{scenario}-{number}@bench>"
            mail = Mail("gap@example.org", f"gap {number}", "t", message_id)

            def note(way: str, message_id: str = message_id) -> None:
                journal.record(message_id, datetime.now(UTC), None)
                noted[way][message_id] = time.time_ns()

            if number % 2:
                await mailer.send(mail, "de", functools.partial(note, NOW))
            else:
                await on_the_loop.send_message(message_of(mail, "bench@example.org", "de"))
                note(BEFORE)
            journal.settle(message_id)
            # Uneven spacing, so the sends do not fall into step with the busy tasks.
            await asyncio.sleep(random.uniform(0, 0.01))  # noqa: S311 (not a secret)
    finally:
        stop.set()
        await asyncio.gather(*busy_tasks)
        await mailer.close()
        await on_the_loop.quit()
    return noted


def stored_at(maildir: Path) -> dict[str, int]:
    """The sink's time of storing each message (its file name), by Message-ID, in ns."""
    stored = {}
    for path in maildir.glob("*.eml"):
        at = datetime.strptime(path.name.split("-")[0], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
        with path.open("rb") as file:
            message_id = BytesHeaderParser().parse(file)["Message-ID"]
        stored[message_id] = int(at.timestamp() * 1_000_000) * 1000
    return stored


def percentiles(gaps_ms: list[float]) -> dict[str, float]:
    ordered = sorted(gaps_ms)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": ordered[-1]}


async def measure(options: argparse.Namespace) -> list[dict[str, Any]]:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)  # as notify runs
    rows = []
    with tempfile.TemporaryDirectory(prefix="accept-gap-") as directory:
        maildir, port = Path(directory) / "mail", free_port()
        journal = SentJournal(Path(directory) / "journal")
        journal.open()
        sink = await asyncio.create_subprocess_exec(
            *(sys.executable, str(SINK), "--port", str(port), "--maildir", str(maildir)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await sink_up(port)
            scenarios = {"idle": (0, 0.0), "busy": (options.busy_tasks, options.busy_ms)}
            for scenario, busy in scenarios.items():
                noted = await send_all(port, scenario, options.mails, busy, journal)
                stored = stored_at(maildir)
                for way, times in noted.items():
                    gaps = [
                        (at - stored[message_id]) / 1e6
                        for message_id, at in times.items()
                        if message_id in stored
                    ]
                    rows.append(
                        {"loop": scenario, "noted": way, "mails": len(gaps), **percentiles(gaps)}
                    )
        finally:
            journal.close()
            sink.terminate()
            await asyncio.wait_for(sink.wait(), timeout=10)
    return rows


def table(rows: list[dict[str, Any]], options: argparse.Namespace) -> str:
    lines = [
        "from the SMTP sink's commit to the note of its 250 (ms): the window of a resend "
        "after kill -9",
        f"(busy loop: {options.busy_tasks} coroutines computing {options.busy_ms:g} ms at a time)",
        "",
        "loop | noted by                                  | mails |   p50 |   p95 |   p99 |   max",
        "-----+-------------------------------------------+-------+-------+-------+-------+------",
    ]
    for row in rows:
        lines.append(
            f"{row['loop']:<4} | {row['noted']:<41} | {row['mails']:>5} | {row['p50']:>5.2f} | "
            f"{row['p95']:>5.2f} | {row['p99']:>5.2f} | {row['max']:>5.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000, help="per scenario, half each way")
    parser.add_argument("--busy-tasks", type=int, default=3)
    parser.add_argument("--busy-ms", type=float, default=2.0)
    options = parser.parse_args(argv)
    rows = asyncio.run(measure(options))
    print(table(rows, options))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps({"options": vars(options), "rows": rows}, indent=2))
    print(f"\nraw figures: {RESULT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
