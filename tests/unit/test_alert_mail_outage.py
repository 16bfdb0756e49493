"""An area alert mail that a mail server defers (421, 451) is sent when the event comes again,
never dead-lettered by the consumer wiring after its in-process attempts."""

from typing import Any

import pytest
from aiosmtplib import SMTPResponseException
from faststream.kafka import TestKafkaBroker

from stadtmelder_shared import topics
from tests.unit.test_alerts_notify import Wired, a_request, publish


async def test_an_alert_mail_the_server_defers_is_sent_when_the_event_comes_again() -> None:
    wired = Wired()
    system = wired.system
    deferrals = [SMTPResponseException(421, "4.3.2 try again later") for _ in range(6)]
    send = system.mailer.send

    async def deferring(*args: Any, **kwargs: Any) -> None:
        if deferrals:
            raise deferrals.pop()
        await send(*args, **kwargs)

    system.mailer.send = deferring  # type: ignore[method-assign]
    request = a_request("nachbarin@example.org", system.clock.now)

    async with TestKafkaBroker(wired.broker) as broker:
        # The test broker hands the error back where Kafka would deliver the record again.
        with pytest.raises(SMTPResponseException):
            await publish(broker, topics.AREA_ALERTS, request)
        deferrals.clear()  # the server is back
        await publish(broker, topics.AREA_ALERTS, request)

    assert [mail.to for mail in system.mailer.sent] == ["nachbarin@example.org"]
    assert wired.dead_letters == []
