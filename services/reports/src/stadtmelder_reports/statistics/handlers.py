"""The statistics' consumers of the report lifecycle topics, in consumer groups of their own
(`reports.statistics.<topic>`), so they read every event beside the reports' own consumers."""

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
    submitted, routed = report_events.ReportSubmitted, report_events.ReportRouted
    unroutable, moderated = report_events.ReportUnroutable, report_events.ReportModerated
    status_changed = report_events.ReportStatusChanged
    counting: list[Applying[Any]] = [
        Applying(topics.REPORTS_SUBMITTED, submitted, "count_submitted", *how),
        Applying(topics.REPORTS_ROUTED, routed, "count_routed", *how),
        Applying(topics.REPORTS_UNROUTABLE, unroutable, "count_unroutable", *how),
        Applying(topics.REPORTS_STATUS_CHANGED, status_changed, "count_status_change", *how),
        Applying(topics.REPORTS_MODERATED, moderated, "count_moderated", *how),
    ]
    for each in counting:
        subscribe = consumer(broker, each.topic, group, policy=RETRIES, model=each.model)
        subscribe(consumer_of(each))
