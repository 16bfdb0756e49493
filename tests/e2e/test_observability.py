"""What an operator watches: one report's trace through all three services, its ids in the logs,
and the series of every service's /metrics after a report went all the way through."""

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_shared import topics
from tests.conftest import LocalSystem
from tests.examples import valid_answers
from tests.system import records_with_key, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()


async def submit(system: LocalSystem, address: str) -> str:
    async with httpx.AsyncClient(base_url=system.reports_url, timeout=30) as api:
        response = await api.post(
            "/api/v1/reports",
            json={
                "category": "street_light_out",
                "answers": valid_answers(DUISBURG.category("street_light_out")),
                "description": f"Die Laterne ist dunkel ({uuid.uuid4().hex[:6]}).",
                "lat": 51.4344,
                "lon": 6.7623,
                "email": address,
                "language": "en",
            },
        )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def spans(system: LocalSystem) -> list[dict[str, Any]]:
    """Every span the services wrote so far (TRACES_DIR of the test profile)."""
    found: list[dict[str, Any]] = []
    for path in sorted(Path(system.profile.state_dir, "traces").glob("*.jsonl")):
        found.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return found


def log_lines(system: LocalSystem, service: str) -> list[dict[str, Any]]:
    lines = []
    for line in system.profile.log_file(service).read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def mails_arrived(system: LocalSystem, address: str, count: int) -> None:
    async def arrived() -> bool:
        return len(system.mailbox.messages_to(address)) >= count

    await wait_until(arrived, timeout=60, what=f"{count} mails to {address}")


async def test_a_trace_of_one_report_spans_reports_routing_and_notify(
    running_system: LocalSystem,
) -> None:
    address = f"trace-{uuid.uuid4().hex[:8]}@example.org"
    report_id = await submit(running_system, address)

    async def announced() -> list[dict[str, Any]]:
        return await records_with_key(running_system.kafka, topics.REPORTS_SUBMITTED, report_id)

    [record] = await wait_until(announced, what="the report on reports.submitted")
    # W3C trace context: version-traceid-parentid-flags.
    version, trace_id, _, _ = record["headers"]["traceparent"].split("-")
    assert version == "00"

    async def whole_trace() -> list[dict[str, Any]] | None:
        found = [span for span in spans(running_system) if span["trace_id"] == trace_id]
        services = {span["service"] for span in found}
        handled = {(span["service"], span["name"]) for span in found}
        # A span is written when it ends, a parent after its children: wait for the parents.
        # Reports handles reports.routed too, and notify's routed span ends last (it waits for
        # the confirmation to go out first): wait for notify's own.
        ids = {span["span_id"] for span in found}
        parents = {span["parent_span_id"] for span in found} - {None}
        complete = (
            # The fleet service, when running, reads reports.submitted too (container_full).
            {"reports", "routing", "notify"} <= services
            and ("notify", f"{topics.REPORTS_ROUTED} process") in handled
            and parents <= ids
        )
        return found if complete else None

    trace = await wait_until(whole_trace, timeout=60, what=f"the trace {trace_id} in 3 services")
    [root] = [span for span in trace if span["parent_span_id"] is None]
    assert (root["service"], root["kind"], root["name"]) == (
        "reports",
        "SERVER",
        "POST /api/v1/reports",
    )
    processed = {(s["service"], s["name"]) for s in trace if s["kind"] == "CONSUMER"}
    assert ("routing", f"{topics.REPORTS_SUBMITTED} process") in processed
    assert ("notify", f"{topics.REPORTS_ROUTED} process") in processed
    # One root: every other span hangs on a parent of this trace, none started its own.

    await mails_arrived(running_system, address, 2)
    routed_lines = [
        line
        for line in log_lines(running_system, "routing")
        if line.get("report_id") == report_id and line["message"].startswith("routed to")
    ]
    assert routed_lines, "routing logged nothing about the report"
    assert routed_lines[0]["trace_id"] == trace_id
    assert routed_lines[0]["event_id"] == record["headers"]["ce_id"]


