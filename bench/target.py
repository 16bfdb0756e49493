"""The local system a benchmark or drill acts on: its profile, addresses, processes and memory.

`make run`'s system by default (ports 8000…, Kafka 9092); `--profile test` takes the test
profile instead, shifted by STADTMELDER_TEST_PORT_OFFSET, so a developer never kills a broker
that someone else's tests use.
"""

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STACK_SCRIPT = ROOT / "deploy/local/stack.py"
COMPONENTS = ("kafka", "postgresql", "ferretdb", "smtp", "reports", "routing", "notify")
# Runs only while FerretDB stores on PostgreSQL (STADTMELDER_DB_BACKEND, deploy/local/stack.py).
OPTIONAL = frozenset({"postgresql"})
SERVICES = ("reports", "routing", "notify")
# The whole load comes from one client address; the default limit of 10 a minute would
# answer almost everything with 429.
SUBMISSIONS_PER_MINUTE = 10_000_000
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def load_stack() -> ModuleType:
    """deploy/local/stack.py is a script, not a package; load it by path."""
    spec = importlib.util.spec_from_file_location("stadtmelder_stack", STACK_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Target:
    profile_name: str
    stack: ModuleType
    profile: Any  # stack.Profile

    @classmethod
    def of(cls, profile_name: str) -> "Target":
        stack = load_stack()
        return cls(profile_name, stack, stack.PROFILES[profile_name])

    @property
    def reports_url(self) -> str:
        return f"http://127.0.0.1:{self.profile.reports_port}"

    @property
    def kafka(self) -> str:
        return f"127.0.0.1:{self.profile.kafka_port}"

    @property
    def mongodb_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.profile.ferretdb_port}"

    @property
    def mail_dir(self) -> Path:
        return Path(self.profile.mail_dir)

    def run_stack(self, *arguments: str, env: Mapping[str, str] | None = None) -> None:
        """stack.py in its own process, as `make run` starts it, so the servers outlive us."""
        command = [sys.executable, str(STACK_SCRIPT), "--profile", self.profile_name, *arguments]
        environment = {**os.environ, **(env or {})}
        # S603: our own interpreter and script, arguments from our own code.
        subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL)  # noqa: S603

    def start(self, *components: str) -> None:
        self.run_stack("start", *components, env=self._load_environment())

    def stop(self, *components: str, kill: bool = False) -> None:
        self.run_stack("stop", *(["--kill"] if kill else []), *components)

    def pid(self, component: str) -> int | None:
        pid = self.stack.running_pid(self.profile, component)
        return None if pid is None else int(pid)

    def is_running(self, component: str) -> bool:
        """With replicas (STADTMELDER_REPLICAS), a service runs when all its replicas do."""
        return all(self.pid(name) is not None for name in self.processes_of(component))

    def processes_of(self, component: str) -> list[str]:
        """The component itself, or a replicated service's replicas (and reports' balancer)."""
        order = list(self.stack.components(self.profile))
        return list(self.stack.select([component], order=order))

    def use_replicas(self, replicas: int) -> None:
        """Run `replicas` processes of each service from now on, restarting them if the running
        system has another count."""
        running = self.stack.replicas.count(self.profile.state_dir, {})
        if running != replicas:
            print(f"bench: {running} → {replicas} replica(s) of each service", flush=True)
            variable = {self.stack.replicas.VARIABLE: str(running)}
            self.run_stack("stop", *SERVICES, "fleet", env=variable)
        os.environ[self.stack.replicas.VARIABLE] = str(replicas)

    def rss_mb(self, *components: str) -> dict[str, float]:
        """Resident memory of each running component's process group (it leads one), in MB."""
        groups = {name: pid for name in components if (pid := self.pid(name)) is not None}
        sizes = group_rss_kb(set(groups.values()))
        return {name: sizes.get(pid, 0) / 1024 for name, pid in groups.items()}

    def cpu_seconds(self, *components: str) -> dict[str, float]:
        """CPU time used so far by each running component's process group, in seconds."""
        groups = {name: pid for name in components if (pid := self.pid(name)) is not None}
        used = group_cpu_seconds(set(groups.values()))
        return {name: used.get(pid, 0.0) for name, pid in groups.items()}

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{getattr(self.profile, f'{service}_port')}"

    def _load_environment(self) -> dict[str, str]:
        return {"REPORTS_SUBMISSIONS_PER_MINUTE": str(SUBMISSIONS_PER_MINUTE)}

    def ensure_running(self) -> None:
        """Start what is not running; restart reports if its rate limit would refuse the load."""
        # Starting FerretDB starts its PostgreSQL cluster too when the backend needs one.
        missing = [n for n in COMPONENTS if n not in OPTIONAL and not self.is_running(n)]
        if missing:
            print(f"bench: starting {', '.join(missing)} ({self.profile_name} profile)", flush=True)
            self.start(*missing)
        limit = self.environment_of("reports").get("REPORTS_SUBMISSIONS_PER_MINUTE", "10")
        if self.profile.environment_wins and int(limit) < SUBMISSIONS_PER_MINUTE:
            print(
                f"bench: reports runs with REPORTS_SUBMISSIONS_PER_MINUTE={limit}; restarting it "
                f"with {SUBMISSIONS_PER_MINUTE:,} so the load is not refused",
                flush=True,
            )
            self.stop("reports")
            self.start("reports")

    def db_backend(self) -> str | None:
        """Where the running FerretDB stores documents, from its command line."""
        pid = self.pid("ferretdb")
        if pid is None:
            return None
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        return "postgresql" if b"postgresql" in arguments else "sqlite"

    def environment_of(self, component: str) -> dict[str, str]:
        pid = self.pid(self.processes_of(component)[0])  # the first replica stands for all
        if pid is None:
            return {}
        raw = Path(f"/proc/{pid}/environ").read_bytes()
        pairs = (entry.partition(b"=") for entry in raw.split(b"\0") if entry)
        return {key.decode(): value.decode(errors="replace") for key, _, value in pairs}


