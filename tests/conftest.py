"""Fixtures for the integration and end-to-end tiers: the local test stack and its services."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from tests.system import ROOT, Mailbox, empty_topics, load_stack

if TYPE_CHECKING:
    # deploy/local is not a package: the stack is loaded by path at run time (load_stack).
    from stack import Profile


@dataclass(frozen=True)
class LocalSystem:
    stack: ModuleType
    profile: "Profile"
    kafka: str
    mongodb_url: str
    smtp_port: int
    reports_url: str
    mail_dir: Path

    def start(self, *components: str) -> None:
        self._stack("start", *components)

    def stop(self, *components: str, kill: bool = False) -> None:
        self._stack("stop", *(["--kill"] if kill else []), *components)

    def _stack(self, *arguments: str) -> None:
        # A separate process owns the started servers, as with `make run`.
        command = [sys.executable, str(ROOT / "deploy/local/stack.py"), "--profile", "test"]
        subprocess.run([*command, *arguments], check=True)

    @property
    def mailbox(self) -> Mailbox:
        return Mailbox(self.mail_dir)


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[LocalSystem]:
    """Kafka, FerretDB and the SMTP sink of the `test` profile, stopped after the session."""
    stack = load_stack()
    profile = stack.PROFILES["test"]
    system = LocalSystem(
        stack=stack,
        profile=profile,
        kafka=f"127.0.0.1:{profile.kafka_port}",
        mongodb_url=f"mongodb://127.0.0.1:{profile.ferretdb_port}",
        smtp_port=profile.smtp_port,
        reports_url=f"http://127.0.0.1:{profile.reports_port}",
        mail_dir=profile.mail_dir,
    )
    # Services left over from an interrupted run would serve old code.
    system.stop("reports", "routing", "notify", "fleet")
    system.start("kafka", "ferretdb", "smtp")
    try:
        yield system
    finally:
        if not os.environ.get("STADTMELDER_KEEP_TEST_STACK"):
            system.stop()


@pytest.fixture(scope="session")
def running_system(infrastructure: LocalSystem) -> LocalSystem:
    """The three services on top of the test infrastructure, on topics emptied of what the
    integration tests wrote there before (the services would take it for real events)."""
    asyncio.run(empty_topics(infrastructure.kafka))
    infrastructure.start("reports", "routing", "notify")
    return infrastructure
