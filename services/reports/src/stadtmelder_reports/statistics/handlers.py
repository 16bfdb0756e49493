"""The statistics' consumers of the report lifecycle topics, in consumer groups of their own
(`reports.statistics.<topic>`), so they read every event beside the reports' own consumers.

Not `reports.submitted`: routing's answer (routed or unroutable) carries the submission's time
and category, so a report's facts take one write at its routing instead of two."""

import logging
from typing import Any

from faststream.kafka import KafkaBroker

from stadtmelder_reports.core.handlers import Applying, consumer_of
from stadtmelder_reports.statistics.service import FactsChangedMeanwhile, StatisticsService
from stadtmelder_shared import report_events, topics
from stadtmelder_shared.consumers import RetryPolicy
from stadtmelder_shared.kafka import consumer

RETRIES = RetryPolicy(retried=(FactsChangedMeanwhile,))


def register_consumers(broker: KafkaBroker, statistics: StatisticsService, group: str) -> None:
    # Every event may be one the statistics saw before, and none is about a report they lack.
    how = (statistics.record, ("counted", "seen before"), "never raised", logging.DEBUG)
    routed, unroutable = report_events.ReportRouted, report_events.ReportUnroutable
    moderated, status_changed = report_events.ReportModerated, report_events.ReportStatusChanged
    counting: list[Applying[Any]] = [
        Applying(topics.REPORTS_ROUTED, routed, "count_routed", *how),
        Applying(topics.REPORTS_UNROUTABLE, unroutable, "count_unroutable", *how),
        Applying(topics.REPORTS_STATUS_CHANGED, status_changed, "count_status_change", *how),
        Applying(topics.REPORTS_MODERATED, moderated, "count_moderated", *how),
    ]
    for each in counting:
        subscribe = consumer(broker, each.topic, group, policy=RETRIES, model=each.model)
        subscribe(consumer_of(each))
