"""Erasure notices to departments: whoever got a report hears on its work queue, and on its
webhook or mailbox if it has one, that someone's contact data about it was erased, so its own
systems delete what they copied. Routing itself keeps no contact data (work items carry none)."""

import logging
from dataclasses import dataclass
from typing import Protocol

from faststream.kafka import KafkaBroker

from stadtmelder_routing.work_items import WorkItems
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.departments import Directory, SendMethod
from stadtmelder_shared.event_envelope import Event, derived_event_id
from stadtmelder_shared.event_values import Language
from stadtmelder_shared.kafka import EventPublisher, consumer

log = logging.getLogger(__name__)


class EventWebhook(Protocol):
    async def send(self, item: Event, method: SendMethod) -> str | None: ...


class NoticeMailbox(Protocol):
    async def send_notice(
        self, notice: ContactDataErased, method: SendMethod, language: Language
    ) -> str | None: ...


def department_notice(event: ContactDataErased) -> ContactDataErased:
    """What a department is told: whose and when, without even the address's hash."""
    return event.model_copy(
        update={
            "event_id": derived_event_id(event.event_id, "department-erasure-notice"),
            "recipient_key": None,
        }
    )


@dataclass(frozen=True)
class RoutingErasure:
    work_items: WorkItems
    directory: Directory
    publisher: EventPublisher
    webhook: EventWebhook
    mailbox: NoticeMailbox

    async def tell_department(self, event: ContactDataErased) -> str | None:
        """The department told, or None for a report routing never handed out."""
        item = await self.work_items.get(event.report_id)
        if item is None:
            return None
        notice = department_notice(event)
        await self.publisher.publish(topics.department_work(item.department_id), notice)
        department = self.directory.get(item.department_id)
        if department is None:
            return item.department_id
        for method in department.send_methods:
            if method.kind == "webhook":
                await self.webhook.send(notice, method)
            elif method.kind == "email":
                await self.mailbox.send_notice(notice, method, department.language)
        return item.department_id


def register_erasure(broker: KafkaBroker, erasure: RoutingErasure, group_id: str) -> None:
    @consumer(broker, topics.CONTACT_DATA_ERASED, group_id)
    async def on_contact_data_erased(event: ContactDataErased) -> None:
        told = await erasure.tell_department(event)
        context = {"report_id": event.report_id, "event_id": event.event_id}
        log.info("erasure notice to %s", told or "no department", extra=context)
