"""Moderation with in-memory stores: who may moderate, what each step stores and announces,
and that every public read of the report service follows at once."""

from datetime import UTC, datetime
from typing import Any

import pytest

from stadtmelder_reports.commands.domain import Moderation
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import (
    InvalidWorkRequest,
    NotAllowed,
    PhotoNotFound,
    ReportNotFound,
)
from stadtmelder_reports.moderation.service import ModerationService
from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.report_events import ReportModerated
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository

DUISBURG = load_jurisdiction()
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DISPATCHER = StaffMember("dora.dispatch", frozenset({"dispatcher"}))
CLERK = StaffMember("anna.clerk", frozenset({"clerk"}), "wbd-strasse")
PLACE = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])
PHOTO = CleanPhoto("image/jpeg", b"jpeg", 64, 48, b"thumb", "image/jpeg", None)


class Desk:
    def __init__(self) -> None:
        self.reports = InMemoryReportRepository()
        self.audit = InMemoryAuditLog()
        self.service = ReportService(
            self.reports, DUISBURG, clock=lambda: NOW, data_keys=InMemoryDataKeys()
        )
        self.moderation = ModerationService(self.reports, self.audit, clock=lambda: NOW)

    async def submitted(self, photos: int = 0) -> tuple[str, str]:
        new = await self.service.submit_report(
            Submission(
                "road_damage",
                "Schlagloch vor Haus 12, Fahrer HH-AB 123 beschimpft alle",
                PLACE,
                answers=valid_answers(DUISBURG.category("road_damage")),
            ),
            (PHOTO,) * photos,
        )
        return new.report.id, new.tracking_token

    async def listed(self) -> set[str]:
        found = await self.service.list_reports(ReportQuery(jurisdiction=DUISBURG.code))
        return {report.id for report in found}


@pytest.fixture
def desk() -> Desk:
    return Desk()


async def test_hidden_report_is_missing_from_every_public_read_but_not_for_its_reporter(
    desk: Desk,
) -> None:
    report_id, token = await desk.submitted(photos=1)
    await desk.moderation.moderate(
        DISPATCHER, report_id, Moderation(action="hidden", reason="Hetze")
    )

    with pytest.raises(ReportNotFound):
        await desk.service.public_report(report_id)
    with pytest.raises(ReportNotFound):
        await desk.service.photo(report_id, 1)
    assert report_id not in await desk.listed()
    assert await desk.service.open_reports_nearby("road_damage", PLACE) == []
    tracked = await desk.service.tracked_report(token)
    assert [(m.action, m.reason) for m in tracked.moderation] == [("hidden", "Hetze")]
    assert tracked.photos == []  # its URLs answer 404, so no page links them


async def test_shown_again_the_report_is_public_again(desk: Desk) -> None:
    report_id, _ = await desk.submitted()
    await desk.moderation.moderate(
        DISPATCHER, report_id, Moderation(action="hidden", reason="Prüfen")
    )
    await desk.moderation.moderate(
        DISPATCHER, report_id, Moderation(action="shown", reason="Geprüft")
    )

    assert (await desk.service.public_report(report_id)).id == report_id
    assert report_id in await desk.listed()


async def test_redacted_description_is_public_and_the_original_kept_for_staff(desk: Desk) -> None:
    report_id, _ = await desk.submitted()
    await desk.moderation.moderate(
        DISPATCHER,
        report_id,
        Moderation(action="redacted", reason="Kennzeichen", text="Schlagloch vor Haus 12"),
    )

    assert (await desk.service.public_report(report_id)).description == "Schlagloch vor Haus 12"
    (listed,) = await desk.service.list_reports(ReportQuery(jurisdiction=DUISBURG.code))
    assert listed.description == "Schlagloch vor Haus 12"
    (nearby, _), *_ = await desk.service.open_reports_nearby("road_damage", PLACE)
    assert nearby.description == "Schlagloch vor Haus 12"
    assert "HH-AB 123" in (await desk.reports.get(report_id)).description


async def test_removed_photo_is_not_listed_and_not_served(desk: Desk) -> None:
    report_id, _ = await desk.submitted(photos=2)
    await desk.moderation.moderate(
        DISPATCHER,
        report_id,
        Moderation(action="photo_removed", reason="Gesicht erkennbar", photo=1),
    )

    shown = await desk.service.public_report(report_id)
    assert [photo.number for photo in shown.photos] == [2]
    with pytest.raises(PhotoNotFound):
        await desk.service.photo(report_id, 1)
    with pytest.raises(PhotoNotFound):
        await desk.service.photo(report_id, 1, thumbnail=True)
    assert (await desk.service.photo(report_id, 2)).data == b"jpeg"


async def test_each_step_is_announced_through_the_outbox_and_audited(desk: Desk) -> None:
    report_id, _ = await desk.submitted()
    await desk.moderation.moderate(
        DISPATCHER, report_id, Moderation(action="hidden", reason="Hetze")
    )

    report = await desk.reports.get(report_id)
    (event,) = [e for t, e in report.pending_events if t == topics.REPORTS_MODERATED]
    assert isinstance(event, ReportModerated)
    assert (event.action, event.reason, event.actor.user_id) == ("hidden", "Hetze", "dora.dispatch")
    (entry,) = await desk.audit.for_report(report_id)
    assert (entry.id, entry.action, entry.details["reason"]) == (
        event.event_id,
        "moderation",
        "Hetze",
    )


async def test_a_clerk_may_not_moderate(desk: Desk) -> None:
    report_id, _ = await desk.submitted()
    with pytest.raises(NotAllowed):
        await desk.moderation.moderate(
            CLERK, report_id, Moderation(action="hidden", reason="Kritik")
        )
    assert report_id in await desk.listed()


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"action": "hidden", "reason": "   "}, "reason"),
        ({"action": "shown", "reason": "Geprüft"}, "action"),
        ({"action": "redacted", "reason": "Name", "text": " "}, "text"),
        ({"action": "photo_removed", "reason": "Gesicht", "photo": 2}, "photo"),
    ],
)
async def test_a_step_that_does_not_fit_the_report_is_refused_by_field(
    desk: Desk, request_: dict[str, Any], field: str
) -> None:
    report_id, _ = await desk.submitted(photos=1)
    with pytest.raises(InvalidWorkRequest) as refused:
        await desk.moderation.moderate(DISPATCHER, report_id, Moderation(**request_))
    assert [problem.field for problem in refused.value.problems] == [field]
    assert (await desk.reports.get(report_id)).moderation == []
