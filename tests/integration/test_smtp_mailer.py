"""The mailer against the real local SMTP sink."""

import uuid

import aiosmtplib
import pytest

from stadtmelder_notify.domain import Mail
from stadtmelder_notify.mailer import SmtpMailer
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

    [message] = await wait_until(lambda: infrastructure.mailbox.received(address))
    assert str(message["Subject"]) == "Ihre Meldung ist da – Grüße"
    assert message["Message-ID"] == "<m1@stadtmelder>"
    assert message["Content-Language"] == "de"
    assert "Straßenlaterne defekt" in message.get_content()


async def test_unreachable_server_raises_after_retries() -> None:
    mailer = SmtpMailer("127.0.0.1", 9, "noreply@example.org", attempts=2)
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await mailer.send(Mail("a@example.org", "s", "t", "<m2@stadtmelder>"), "de")
