"""docs/asyncapi.yaml is valid AsyncAPI 3.0 and says what the models and consumers do."""

import importlib
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from stadtmelder_routing.sending.contract import work_item_schema
from stadtmelder_shared import topics
from stadtmelder_shared.event_types import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs/asyncapi.yaml"
SPEC = ROOT / "docs/asyncapi-schema/node_modules/@asyncapi/specs/schemas/3.0.0.json"


def generator() -> ModuleType:
    """docs/asyncapi.py; its modules import each other by name, as `make asyncapi` runs it."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        return importlib.import_module("asyncapi")
    finally:
        sys.path.remove(str(ROOT / "docs"))


GENERATOR = generator()
COMMITTED: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def spec_problems(document: dict[str, Any]) -> list[str]:
    if not SPEC.exists():
        pytest.fail(f"{SPEC} is missing: run `make install` (npm ci in docs/asyncapi-schema)")
    validator = jsonschema.Draft7Validator(json.loads(SPEC.read_text(encoding="utf-8")))
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]


def test_the_committed_document_is_what_the_models_generate() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == GENERATOR.document_text(), (
        "docs/asyncapi.yaml and the event models differ: run `make asyncapi`"
    )


def test_the_document_is_valid_asyncapi_3() -> None:
    assert COMMITTED["asyncapi"] == "3.0.0"
    assert spec_problems(COMMITTED) == []


def test_a_broken_document_is_refused_by_the_asyncapi_schema() -> None:
    broken = json.loads(json.dumps(COMMITTED))
    broken["operations"]["routing_on_report_submitted"]["action"] = "consume"

    assert spec_problems(broken) != []


def test_every_reference_in_the_document_resolves() -> None:
    def references(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for value in node.values() for r in references(value)]
        if isinstance(node, list):
            return [r for value in node for r in references(value)]
        return []

    unresolved = []
    for reference in set(references(COMMITTED)):
        node: Any = COMMITTED
        for part in reference.removeprefix("#/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            unresolved.append(reference)
    assert unresolved == []


def test_every_event_type_has_a_message_with_its_cloudevents_type() -> None:
    messages = COMMITTED["components"]["messages"]
    for ce_type, model in EVENT_TYPES.items():
        headers = messages[model.__name__]["headers"]["allOf"][1]["properties"]
        assert headers["ce_type"] == {"const": ce_type}


def test_every_topic_the_services_use_has_a_channel() -> None:
    addresses = {channel["address"] for channel in COMMITTED["channels"].values()}
    expected = set(topics.service_topics(("{departmentId}",)))

    assert expected - addresses == set()
    assert topics.dead_letter("{topic}") in addresses


def test_the_work_item_payload_equals_the_published_work_item_contract() -> None:
    contract = json.loads(
        json.dumps(work_item_schema()).replace("#/$defs/", "#/components/schemas/")
    )
    schemas = COMMITTED["components"]["schemas"]

    assert schemas["WorkItemQueued"] == {
        key: value
        for key, value in contract.items()
        if key not in ("$schema", "$id", "$defs", "title") and not key.startswith("x-")
    } | {"title": "WorkItemQueued"}
    for name, nested in contract["$defs"].items():
        assert schemas[name] == nested


CONSUMER = re.compile(
    r"@(?:pattern_)?consumer\(\s*broker,\s*topics\.(\w+).*?\)\s*async def (\w+)", re.DOTALL
)
# A row of a table of consumers registered in a loop: `Applying(topics.X, Model, "on_x", ...)`.
TABLED_CONSUMER = re.compile(r'Applying\(\s*topics\.(\w+),\s*\w+,\s*"(\w+)"')
# A batch consumer: `batch_consumer(broker, topics.X, group_id, Model, on_x, ...)`.
BATCH_CONSUMER = re.compile(r"batch_consumer\(\s*broker,\s*topics\.(\w+),\s*\w+,\s*\w+,\s*(\w+)")


def consumers_in_code() -> set[tuple[str, str, str]]:
    """(service, topic, handler) of every consumer the services register, wherever it lives."""
    found = set()
    for service in ("reports", "routing", "notify", "fleet"):
        for path in (ROOT / "services" / service / "src").rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            registered = CONSUMER.findall(text) + TABLED_CONSUMER.findall(text)
            for constant, handler in registered + BATCH_CONSUMER.findall(text):
                topic = getattr(topics, constant)
                if constant == "DEPARTMENT_UPDATES_PATTERN":
                    topic = topics.department_updates("{departmentId}")
                found.add((service, topic, handler))
    return found


def test_the_document_names_every_consumer_of_the_services_and_no_other() -> None:
    channels = COMMITTED["channels"]
    documented = set()
    for operation in COMMITTED["operations"].values():
        group = operation.get("bindings", {}).get("kafka", {}).get("groupId")
        if operation["action"] != "receive" or group is None:
            continue
        channel = channels[operation["channel"]["$ref"].removeprefix("#/channels/")]
        said = re.fullmatch(r"(\w+?), .*`(\w+)`\.", operation["description"])
        assert said is not None, operation["description"]
        service, handler = said.groups()
        documented.add((service, channel["address"], handler))

    assert len(consumers_in_code()) >= 17
    assert documented == consumers_in_code()
