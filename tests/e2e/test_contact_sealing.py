"""No Kafka record carries readable contact data: a canary address and the tracking tokens go in
through every path (JSON API, Open311, the web form, a support, an area alert), the report is
routed and worked, and a scan of every topic from the beginning finds none of them, while the
mails to the canary did arrive."""

import re
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from pymongo import AsyncMongoClient

from stadtmelder_shared.data_keys import COLLECTION
from stadtmelder_shared.settings import ConnectionSettings
from tests.canary_scans import every_record, occurrences
from tests.conftest import LocalSystem
from tests.e2e.test_notify_loop import LIGHTS, clerk, mails, plain, step, submit
from tests.e2e.test_open311 import api_key, post_request, request_form
from tests.examples import KOENIGSTRASSE

pytestmark = pytest.mark.e2e
# Fixtures used from the modules they live in.
__all__ = ["api_key", "clerk"]


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


class Canary:
    """Addresses that share one marker, so a partial copy of any of them is found too."""

    def __init__(self) -> None:
        self.marker = f"canary{uuid.uuid4().hex[:12]}"
        self.name = f"Kanarie {self.marker[-6:]}"

    def address(self, path: str) -> str:
        return f"{self.marker}-{path}@example.org"


async def test_no_topic_holds_a_readable_address_or_token_after_a_full_report_life(
    running_system: LocalSystem,
    api: httpx.AsyncClient,
    clerk: dict[str, str],
    api_key: str,
) -> None:
    canary = Canary()
    # The JSON API: the reporter who will hear every step.
    reporter = canary.address("json")
    new = await submit(api, reporter, "de")
    report_id, tokens = new["id"], [new["tracking_token"]]
    # Open311, with an e-mail and a name.
    fields = request_form(api_key, place=KOENIGSTRASSE)
    fields.update(email=canary.address("open311"), first_name=canary.name)
    tokens.append((await post_request(api, fields))["token"])
    # The web form.
    page = await api.post(
        "/report",
        data={
            "category": "street_light_out",
            "description": "Laterne vor Nr. 12 ist dunkel.",
            "lat": str(KOENIGSTRASSE[0] + 0.001),
            "lon": str(KOENIGSTRASSE[1]),
            "email": canary.address("web"),
            "name": canary.name,
            "different": "1",
        },
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    tokens.append(page.headers["location"].split("/")[2].split("?")[0])
    # A supporter of the first report, and an area alert around it.
    supporter = canary.address("support")
    supported = await api.post(
        f"/api/v1/reports/{report_id}/support", json={"email": supporter, "name": canary.name}
    )
    assert supported.status_code == 200, supported.text
    subscriber = canary.address("alert")
    alert = await api.post(
        "/api/v1/alerts",
        json={"email": subscriber, "lat": KOENIGSTRASSE[0], "lon": KOENIGSTRASSE[1]},
    )
    assert alert.status_code == 202, alert.text

    # Routed, then a staff step: the reporter's third mail says it.
    await mails(running_system, reporter, 2)
    await step(api, clerk, report_id, "acknowledged", public_comment="Wir kümmern uns.")
    told = await mails(running_system, reporter, 3)
    # The feature works: every path's mail reached its canary address.
    assert any(tokens[0] in plain(mail) for mail in told), "the tracking link was mailed"
    for path in ("open311", "web"):
        await mails(running_system, canary.address(path), 1)
    await mails(running_system, supporter, 1)
    [confirm] = await mails(running_system, subscriber, 1)
    link = re.search(r"https?://\S+/api/v1/alerts/confirm/(\S+)", plain(confirm))
    assert link is not None
    tokens.append(urlsplit(link[0]).path.rsplit("/", 1)[1])

    records = await every_record(running_system.kafka)
    assert any(report_id.encode() in record for record in records), "the scan reads the topics"
    counts = {
        "canary marker": occurrences(records, canary.marker),
        "canary name": occurrences(records, canary.name),
        **{f"token {n}": occurrences(records, token) for n, token in enumerate(tokens)},
    }
    print(f"{len(records)} records scanned on every topic; occurrences: {counts}")
    assert counts == dict.fromkeys(counts, 0)
    assert LIGHTS.encode() in b"".join(records), "the report was routed to the street lights"


async def test_erasure_destroys_the_report_key_so_its_sealed_copies_never_open_again(
    running_system: LocalSystem, api: httpx.AsyncClient
) -> None:
    new = await submit(api, Canary().address("erased"), "en")
    keys: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(running_system.mongodb_url)
    try:
        stored = keys[ConnectionSettings().data_keys_database][COLLECTION]
        assert await stored.find_one({"_id": new["id"]}) is not None, "made before it was stored"

        erased = await api.delete(f"/api/v1/track/{new['tracking_token']}/contact")

        assert erased.status_code == 200, erased.text
        assert await stored.find_one({"_id": new["id"]}) is None
    finally:
        await keys.close()