def families(text: str) -> dict[str, list[Any]]:
    """Samples by family name; a declared family without samples maps to an empty list."""
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def has_sample(found: dict[str, list[Any]], family: str, **labels: str) -> bool:
    return any(
        all(sample.labels.get(k) == v for k, v in labels.items())
        for sample in found.get(family, [])
    )


def db_commands(found: dict[str, list[Any]]) -> float:
    """Every database command the service counted so far."""
    family = found.get("stadtmelder_db_commands", [])
    return float(sum(s.value for s in family if s.name == "stadtmelder_db_commands_total"))


async def scrape_services(system: LocalSystem) -> dict[str, str]:
    profile: Any = system.profile
    texts = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for service, port in (
            ("reports", profile.reports_port),
            ("routing", profile.routing_port),
            ("notify", profile.notify_port),
        ):
            response = await http.get(f"http://127.0.0.1:{port}/metrics")
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain")
            texts[service] = response.text
    return texts


async def test_the_metrics_of_each_service_show_their_series_after_a_report(
    running_system: LocalSystem,
) -> None:
    before = {
        name: db_commands(families(text))
        for name, text in (await scrape_services(running_system)).items()
    }
    address = f"metrics-{uuid.uuid4().hex[:8]}@example.org"
    report_id = await submit(running_system, address)
    poison_key = f"POISON-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=running_system.kafka)
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.REPORTS_SUBMITTED, b"\x00 no event", key=poison_key.encode()
        )
    finally:
        await producer.stop()
    await mails_arrived(running_system, address, 2)

    async def dead_lettered() -> list[dict[str, Any]]:
        dlq = topics.dead_letter(topics.REPORTS_SUBMITTED)
        return await records_with_key(running_system.kafka, dlq, poison_key)

    await wait_until(dead_lettered, what="the poison record in the DLQ")

    texts = await scrape_services(running_system)
    reports, routing, notify = (families(texts[s]) for s in ("reports", "routing", "notify"))

    # HTTP latency by route template, never by the path with a report id in it.
    assert has_sample(
        reports, "stadtmelder_http_request_duration_seconds", path="/api/v1/reports", method="POST"
    )
    assert has_sample(reports, "stadtmelder_outbox_backlog", outbox="reports")
    # Events processed and failed per topic, and the consumer lag, in every consumer.
    for found, topic in (
        (reports, topics.REPORTS_ROUTED),
        (routing, topics.REPORTS_SUBMITTED),
        (notify, topics.REPORTS_ROUTED),
    ):
        assert has_sample(
            found, "faststream_received_processed_messages", handler=topic, status="acked"
        )
        assert "faststream_received_processed_messages_exceptions" in found
        assert has_sample(found, "stadtmelder_consumer_lag", topic=topic)
    # Dead letters are published messages to a `.dlq` topic.
    assert has_sample(
        routing,
        "faststream_published_messages",
        destination=topics.dead_letter(topics.REPORTS_SUBMITTED),
        status="success",
    )
    assert has_sample(routing, "stadtmelder_department_sends", method="kafka", outcome="sent")
    assert has_sample(routing, "stadtmelder_sla_overdue_work_items", department="stadt-licht")
    assert has_sample(notify, "stadtmelder_notifications", channel="email", outcome="sent")
    assert has_sample(notify, "stadtmelder_notifications", channel="email", outcome="failed")
    # Database commands by name and collection: each service's count grew with the report.
    for service, found in (("reports", reports), ("routing", routing), ("notify", notify)):
        assert db_commands(found) > before[service], f"{service} counted no database command"
    assert has_sample(reports, "stadtmelder_db_commands", command="insert", collection="reports")
    assert has_sample(routing, "stadtmelder_db_commands", command="update", collection="work_items")
    # Bounded labels: no report id, no address in any series.
    for text in texts.values():
        assert report_id not in text
        assert address not in text
        assert poison_key not in text
