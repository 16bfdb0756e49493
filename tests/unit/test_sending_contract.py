"""The published work-item contract matches what routing sends."""

import json
import re
import time
from collections.abc import Callable
from typing import Any

from stadtmelder_routing.sending.contract import work_item_schema
from stadtmelder_shared.webhook_signatures import signature
from stadtmelder_shared.work_item_events import WorkItemQueued
from tests.sending_fakes import a_work_item
from tests.system import ROOT

DOCUMENT = ROOT / "docs/contracts/work-item.v1.schema.json"
README = ROOT / "docs/contracts/README.md"


def test_published_schema_equals_the_one_generated_from_the_event() -> None:
    published = json.loads(DOCUMENT.read_text(encoding="utf-8"))

    assert published == work_item_schema(), (
        "regenerate with: python -m stadtmelder_routing.sending.contract > " + str(DOCUMENT)
    )


def test_schema_names_every_field_a_work_item_message_carries() -> None:
    schema = work_item_schema()
    body = a_work_item().model_dump(mode="json")

    assert set(schema["required"]) == set(body) == set(schema["properties"])
    assert schema["x-cloudevents-type"] == WorkItemQueued.type
    assert schema["x-kafka-topic"] == "departments.{department_id}.work"


def test_documented_webhook_verification_example_accepts_our_signatures_only() -> None:
    [example] = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    namespace: dict[str, Any] = {}
    exec(compile(example, str(README), "exec"), namespace)
    verify: Callable[[bytes, dict[str, str], bytes], bool] = namespace["verify"]
    body = a_work_item().model_dump_json().encode()
    timestamp = str(int(time.time()))
    headers = {
        "X-Stadtmelder-Timestamp": timestamp,
        "X-Stadtmelder-Signature": signature(b"secret", timestamp, body),
    }

    assert verify(b"secret", headers, body)
    assert not verify(b"other", headers, body)
    assert not verify(b"secret", headers, body.replace(b"R7KQ2M9XA", b"R0000000X"))
    assert not verify(b"secret", headers | {"X-Stadtmelder-Timestamp": "1795000000"}, body)
