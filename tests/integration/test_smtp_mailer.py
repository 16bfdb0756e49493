"""The mailer against the real local SMTP sink."""

import asyncio
import socket
import threading
import uuid
from collections.abc import Iterator

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from stadtmelder_notify.delivery.domain import Mail
from stadtmelder_notify.delivery.mailer import SmtpMailer
from tests.conftest import LocalSystem
from tests.system import wait_until

pytestmark = pytest.mark.integration


async def test_mail_arrives_with_subject_language_and_message_id(
    infrastructure: LocalSystem,
) -> None:
    address = f"anna-{uuid.uuid4().hex[:8]}@example.org"
    mailer = SmtpMailer("127.0.0.1", infrastructure.smtp_port, "Stadtmelder <noreply@example.org>")

    await mailer.send(
        Mail(address, "Ihre Meldung ist da – Grüße", "Straßenlaterne defekt\n", "<m1@stadtmelder>"),
        "de",
    )
    await mailer.close()

    [message] = await wait_until(lambda: infrastructure.mailbox.received(address))
    assert str(message["Subject"]) == "Ihre Meldung ist da – Grüße"
    assert message["Message-ID"] == "<m1@stadtmelder>"
    assert message["Content-Language"] == "de"
    assert "Straßenlaterne defekt" in message.get_content()


async def test_unreachable_server_raises_after_retries() -> None:
    mailer = SmtpMailer("127.0.0.1", 9, "noreply@example.org", attempts=2)
    noted = threading.Event()
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await mailer.send(Mail("a@example.org", "s", "t", "<m2@stadtmelder>"), "de", noted.set)
    assert not noted.is_set(), "nothing was accepted"
    await mailer.close()


class _CountingHandler:
    """An in-process SMTP server's handler that counts connections and keeps the mails."""

    def __init__(self) -> None:
        self.connections = 0
        self.subjects: list[str] = []
        self.answer_after_s = 0.0

    async def handle_EHLO(  # noqa: N802 (aiosmtpd hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content.decode() if envelope.original_content else ""
        self.subjects += [line[9:] for line in content.splitlines() if line.startswith("Subject: ")]
        await asyncio.sleep(self.answer_after_s)
        return "250 OK"


class _Server:
    """An aiosmtpd server in a thread, on a port that stays the same across a restart."""

    def __init__(self, handler: _CountingHandler) -> None:
        self.handler = handler
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = self._started()

    def _started(self) -> Controller:
        controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        controller.start()
        return controller

    def restart(self) -> None:
        self._controller.stop()
        self._controller = self._started()

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def counting_server() -> Iterator[_Server]:
    server = _Server(_CountingHandler())
    try:
        yield server
    finally:
        server.stop()


async def test_mails_share_an_open_connection_and_a_dropped_one_is_replaced(
    counting_server: _Server,
) -> None:
    handler = counting_server.handler
    mailer = SmtpMailer("127.0.0.1", counting_server.port, "noreply@example.org", connections=1)

    for number in range(3):
        await mailer.send(Mail("a@example.org", f"first {number}", "t", f"<f{number}@x>"), "de")
    assert handler.connections == 1
    assert handler.subjects == ["first 0", "first 1", "first 2"]

    # The server goes away and comes back: the open connection is dead, the next mail still
    # arrives, once, over a new one.
    counting_server.restart()
    await mailer.send(Mail("a@example.org", "after the restart", "t", "<r@x>"), "de")
    assert handler.subjects.count("after the restart") == 1
    assert handler.connections == 2
    await mailer.close()


async def test_the_acceptance_is_noted_while_the_callers_loop_is_busy(
    counting_server: _Server,
) -> None:
    """A kill -9 after the server's 250 and before notify notes it sends the mail again; the
    250 must not wait for the service's busy loop to come round."""
    mailer = SmtpMailer("127.0.0.1", counting_server.port, "noreply@example.org")
    noted = threading.Event()
    sending = asyncio.create_task(
        mailer.send(Mail("a@example.org", "busy", "t", "<busy@x>"), "de", noted.set)
    )
    await asyncio.sleep(0)  # the task hands the mail over, then waits
    try:
        # This loop is blocked from here on: only the mailer's own thread can read the 250.
        assert noted.wait(timeout=10), "the acceptance waited for the caller's loop"
        assert counting_server.handler.subjects == ["busy"]
        await sending
    finally:
        await mailer.close()


async def test_a_note_that_fails_neither_fails_the_send_nor_sends_it_again(
    counting_server: _Server,
) -> None:
    mailer = SmtpMailer("127.0.0.1", counting_server.port, "noreply@example.org")

    def journal_broken() -> None:
        raise RuntimeError("the journal is broken")

    try:
        await mailer.send(Mail("a@example.org", "once", "t", "<once@x>"), "de", journal_broken)
    finally:
        await mailer.close()
    assert counting_server.handler.subjects == ["once"]


async def test_closing_the_mailer_ends_a_send_still_waiting_for_its_server(
    counting_server: _Server,
) -> None:
    counting_server.handler.answer_after_s = 60.0
    mailer = SmtpMailer("127.0.0.1", counting_server.port, "noreply@example.org")
    sending = asyncio.create_task(mailer.send(Mail("a@example.org", "slow", "t", "<s@x>"), "de"))

    async def server_has_it() -> list[str]:
        return counting_server.handler.subjects

    await wait_until(server_has_it, what="the server has the mail")

    await asyncio.wait_for(mailer.close(), timeout=10)  # a shutdown does not hang on it

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(sending, timeout=10)
