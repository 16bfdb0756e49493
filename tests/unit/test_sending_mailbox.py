"""The e-mail work order: who gets it, what it says, and how SMTP failures are classed."""

from email.message import EmailMessage

import aiosmtplib
import pytest

from stadtmelder_routing.sending.mailbox import MailboxSender, SmtpServer, work_order
from stadtmelder_routing.sending.methods import PermanentSendError, SendError
from stadtmelder_shared.departments import Department, Directory, SendMethod
from stadtmelder_shared.event_values import LabelledAnswer, Reopening
from stadtmelder_shared.work_item_events import WorkItemQueued
from tests.sending_fakes import a_department, a_work_item

SENDER = "Stadtmelder Duisburg <noreply@stadtmelder.invalid>"
STAFF_URL = "https://stadtmelder.example/staff/reports/R7KQ2M9XA"


def test_work_order_goes_to_the_mailbox_with_a_message_id_from_the_event_id() -> None:
    item = a_work_item()

    message = work_order(item, "licht@stadt-duisburg.example", SENDER, STAFF_URL)

    assert message["To"] == "licht@stadt-duisburg.example"
    assert message["From"] == SENDER
    assert message["Subject"] == "Arbeitsauftrag R7KQ2M9XA: Straßenlaterne defekt"
    assert message["Message-ID"] == f"<work-item.{item.event_id}@stadtmelder>"
    assert message["X-Stadtmelder-Report-Id"] == "R7KQ2M9XA"
    assert message["Content-Language"] == "de"


def test_work_order_text_names_report_category_place_description_answers_and_link() -> None:
    text = work_order(a_work_item(), "licht@x.example", SENDER, STAFF_URL).get_content()

    assert "Neuer Arbeitsauftrag für Stadt Duisburg – Straßenbeleuchtung" in text
    assert "Meldung:      R7KQ2M9XA" in text
    assert "Kategorie:    Straßenlaterne defekt (street_light_out)" in text
    assert "Eingegangen:  27.11.2026 10:30 Uhr (CET)" in text
    assert "Ort:          51.434408, 6.762329 (Breite, Länge)" in text
    assert "mlat=51.434408&mlon=6.762329" in text
    assert "Adresse:      Königstraße 12, 47051 Duisburg" in text
    assert "Laterne vor Hausnummer 12 ist seit Tagen dunkel." in text
    assert "  height_m: 6.5" in text
    assert "  lamp_state: dark, flickering" in text
    assert "  pole_number: DU-4711" in text
    assert f"Bearbeiten:   {STAFF_URL}" in text


def test_work_order_without_place_or_answers_says_so() -> None:
    item = WorkItemQueued.model_validate(
        a_work_item().model_dump() | {"location": None, "address": None, "answers": {}}
    )

    text = work_order(item, "licht@x.example", SENDER, STAFF_URL).get_content()

    assert "Ort:          ohne Koordinaten" in text
    assert "Adresse:      nicht angegeben" in text
    assert "Angaben:\n  (keine)" in text


