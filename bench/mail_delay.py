"""Delay from a citizen's submission to the first mail in their inbox, on the running local system.

Submits N reports (default 100) one after another to `make run`'s reports service, each with its
own address, and takes the SMTP sink's file time of the first mail to that address. Prints the
median, 95th percentile and worst, and writes the raw figures to var/bench/mail_delay.json.

    REPORTS_SUBMISSIONS_PER_MINUTE=100000 make run     # the default limit is 10 per address
    .venv/bin/python bench/mail_delay.py [--reports 100] [--base-url ...] [--mail-dir ...]
"""

import argparse
import email
import email.policy
import json
import statistics
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def first_mail_times(mail_dir: Path, addresses: set[str], seen: dict[str, float]) -> None:
    for path in mail_dir.glob("*.eml"):
        if path.name in seen:
            continue
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        seen[path.name] = path.stat().st_mtime
        to = str(message.get("To", "")).lower()
        if to in addresses:
            seen.setdefault(f"first:{to}", path.stat().st_mtime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--mail-dir", type=Path, default=ROOT / "var/mail")
    parser.add_argument("--timeout", type=float, default=120.0)
    arguments = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    submitted: dict[str, float] = {}
    with httpx.Client(base_url=arguments.base_url, timeout=30) as client:
        for number in range(arguments.reports):
            address = f"bench-{run}-{number}@example.org"
            body = {
                "category": "street_light_out",
                "description": f"Benchmark {run} #{number}: Laterne dunkel.",
                "lat": 51.4325,
                "lon": 6.7652,
                "email": address,
            }
            started = time.time()
            response = client.post("/api/v1/reports", json=body)
            response.raise_for_status()
            submitted[address] = started

    seen: dict[str, float] = {}
    deadline = time.monotonic() + arguments.timeout
    while time.monotonic() < deadline:
        first_mail_times(arguments.mail_dir, set(submitted), seen)
        if all(f"first:{a}" in seen for a in submitted):
            break
        time.sleep(0.2)
    delays_ms = sorted(
        (seen[f"first:{a}"] - t) * 1000 for a, t in submitted.items() if f"first:{a}" in seen
    )
    missing = len(submitted) - len(delays_ms)
    if not delays_ms:
        raise SystemExit("no mail arrived: is `make run` up and is notify running?")
    p95 = delays_ms[max(0, round(0.95 * len(delays_ms)) - 1)]
    print(f"submission -> first mail in the SMTP sink, {len(delays_ms)} reports, sequential")
    print(" median ms |    p95 ms |  worst ms | missing")
    print("-----------+-----------+-----------+--------")
    print(
        f"{statistics.median(delays_ms):10.1f} | {p95:9.1f} | {delays_ms[-1]:9.1f} | {missing:7d}"
    )
    out = ROOT / "var/bench/mail_delay.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"delays_ms": delays_ms, "missing": missing}, indent=1))


if __name__ == "__main__":
    main()
