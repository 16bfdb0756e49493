"""Known works on the running system: an operator imports a works file (twice, the second time
changing nothing), reports announces it on `works.changed`, routing keeps it, and a report
placed inside is routed with a work item, a department mail, a staff view, a JSON view and an
Open311 request that all name the works."""

import json
import os
import random
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from stadtmelder_reports.works.texts import city_today
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import group_for
from stadtmelder_shared.works import works_key
from tests.conftest import LocalSystem
from tests.e2e.test_pipeline import a_report, an_address, plain_text, routed, submit
from tests.system import ROOT, committed_offset, records_with_key, staff_headers, wait_until

pytestmark = pytest.mark.e2e
# Meiderich, where the other end-to-end tests do not report; each test's works lie at a place
# of their own in it, since the works of earlier runs stay in the test system's database.
MEIDERICH = (51.4661, 6.7735)
HALF_SIDE = 0.0006
# Playground reports go to the green spaces department, which also gets them by mail.
MAILBOX = "gruen@wbd.example"


def a_place() -> dict[str, float]:
    return {
        "lat": round(MEIDERICH[0] + random.uniform(-0.008, 0.008), 6),
        "lon": round(MEIDERICH[1] + random.uniform(-0.012, 0.012), 6),
    }


def works_file(directory: Path, works_id: str, title: str, around: dict[str, float]) -> Path:
    today = city_today()
    west, east = around["lon"] - HALF_SIDE, around["lon"] + HALF_SIDE
    south, north = around["lat"] - HALF_SIDE, around["lat"] + HALF_SIDE
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    feature = {
        "type": "Feature",
        "id": works_id,
        "properties": {
            "title": title,
            "operator": "Testfirma Tiefbau",
            "from": (today - timedelta(days=1)).isoformat(),
            "until": (today + timedelta(days=20)).isoformat(),
        },
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = directory / "works.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def import_works(system: LocalSystem, path: Path) -> str:
    """The operator's command, as `make run` runs it, against the test system's database."""
    env = {**os.environ, "MONGODB_URL": system.mongodb_url}
    command = [sys.executable, "-m", "stadtmelder_reports.admin", "import-works", str(path)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def get_json(system: LocalSystem, path: str, **kwargs: Any) -> Any:
    async with httpx.AsyncClient(base_url=system.reports_url) as client:
        response = await client.get(path, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


async def routing_has_taken(system: LocalSystem, works_id: str) -> bool:
    records = await records_with_key(system.kafka, topics.WORKS_CHANGED, works_key(works_id))
    if not records:
        return False
    last = records[-1]
    group = group_for("routing", topics.WORKS_CHANGED)
    committed = await committed_offset(system.kafka, group, topics.WORKS_CHANGED, last["partition"])
    return committed is not None and committed > last["offset"]


async def test_a_report_inside_imported_works_is_routed_with_the_works_named_everywhere(
    running_system: LocalSystem, tmp_path: Path
) -> None:
    works_id = f"e2e-{uuid.uuid4().hex[:10]}"
    title = f"Kanalsanierung {works_id}"
    inside = a_place()
    path = works_file(tmp_path, works_id, title, inside)

    first = import_works(running_system, path)
    again = import_works(running_system, path)
    assert "1 new, 0 changed, 0 unchanged" in first
    assert "0 new, 0 changed, 1 unchanged" in again
    here = await get_json(running_system, "/api/v1/works/here", params=inside)
    assert works_id in [w["id"] for w in here["works"]]
    assert any(s.startswith("Hier wird bis ") and title in s for s in here["sentences"])
    await wait_until(
        lambda: routing_has_taken(running_system, works_id),
        timeout=60,
        what="routing to consume the works announced on works.changed",
    )
    # The second import announced nothing: one record of the works on the topic.
    announced = await records_with_key(
        running_system.kafka, topics.WORKS_CHANGED, works_key(works_id)
    )
    assert len(announced) == 1

    report = a_report(an_address(), category="playground_damage", **inside)
    report_id = await submit(running_system, report)
    view = await routed(running_system, report_id, timeout=60)

    assert (works_id, title) in [(w["id"], w["title"]) for w in view["works"]]
    (item,) = await wait_until(
        lambda: records_with_key(
            running_system.kafka, topics.department_work("wbd-gruen"), report_id
        ),
        what="the department's work item",
    )
    assert works_id in [w["id"] for w in json.loads(item["value"])["works"]]

    async def department_mail() -> list[Any]:
        mails = running_system.mailbox.messages_to(MAILBOX)
        return [m for m in mails if report_id in str(m["Subject"])]

    (mail,) = await wait_until(department_mail, timeout=60, what="the department's work order")
    assert f"Liegt in der Baustelle „{title}“ (Testfirma Tiefbau)" in plain_text(mail)

    open311 = await get_json(
        running_system, f"/open311/v2/requests/{report_id}.json", params={"extensions": "true"}
    )
    assert works_id in [w["id"] for w in open311[0]["extended_attributes"]["works"]]
    staff = await get_json(
        running_system,
        f"/api/v1/staff/reports/{report_id}",
        headers=staff_headers("dispatcher-1", ["dispatcher"]),
    )
    assert [w["operator"] for w in staff["works"] if w["id"] == works_id] == ["Testfirma Tiefbau"]


async def test_a_malformed_works_file_is_refused_naming_the_feature_and_keeps_nothing(
    running_system: LocalSystem, tmp_path: Path
) -> None:
    works_id = f"e2e-{uuid.uuid4().hex[:10]}"
    path = works_file(tmp_path, works_id, "Leitungsbau", a_place())
    document = json.loads(path.read_text())
    broken = json.loads(json.dumps(document["features"][0]))
    broken["id"], broken["properties"]["until"] = f"{works_id}-b", "2000-01-01"
    document["features"].append(broken)
    path.write_text(json.dumps(document))
    env = {**os.environ, "MONGODB_URL": running_system.mongodb_url}
    command = [sys.executable, "-m", "stadtmelder_reports.admin", "import-works", str(path)]

    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)

    assert done.returncode == 1
    assert f"works.geojson feature 2 (id '{works_id}-b'): until 2000-01-01 is before" in done.stdout
    listed = await get_json(running_system, "/api/v1/works")
    assert works_id not in [w["id"] for w in listed["works"]]