async def test_mailbox_method_without_a_mailbox_is_a_permanent_failure() -> None:
    sender = MailboxSender(SmtpServer(port=9))

    with pytest.raises(PermanentSendError, match="no mailbox configured"):
        await sender.send(a_work_item(), SendMethod("email"))


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (aiosmtplib.SMTPConnectError("refused"), False),
        (aiosmtplib.SMTPServerDisconnected("gone"), False),
        (aiosmtplib.SMTPResponseException(421, "try later"), False),
        (aiosmtplib.SMTPResponseException(554, "no"), True),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "?", "a")]), True),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "!", "a")]), False),
    ],
)
async def test_smtp_failures_are_classed_by_their_reply_code(
    monkeypatch: pytest.MonkeyPatch, error: Exception, permanent: bool
) -> None:
    async def failing_send(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(aiosmtplib, "send", failing_send)
    sender = MailboxSender(SmtpServer())

    with pytest.raises(SendError) as raised:
        await sender.send(a_work_item(), SendMethod("email", mailbox="licht@x.example"))
    assert isinstance(raised.value, PermanentSendError) is permanent
    assert "licht@x.example" not in str(raised.value)


def test_work_order_shows_answers_with_their_labels_counts_photos_and_links_the_staff_page() -> (
    None
):
    labelled = {
        "de": [
            LabelledAnswer(question="Ist gerade jemand in Gefahr?", answer="Nein"),
            LabelledAnswer(question="Welches Spielgerät ist beschädigt?", answer="Schaukel"),
        ]
    }
    item = a_work_item().model_copy(update={"labelled_answers": labelled, "photo_count": 2})

    text = work_order(item, "gruen@x.example", SENDER, STAFF_URL).get_content()

    assert "  Ist gerade jemand in Gefahr? Nein\n" in text
    assert "  Welches Spielgerät ist beschädigt? Schaukel\n" in text
    assert "lamp_state" not in text
    assert "Fotos:        2 Fotos, zu sehen auf der Seite der Meldung" in text
    assert f"Bearbeiten:   {STAFF_URL}" in text


def test_work_order_says_when_a_report_has_no_photos() -> None:
    item = a_work_item().model_copy(update={"photo_count": 0})

    text = work_order(item, "licht@x.example", SENDER, STAFF_URL).get_content()

    assert "Fotos:        keine\n" in text


def test_a_reopened_report_is_mailed_as_such_with_the_citizens_words() -> None:
    reopening = Reopening(by="citizen", reason="Immer noch dunkel.")
    item = a_work_item().model_copy(update={"reopening": reopening, "photo_count": 1})

    message = work_order(item, "licht@x.example", SENDER, STAFF_URL)
    text = message.get_content()

    assert message["Subject"] == "Wieder geöffnet R7KQ2M9XA: Straßenlaterne defekt"
    assert text.startswith(
        "Wieder geöffnet: die meldende Person sagt, die Meldung R7KQ2M9XA ist nicht erledigt."
    )
    assert "Begründung:\nImmer noch dunkel.\n" in text
    assert "Fotos:        1 Foto," in text
    assert "Neuer Arbeitsauftrag" not in text


LABELLED = {
    "de": [LabelledAnswer(question="Ist gerade jemand in Gefahr?", answer="Nein")],
    "en": [LabelledAnswer(question="Is anyone in danger right now?", answer="No")],
}


async def mailed(monkeypatch: pytest.MonkeyPatch, department: Department) -> EmailMessage:
    """The message a sender that knows only `department` hands to the mail server."""
    sent: list[EmailMessage] = []

    async def recording_send(message: EmailMessage, **kwargs: object) -> None:
        sent.append(message)

    monkeypatch.setattr(aiosmtplib, "send", recording_send)
    sender = MailboxSender(SmtpServer(), STAFF_URL, Directory((department,)))
    item = a_work_item().model_copy(update={"labelled_answers": LABELLED, "photo_count": 1})
    await sender.send(item, SendMethod("email", mailbox="licht@x.example"))
    [message] = sent
    return message


async def test_a_department_that_reads_english_gets_an_english_work_order_and_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = await mailed(monkeypatch, a_department(language="en"))

    assert message["Subject"] == "Work order R7KQ2M9XA: Street light out"
    assert message["Content-Language"] == "en"
    text = message.get_content()
    assert text.startswith("New work order for City of Duisburg – Street lighting\n")
    assert "Category:   Street light out (street_light_out)\n" in text
    assert "Received:   27/11/2026 10:30 (CET)\n" in text
    assert "Answers:\n  Is anyone in danger right now? No\n" in text
    assert "Photos:     1 photo, shown on the report's page\n" in text
    assert "Gefahr" not in text


async def test_a_department_without_a_language_gets_the_german_work_order_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = await mailed(monkeypatch, Department("stadt-licht", {"de": "Straßenbeleuchtung"}))

    assert message["Subject"] == "Arbeitsauftrag R7KQ2M9XA: Straßenlaterne defekt"
    assert message["Content-Language"] == "de"
    text = message.get_content()
    assert "Eingegangen:  27.11.2026 10:30 Uhr (CET)\n" in text
    assert "Angaben:\n  Ist gerade jemand in Gefahr? Nein\n" in text
    assert "danger" not in text


@pytest.mark.parametrize(
    ("labelled", "shown"),
    [
        ({"de": LABELLED["de"]}, "  Ist gerade jemand in Gefahr? Nein\n"),
        ({"tr": [LabelledAnswer(question="Tehlike var mı?", answer="Hayır")]}, "  Tehlike var mı?"),
    ],
)
def test_answers_not_labelled_in_the_departments_language_fall_back_to_german_then_any(
    labelled: dict[str, list[LabelledAnswer]], shown: str
) -> None:
    item = a_work_item().model_copy(update={"labelled_answers": labelled})

    text = work_order(item, "licht@x.example", SENDER, STAFF_URL, "en").get_content()

    assert f"Answers:\n{shown}" in text
    assert "lamp_state" not in text
