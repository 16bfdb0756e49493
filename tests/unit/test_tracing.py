import json
import logging
from pathlib import Path

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.documents import from_document, to_document
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.outbox import OutboxRelay, ReportOutbox
from stadtmelder_reports.core.service import ReportService
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.logs import CorrelationFilter, LogContextMiddleware
from stadtmelder_shared.tracing import JsonLinesSpanExporter, continued, current_traceparent
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository, RecordingPublisher

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


class TracedPublisher(RecordingPublisher):
    """Notes the trace context each event is published in."""

    def __init__(self) -> None:
        super().__init__()
        self.traceparents: list[str | None] = []

    async def publish(self, topic: str, event: Event) -> None:
        self.traceparents.append(current_traceparent())
        await super().publish(topic, event)


def trace_id_of(traceparent: str | None) -> str:
    assert traceparent is not None
    return traceparent.split("-")[1]


def test_spans_are_written_as_json_lines_with_trace_and_parent(tmp_path: Path) -> None:
    file = tmp_path / "traces" / "routing-1.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(file)))
    tracer = provider.get_tracer("test")

    with (
        tracer.start_as_current_span("reports.submitted process") as parent,
        tracer.start_as_current_span("departments.stadt-licht.work publish") as child,
    ):
        child.set_attribute("messaging.kafka.message.key", b"ABCDE-12345")

    inner, outer = (json.loads(line) for line in file.read_text().splitlines())
    assert outer["name"] == "reports.submitted process"
    assert outer["parent_span_id"] is None
    assert inner["trace_id"] == outer["trace_id"] == f"{parent.get_span_context().trace_id:032x}"
    assert inner["parent_span_id"] == outer["span_id"]
    assert inner["attributes"]["messaging.kafka.message.key"] == "ABCDE-12345"


async def test_an_event_written_in_a_request_is_published_later_in_its_trace() -> None:
    repository = InMemoryReportRepository()
    service = ReportService(repository, load_jurisdiction(), data_keys=InMemoryDataKeys())
    submitted = await service.submit_report(
        Submission("street_light_out", "Laterne dunkel", Location(lat=51.4344, lon=6.7623))
    )
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("POST /api/v1/reports") as request:
        # What the Mongo repository stores: the outbox entry keeps the request's trace context.
        document = to_document(submitted.report)
    stored = from_document(document)
    later = InMemoryReportRepository()
    await later.add(stored)
    publisher = TracedPublisher()

    assert current_traceparent() is None  # the relay runs outside any request
    assert await OutboxRelay(ReportOutbox(later), publisher).publish_pending() == 1
    assert trace_id_of(publisher.traceparents[0]) == f"{request.get_span_context().trace_id:032x}"


async def test_a_consumed_record_continues_its_trace_and_its_ids_reach_the_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    broker = KafkaBroker(
        middlewares=(KafkaTelemetryMiddleware(tracer_provider=provider), LogContextMiddleware)
    )
    log = logging.getLogger("stadtmelder_test.handler")
    carried: list[str] = []

    @broker.subscriber("reports.submitted", group_id="test")
    async def on_report_submitted(body: dict[str, str], message: KafkaMessage) -> None:
        carried.append(message.headers["traceparent"])
        log.info("handled")

    caplog.handler.addFilter(CorrelationFilter())
    # Published by a service in the middle of trace TRACE_ID: the record carries it on.
    with caplog.at_level(logging.INFO, logger="stadtmelder_test.handler"), continued(TRACEPARENT):
        async with TestKafkaBroker(broker) as test_broker:
            await test_broker.publish(
                {"report_id": "ABCDE-12345"},
                "reports.submitted",
                headers={"ce_id": "event-1", "ce_subject": "ABCDE-12345"},
            )

    assert [trace_id_of(traceparent) for traceparent in carried] == [TRACE_ID]
    [line] = [r for r in caplog.records if r.getMessage() == "handled"]
    assert (line.report_id, line.event_id, line.trace_id) == (  # type: ignore[attr-defined]
        "ABCDE-12345",
        "event-1",
        TRACE_ID,
    )
    processed = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CONSUMER]
    assert processed
    assert all(f"{s.context.trace_id:032x}" == TRACE_ID for s in processed)
