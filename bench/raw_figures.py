"""The raw figures of a benchmark run as JSON under var/bench, with when and how it ran."""

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def write_raw(benchmark: str, options: argparse.Namespace, **figures: Any) -> Path:
    """Write `<options.out>/<benchmark>.json`; returns its path."""
    options.out.mkdir(parents=True, exist_ok=True)
    raw = Path(options.out) / f"{benchmark}.json"
    document = {
        "benchmark": benchmark,
        "at": datetime.now(UTC).isoformat(),
        "profile": options.profile,
        "options": {k: v for k, v in vars(options).items() if k != "out"},
        **figures,
    }
    raw.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    return raw
