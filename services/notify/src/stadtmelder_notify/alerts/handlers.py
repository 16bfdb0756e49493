"""Kafka consumers of area alerts: the subscriptions' events and new reports."""

import logging

import aiosmtplib
from faststream.kafka import KafkaBroker

from stadtmelder_notify.alerts.service import AlertService
from stadtmelder_shared import topics
from stadtmelder_shared.alert_events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
)
from stadtmelder_shared.consumers import RetryPolicy
from stadtmelder_shared.kafka import consumer
from stadtmelder_shared.report_events import ReportRouted

log = logging.getLogger(__name__)
# A mail server that answers 421 or 451 (try later) is an outage like one that is away: the
# event comes again, and the delivery log gives the mail up after `delivery_max_failures`.
RETRIES = RetryPolicy(retried=(aiosmtplib.SMTPException,))


def register_alert_handlers(broker: KafkaBroker, alerts: AlertService, group_id: str) -> None:
    """Consumers of the subscriptions' events and of routed reports (which carry the place), in
    their own group so that alerts and the reporters' mails do not wait for each other."""

    @consumer(broker, topics.AREA_ALERTS, group_id, policy=RETRIES)
    async def on_area_alert_event(
        event: AreaAlertConfirmed | AreaAlertCancelled | AreaAlertRequested,
    ) -> None:
        # Told apart by their CloudEvents type; one this version does not know is skipped.
        match event:
            case AreaAlertConfirmed():
                sent = await alerts.on_confirmed(event)
                log.info("area alert confirmed, %d caught up", sent, extra=_context(event))
            case AreaAlertCancelled():
                await alerts.on_cancelled(event)
                log.info("area alert cancelled", extra=_context(event))
            case AreaAlertRequested():
                mailed = await alerts.on_requested(event)
                log.info("area alert requested, mailed: %s", mailed, extra=_context(event))

    @consumer(broker, topics.REPORTS_ROUTED, group_id, policy=RETRIES)
    async def on_report_routed_for_alerts(event: ReportRouted) -> None:
        _log_sent(await alerts.on_routed(event), event)


def _context(
    event: AreaAlertConfirmed | AreaAlertCancelled | AreaAlertRequested,
) -> dict[str, str]:
    return {"subscription_id": event.report_id, "event_id": event.event_id}


def _log_sent(sent: int, event: ReportRouted) -> None:
    # Most reports concern nobody's alert; say so only when debugging.
    level = logging.INFO if sent else logging.DEBUG
    context = {"report_id": event.report_id, "event_id": event.event_id}
    log.log(level, "%d area alert mails for a new report", sent, extra=context)