def _live_processes() -> Iterator[tuple[int, list[str]]]:
    """Each live process's pid and the fields of its /proc/<pid>/stat after "(comm)": state,
    ppid, pgrp, ... (field n of the whole line is index n - 3 here)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        fields = text[text.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            yield int(stat.parent.name), fields


def _members(pgids: set[int]) -> Iterator[tuple[int, list[str]]]:
    """Every live process of the groups, with its group: those in the group and those below
    one that left it (PostgreSQL's postmaster puts each backend in a session of its own)."""
    processes = dict(_live_processes())
    owners: dict[int, int | None] = {}
    for pid in processes:
        chain, current = [], pid
        while current in processes and current not in owners:
            chain.append(current)
            group = int(processes[current][2])
            if group in pgids:
                owners[current] = group
                break
            current = int(processes[current][1])
        found = owners.get(current)
        for member in chain:
            owners[member] = found
    for pid, owner in owners.items():
        if owner is not None:
            yield owner, processes[pid]


def group_rss_kb(pgids: set[int]) -> dict[int, int]:
    """Resident memory of the groups' live processes summed by group, in kB (Linux /proc).

    Shared memory counts in every process that touched it (PostgreSQL's shared buffers)."""
    totals: dict[int, int] = {}
    for group, fields in _members(pgids):  # rss in pages is field 24
        totals[group] = totals.get(group, 0) + int(fields[21]) * PAGE_KB
    return totals


def group_cpu_seconds(pgids: set[int]) -> dict[int, float]:
    """CPU time (user + system, fields 14 and 15, and of their ended children, 16 and 17) of
    the groups' live processes summed by group, in seconds since each process started."""
    totals: dict[int, float] = {}
    for group, fields in _members(pgids):
        used = sum(int(fields[index]) for index in (11, 12, 13, 14)) / CLOCK_TICKS
        totals[group] = totals.get(group, 0.0) + used
    return totals
