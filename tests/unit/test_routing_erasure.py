"""Routing tells the department that got a report about an erasure: on its queue and webhook."""

from datetime import UTC, datetime

from stadtmelder_routing.erasure import RoutingErasure
from stadtmelder_routing.sending.mailbox import erasure_notice
from stadtmelder_routing.work_items import WorkItem
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.departments import Department, Directory, SendMethod
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Language
from tests.fakes import InMemoryWorkItems, RecordingPublisher, recipient_key

HOOK = SendMethod("webhook", url="https://wbd.example/hook", secret_env="WBD_SECRET")
MAILBOX = SendMethod("email", mailbox="auftraege@wbd.example")
DIRECTORY = Directory(
    (Department("wbd", {"de": "WBD"}, send_methods=(SendMethod("kafka"), HOOK, MAILBOX)),)
)


class RecordingWebhook:
    def __init__(self) -> None:
        self.sent: list[tuple[Event, SendMethod]] = []
        self.languages: list[Language] = []

    async def send(self, item: Event, method: SendMethod) -> str | None:
        self.sent.append((item, method))
        return None

    async def send_notice(
        self, notice: ContactDataErased, method: SendMethod, language: Language
    ) -> str | None:
        self.languages.append(language)
        return await self.send(notice, method)


def erased(report_id: str) -> ContactDataErased:
    return ContactDataErased(
        report_id=report_id,
        jurisdiction="duisburg",
        subject="reporter",
        recipient_key=recipient_key(report_id, "anna@example.org"),
    )


async def test_the_department_hears_on_its_queue_webhook_and_mailbox_without_the_address_hash() -> (
    None
):
    items = InMemoryWorkItems()
    when = datetime(2026, 12, 7, tzinfo=UTC)
    await items.save(WorkItem("R-1", "wbd", "road_damage", None, "routed", when))
    publisher, webhook, mailbox = RecordingPublisher(), RecordingWebhook(), RecordingWebhook()

    erasure = RoutingErasure(items, DIRECTORY, publisher, webhook, mailbox)
    told = await erasure.tell_department(erased("R-1"))

    assert told == "wbd"
    [(topic, notice)] = publisher.published
    assert topic == topics.department_work("wbd")
    assert isinstance(notice, ContactDataErased)
    assert notice.recipient_key is None
    assert notice.subject == "reporter"
    assert webhook.sent == [(notice, HOOK)]
    assert mailbox.sent == [(notice, MAILBOX)]
    assert mailbox.languages == ["de"]


async def test_a_department_that_reads_english_is_told_in_english() -> None:
    items = InMemoryWorkItems()
    when = datetime(2026, 12, 7, tzinfo=UTC)
    await items.save(WorkItem("R-4", "port", "road_damage", None, "routed", when))
    port = Department("port", {"de": "Hafen"}, send_methods=(MAILBOX,), language="en")
    mailbox = RecordingWebhook()

    erasure = RoutingErasure(items, Directory((port,)), RecordingPublisher(), mailbox, mailbox)
    await erasure.tell_department(erased("R-4"))

    assert mailbox.languages == ["en"]


async def test_a_report_routing_never_handed_out_tells_no_one() -> None:
    publisher, webhook = RecordingPublisher(), RecordingWebhook()
    erasure = RoutingErasure(InMemoryWorkItems(), DIRECTORY, publisher, webhook, webhook)

    assert await erasure.tell_department(erased("R-2")) is None
    assert publisher.published == []
    assert webhook.sent == []


def test_the_mailbox_notice_names_the_report_and_role_but_no_contact_data() -> None:
    notice = erased("R-3").model_copy(update={"recipient_key": None})

    message = erasure_notice(notice, "auftraege@wbd.example", "noreply@stadtmelder.invalid")

    assert message["To"] == "auftraege@wbd.example"
    assert message["Subject"] == "Kontaktdaten gelöscht: Meldung R-3"
    text = str(message.get_content())
    assert "die meldende Person" in text
    assert "anna@example.org" not in text
    assert message["Message-ID"] == f"<erasure-notice.{notice.event_id}@stadtmelder>"


def test_the_mailbox_notice_in_english_asks_the_same_in_english() -> None:
    notice = erased("R-5").model_copy(update={"subject": "supporter", "recipient_key": None})

    message = erasure_notice(notice, "port@example.org", "noreply@stadtmelder.invalid", "en")

    assert message["Subject"] == "Contact data erased: report R-5"
    assert message["Content-Language"] == "en"
    text = str(message.get_content())
    assert "For report R-5, a person supporting the report asked on " in text
    assert "please delete them there too" in text
    assert "Kontaktdaten" not in text
