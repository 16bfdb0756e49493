"""What a supporter does on the running system, for the end-to-end tests: follow the link of
their confirmation mail, and wait until notify has read what that announced."""

import re
from email.message import EmailMessage

import httpx

from stadtmelder_shared import topics
from stadtmelder_shared.kafka import group_for
from tests.conftest import LocalSystem
from tests.system import committed_offset, records_with_key, wait_until

CONFIRM_LINK = re.compile(r"https?://\S+?/api/v1/supporters/confirm/[A-Za-z0-9_.%-]+\?lang=\w+")


def plain_text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def notify_has_read(system: LocalSystem, topic: str, report_id: str) -> None:
    """Wait until notify committed every record of the report on `topic`: what it would mail
    for them has been sent by then."""
    records = await records_with_key(system.kafka, topic, report_id)
    assert records, f"no record of {report_id} on {topic}"
    last = max(records, key=lambda r: r["offset"])

    async def read() -> bool:
        group = group_for("notify", topic)
        done = await committed_offset(system.kafka, group, topic, last["partition"])
        return done is not None and done > last["offset"]

    await wait_until(read, timeout=60, what=f"notify to read {report_id} on {topic}")


async def confirm_by_mail(system: LocalSystem, request: EmailMessage, report_id: str) -> None:
    """Follow the confirmation request's link (its POST, as the page's button does) and wait
    until notify knows: the next step of the report reaches the supporter."""
    [link] = CONFIRM_LINK.findall(plain_text(request))
    async with httpx.AsyncClient(timeout=30) as browser:
        done = await browser.post(link, headers={"accept": "application/json"})
    assert done.status_code == 200, done.text
    assert done.json()["confirmed"] is True
    await notify_has_read(system, topics.REPORTS_SUPPORTED, report_id)
