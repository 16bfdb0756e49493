"""Several processes of each service on one machine: `make run REPLICAS=2` (issue 21).

With N > 1 replicas, each service's single component becomes `<service>-1` … `<service>-N`,
replica i listening on the service's port + 20·i; the reports port itself is taken by a small
round-robin balancer (balancer.py) in front of the reports replicas. The consumers of one service
share its Kafka consumer groups, so the partitions are split among the replicas and rebalanced
when one stops. With one replica nothing changes: same names, same ports.

The count comes from STADTMELDER_REPLICAS; `start` records it in the profile's run directory, so
`stop`, `status` and `logs` find the replicas without the variable.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

VARIABLE = "STADTMELDER_REPLICAS"
REPLICATED = ("reports", "routing", "notify", "fleet")
BALANCER = "balancer"
PORT_STEP = 20  # not 10: the local sign-in server listens on the reports port + 10
MAX_REPLICAS = 9  # replica 10 of one service would take the next service's port + 100
BALANCER_SCRIPT = Path(__file__).resolve().parent / "balancer.py"


def _record(state_dir: Path) -> Path:
    return state_dir / "run" / "replicas"


def count(state_dir: Path, environ: Mapping[str, str]) -> int:
    """How many replicas per service: the variable's, else what the last start recorded, else 1."""
    text = environ.get(VARIABLE, "").strip()
    if not text:
        try:
            text = _record(state_dir).read_text().strip()
        except FileNotFoundError:
            return 1
    if not text.isdigit() or not 1 <= int(text) <= MAX_REPLICAS:
        raise ValueError(
            f"{VARIABLE} must be a whole number from 1 to {MAX_REPLICAS}, not {text!r}"
        )
    return int(text)


def remember(state_dir: Path, replicas: int) -> None:
    """Keep the count for later commands; one replica is the default and needs no record."""
    path = _record(state_dir)
    if replicas == 1:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{replicas}\n")


def forget(state_dir: Path) -> None:
    _record(state_dir).unlink(missing_ok=True)


def port_of(base_port: int, replica: int) -> int:
    return base_port + PORT_STEP * replica


def expand(
    found: Sequence[Any],  # stack.Component: a frozen dataclass (name, port, argv, env, ...)
    replicas: int,
    python: str,
    service_is_live: Any,
) -> list[Any]:
    """The components with each service split into its replicas and a balancer before reports."""
    if replicas == 1:
        return list(found)
    expanded = []
    for component in found:
        name = component.name
        if name not in REPLICATED:
            expanded.append(component)
            continue
        base = component.port
        copies = [_replica(component, name, base, i) for i in range(1, replicas + 1)]
        expanded.extend(copies)
        if name == "reports":
            argv = [python, str(BALANCER_SCRIPT), "--port", str(base)]
            for copy in copies:
                argv += ["--backend", str(copy.port)]
            expanded.append(
                dataclasses.replace(
                    component,
                    name=BALANCER,
                    port=base,
                    argv=tuple(argv),
                    is_ready=service_is_live,
                )
            )
    return expanded


def _replica(component: Any, service: str, base: int, replica: int) -> Any:
    port = port_of(base, replica)
    env = dict(component.env or os.environ)
    env[f"{service.upper()}_PORT"] = str(port)
    # Logs, traces and Kafka client ids tell the replicas apart.
    env["STADTMELDER_REPLICA"] = f"{service}-{replica}"
    # The replicas of one service start side by side and share the CPU: give each more time.
    timeout = component.start_timeout * 2
    return dataclasses.replace(
        component, name=f"{service}-{replica}", port=port, env=env, start_timeout=timeout
    )


def widen(names: Iterable[str], known: Sequence[str]) -> list[str]:
    """A service's name stands for all its replicas (and, for reports, the balancer too)."""
    chosen: list[str] = []
    for name in names:
        if name in known:
            chosen.append(name)
            continue
        copies = [k for k in known if re.fullmatch(rf"{re.escape(name)}-\d+", k)]
        if copies and name == "reports":
            copies.append(BALANCER)
        chosen.extend(copies or [name])
    return chosen


def batches(names: Sequence[str]) -> list[list[str]]:
    """The names in order, the replicas of one service in one batch, everything else alone."""
    grouped: list[list[str]] = []
    for name in names:
        service = _service_of(name)
        if grouped and service is not None and _service_of(grouped[-1][0]) == service:
            grouped[-1].append(name)
        else:
            grouped.append([name])
    return grouped


def _service_of(name: str) -> str | None:
    service, _, number = name.rpartition("-")
    return service if service in REPLICATED and number.isdigit() else None


def is_known(name: str, order: Sequence[str]) -> bool:
    """A component of ORDER, the balancer, or one replica of a replicated service."""
    return name in order or name == BALANCER or _service_of(name) is not None
