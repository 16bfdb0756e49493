"""The published JSON Schema of a work item, generated from `WorkItemQueued`.

`python -m stadtmelder_routing.sending.contract > docs/contracts/work-item.v1.schema.json`
rewrites the document; a test fails when the two differ.
"""

import json
from typing import Any

from stadtmelder_shared import topics
from stadtmelder_shared.work_item_events import WorkItemQueued

SCHEMA_VERSION = 1


def work_item_schema() -> dict[str, Any]:
    """The body of a message on `departments.<id>.work` and of a webhook request, as sent."""
    generated = WorkItemQueued.model_json_schema(mode="serialization")
    # Every field is in every message, defaults and nulls included, so every field is required.
    for model in (generated, *generated.get("$defs", {}).values()):
        model["required"] = list(model["properties"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:stadtmelder:contract:work-item:v{SCHEMA_VERSION}",
        **generated,
        "title": "Stadtmelder work item",
        "x-cloudevents-type": WorkItemQueued.type,
        "x-kafka-topic": topics.department_work("{department_id}"),
        "x-schema-version": SCHEMA_VERSION,
    }


def schema_text() -> str:
    return json.dumps(work_item_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
