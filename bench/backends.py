"""FerretDB on SQLite against FerretDB on PostgreSQL: `make bench`'s load on each, side by side.

For each backend in turn (alternating when --rounds > 1): the test profile's stack is reset to
fresh state, `bench.load` runs against it with STADTMELDER_DB_BACKEND set (it starts what is
missing), and the stack is stopped. The figures of each run are then printed in one table.
Writes var/bench/backends.json and each run's load.json under var/bench/backends/.

    STADTMELDER_TEST_PORT_OFFSET=800 .venv/bin/python -m bench.backends --rates 5,10,25
"""

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.figures import show, table
from bench.target import COMPONENTS, OPTIONAL, ROOT, SERVICES, STACK_SCRIPT

OUT = ROOT / "var/bench"
BACKENDS = ("sqlite", "postgresql")
BACKEND_VARIABLE = "STADTMELDER_DB_BACKEND"
DATABASE_PROCESSES = ("ferretdb", "postgresql")


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each backend, alternating")
    parser.add_argument("--rates", default="5,10,25")
    parser.add_argument("--seconds", default="10")
    parser.add_argument("--settle", default="60")
    parser.add_argument("--ceiling-seconds", default="5")
    parser.add_argument("--ceiling-workers", default="32")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser.parse_args(argv)


def stack(backend: str, *command: str) -> None:
    environment = {**os.environ, BACKEND_VARIABLE: backend}
    arguments = [sys.executable, str(STACK_SCRIPT), "--profile", "test", *command]
    subprocess.run(arguments, check=True, env=environment, stdout=subprocess.DEVNULL)  # noqa: S603


def run_once(backend: str, options: argparse.Namespace, out: Path) -> dict[str, Any]:
    """A fresh test stack on `backend`, `bench.load` on it, the stack stopped; its figures."""
    print(f"backends: {backend}: fresh test stack, then the load", flush=True)
    stack(backend, "reset")
    load = [sys.executable, "-m", "bench.load", "--profile", "test", "--load-only"]
    load += ["--out", str(out)]
    for name in ("rates", "seconds", "settle", "ceiling_seconds", "ceiling_workers"):
        load += [f"--{name.replace('_', '-')}", str(getattr(options, name))]
    try:
        environment = {**os.environ, BACKEND_VARIABLE: backend}
        subprocess.run(load, check=True, env=environment, cwd=ROOT)  # noqa: S603 (our module)
    finally:
        stack(backend, "stop")
    document: dict[str, Any] = json.loads((out / "load.json").read_text())
    if document.get("db_backend") != backend:
        raise RuntimeError(f"the load ran on {document.get('db_backend')}, not on {backend}")
    return document


def total(values: dict[str, float], names: Sequence[str]) -> float | None:
    found = [values.get(name) for name in names if name not in OPTIONAL or name in values]
    return None if None in found else sum(v for v in found if v is not None)


def rows_of(document: dict[str, Any]) -> dict[str, str]:
    """One column of the table: each figure by its row label."""
    column: dict[str, str] = {}
    for step in document["ours"]:
        rate = f"{step['rate']:g}/s"
        cost = step.get("cost") or {"db_commands": {}, "cpu_ms": {}}
        commands = {s: sum(c.values()) for s, c in cost["db_commands"].items()}
        figures = {
            "submit p99 ms": step["submit"]["p99"],
            "work item p99 ms": (step.get("work_item") or {}).get("p99"),
            "mail p99 ms": (step.get("mail") or {}).get("p99"),
            "achieved /s": step["achieved_per_second"],
            "db commands / report": total(commands, SERVICES),
            **{f"cpu ms / report {name}": cost["cpu_ms"].get(name) for name in COMPONENTS},
            "cpu ms / report all": total(cost["cpu_ms"], COMPONENTS),
            **{f"peak RSS MB {n}": step["peak_rss_mb"].get(n) for n in DATABASE_PROCESSES},
        }
        for label, value in figures.items():
            column[f"{rate} {label}"] = show(value)
        column[f"{rate} missing work/mail"] = f"{step['not_delivered']}/{step['not_mailed']}"
    ceiling = document["ceiling"]
    column["ceiling ours /s"] = show(ceiling["ours"])
    column["ceiling bare Litestar /s"] = show(ceiling["bare_litestar"])
    ratio = ceiling["ours"] / ceiling["bare_litestar"] if ceiling["bare_litestar"] else None
    column["ceiling ours / bare"] = show(ratio, "×", 2)
    return column


def side_by_side(runs: Sequence[tuple[str, dict[str, Any]]]) -> str:
    columns = [rows_of(document) for _, document in runs]
    labels = list(columns[0])
    headers = ["figure", *(name for name, _ in runs)]
    return table(headers, [[label, *(c.get(label, "—") for c in columns)] for label in labels])


def main(argv: Sequence[str] | None = None) -> int:
    options = arguments(argv)
    backends = [name.strip() for name in options.backends.split(",") if name.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        raise SystemExit(f"backends: unknown {', '.join(unknown)}; choose from {BACKENDS}")
    runs: list[tuple[str, dict[str, Any]]] = []
    for round_number in range(1, options.rounds + 1):
        for backend in backends:
            name = backend if options.rounds == 1 else f"{backend} #{round_number}"
            out = options.out / "backends" / name.replace(" #", "-")
            runs.append((name, run_once(backend, options, out)))
    print("\nFerretDB 1.24 by storage backend, the same load on a fresh test stack each\n")
    print(side_by_side(runs))
    document = {
        "benchmark": "backends",
        "at": datetime.now(UTC).isoformat(),
        "runs": [{"name": name, **run} for name, run in runs],
    }
    raw = options.out / "backends.json"
    raw.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"\nraw figures: {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
