"""Erasure on request on the running system: a canary address reports and supports, is mailed,
erases itself, and is then found in no document of any database, no topic record, no log line,
no sent journal and no other file of the services, and is mailed no more.

The counts before and after are printed (run with `-s`) for the issue's closing note.
"""

import hashlib
import random
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from bson import json_util
from pymongo import AsyncMongoClient

from stadtmelder_notify.delivery.domain import address_key
from stadtmelder_reports.core.catalogue import load_jurisdiction
from tests.canary_scans import every_record, services_files
from tests.canary_scans import occurrences as count_in
from tests.conftest import LocalSystem
from tests.examples import valid_answers
from tests.fakes import recipient_key
from tests.supporter_steps import confirm_by_mail
from tests.system import staff_headers, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
LIGHTS = "stadt-licht"
ERASE_LINK = re.compile(r"https?://\S+?/api/v1/erasure/[A-Za-z0-9_.-]+")
ALERT_ERASE_LINK = re.compile(r"https?://\S+?/api/v1/erasure/alert/[A-Za-z0-9_%.-]+")
CONFIRM_LINK = re.compile(r"https?://\S+?/api/v1/alerts/confirm/[A-Za-z0-9_%.-]+")
# Every signed link a citizen's mail carries, its token captured.
SIGNED_LINK = re.compile(
    r"/api/v1/(?:notifications/unsubscribe|notifications/preferences|erasure/alert|erasure"
    r"|feedback|alerts/[a-z]+|supporters/confirm)/([A-Za-z0-9_%.-]+)"
)
# Wanheimerort, 3.5 km south of the Königstraße where other tests report road damage and the
# fleet's trucks find it, at a point of its own each run: the test's road damage alerts
# (300 m) hear of its own reports only, so no late report of another test mails the canary.
WANHEIMERORT = (51.4005, 6.7652)
PLACE = (
    round(WANHEIMERORT[0] + random.uniform(-0.002, 0.002), 6),
    round(WANHEIMERORT[1] + random.uniform(-0.003, 0.003), 6),
)

Mongo = AsyncMongoClient[dict[str, Any]]


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


@pytest.fixture
async def mongo(running_system: LocalSystem) -> AsyncIterator[Mongo]:
    client: Mongo = AsyncMongoClient(running_system.mongodb_url, tz_aware=True)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture(scope="module")
def clerk() -> dict[str, str]:
    return staff_headers("e2e-erasure-clerk", ["clerk"], LIGHTS)


def an_address(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}@example.org"


async def a_routed_report(
    api: httpx.AsyncClient, reporter: str, category: str = "street_light_out"
) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/reports",
        json={
            "category": category,
            "answers": valid_answers(DUISBURG.category(category)),
            "description": f"Laterne dunkel ({uuid.uuid4().hex[:6]})",
            "lat": PLACE[0],
            "lon": PLACE[1],
            "email": reporter,
            "name": "Canary Vogel",
        },
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()

    async def routed() -> bool:
        view = (await api.get(f"/api/v1/reports/{created['id']}")).json()
        return bool(view["status"] == "routed")

    await wait_until(routed, what=f"report {created['id']} to be routed")
    return created


async def support(api: httpx.AsyncClient, report_id: str, supporter: str) -> None:
    response = await api.post(
        f"/api/v1/reports/{report_id}/support", json={"email": supporter, "language": "en"}
    )
    assert response.status_code == 200, response.text


async def an_alert(system: LocalSystem, api: httpx.AsyncClient, address: str) -> EmailMessage:
    """A confirmed alert for road damage where the test's street lights are: its confirmation."""
    body = {"email": address, "lat": PLACE[0], "lon": PLACE[1], "radius_m": 300}
    response = await api.post("/api/v1/alerts", json={**body, "category": "road_damage"})
    assert response.status_code == 202, response.text

    async def confirmation() -> list[EmailMessage]:
        return [m for m in system.mailbox.messages_to(address) if CONFIRM_LINK.search(text_of(m))]

    [mail] = await wait_until(confirmation, what=f"the alert confirmation to {address}")
    async with httpx.AsyncClient(timeout=30) as browser:
        confirm = CONFIRM_LINK.findall(text_of(mail))[0]
        confirmed = await browser.post(confirm, headers={"accept": "application/json"})
    assert confirmed.status_code == 200, confirmed.text
    return mail


def mails_about(system: LocalSystem, address: str, report_id: str) -> list[EmailMessage]:
    return [m for m in system.mailbox.messages_to(address) if report_id in str(m["Subject"])]


async def mailed_about(
    system: LocalSystem, address: str, report_id: str, count: int = 1
) -> list[EmailMessage]:
    async def probe() -> list[EmailMessage]:
        found = mails_about(system, address, report_id)
        return found if len(found) >= count else []

    return await wait_until(probe, what=f"{count} mail(s) to {address} about {report_id}")


async def mailed_saying(system: LocalSystem, address: str, words: str) -> list[EmailMessage]:
    async def probe() -> list[EmailMessage]:
        return [m for m in system.mailbox.messages_to(address) if words in text_of(m)]

    return await wait_until(probe, what=f"a mail to {address} saying {words!r}")


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def occurrences(mongo: Mongo, needle: str) -> dict[str, int]:
    """In every collection of every database: how many documents contain `needle`, as text."""
    found: dict[str, int] = {}
    wanted = needle.lower()
    for database in await mongo.list_database_names():
        for collection in await mongo[database].list_collection_names():
            async for document in mongo[database][collection].find({}):
                if wanted in json_util.dumps(document).lower():
                    where = f"{database}.{collection}"
                    found[where] = found.get(where, 0) + 1
    return found


def hashes_of(address: str, report_ids: list[str]) -> dict[str, str]:
    """What derives from the address: its plain hash (reports' supporter keys), notify's
    address key (rate limits), and for each report its recipient key (links; keyed under the
    link secret, which the test system leaves at its development value) and the plain SHA-256
    of report and address that the recipient key once was, which anyone could recompute."""
    return {
        "sha256": hashlib.sha256(address.lower().encode()).hexdigest(),
        "address key": address_key(address),
        **{f"recipient key {r}": recipient_key(r, address) for r in report_ids},
        **{
            f"plain recipient key {r}": hashlib.sha256(
                f"{r}|{address.lower()}".encode()
            ).hexdigest()
            for r in report_ids
        },
    }


async def hash_counts(mongo: Mongo, hashes: dict[str, str]) -> dict[str, dict[str, int]]:
    return {
        name: found for name, value in hashes.items() if (found := await occurrences(mongo, value))
    }


async def step(api: httpx.AsyncClient, clerk: dict[str, str], report_id: str, comment: str) -> None:
    body = {"to": "acknowledged", "public_comment": comment}
    response = await api.post(
        f"/api/v1/staff/reports/{report_id}/transitions", json=body, headers=clerk
    )
    assert response.status_code == 200, response.text


async def test_an_erased_canary_is_in_no_document_and_mailed_no_more(
    running_system: LocalSystem, api: httpx.AsyncClient, mongo: Mongo, clerk: dict[str, str]
) -> None:
    canary, neighbour, witness = an_address("canary"), an_address("neighbour"), an_address("wit")
    alert_mail = await an_alert(running_system, api, canary)
    await an_alert(running_system, api, witness)
    reported = await a_routed_report(api, canary)
    own, token = reported["id"], reported["tracking_token"]
    await support(api, own, witness)
    supported = (await a_routed_report(api, neighbour))["id"]
    await support(api, supported, canary)
    await mailed_about(running_system, canary, own, count=2)  # confirmation and routing
    support_mail = (await mailed_about(running_system, canary, supported))[-1]
    # The witness confirms their address (double opt-in), so they hear the steps below.
    witness_asked = (await mailed_about(running_system, witness, own))[-1]
    await confirm_by_mail(running_system, witness_asked, own)
    hashes = hashes_of(canary, [own, supported])

    async def all_hashes_stored() -> dict[str, dict[str, int]] | None:
        # Notify writes the rate limit's send times (the address key) behind, once a second.
        counts = await hash_counts(mongo, hashes)
        return counts if "address key" in counts else None

    hashed_before = await wait_until(all_hashes_stored, what="notify's send times to be written")
    before = await occurrences(mongo, canary)
    mails_before = len(running_system.mailbox.messages_to(canary))
    print(f"\ncanary before erasure: {before} ({sum(before.values())} documents)")
    print(f"mails to the canary before erasure: {mails_before}")
    assert before, "the scan must find the canary before it is erased"

    # Requests whose paths hold the secrets, so traces and logs would show them if any did.
    assert (await api.get(f"/track/{token}")).status_code == 200
    assert (await api.get(f"/api/v1/track/{token}")).status_code == 200
    signed = link_tokens(running_system.mailbox.messages_to(canary))
    erased = await api.delete(f"/api/v1/track/{token}/contact")
    assert erased.status_code == 200, erased.text
    links = ERASE_LINK.findall(text_of(support_mail))
    assert links, text_of(support_mail)
    async with httpx.AsyncClient(timeout=30) as browser:
        opened = await browser.get(links[0], headers={"accept": "text/html"})
        assert opened.status_code == 200, opened.text
        assert (await mongo_count(mongo, canary)) > 0, "opening the link must erase nothing"
        confirmed = await browser.post(links[0], headers={"accept": "application/json"})
        assert confirmed.status_code == 200, confirmed.text
        [alert_link] = ALERT_ERASE_LINK.findall(text_of(alert_mail))
        cancelled = await browser.post(alert_link, headers={"accept": "application/json"})
        assert cancelled.status_code == 200, cancelled.text

    async def gone() -> dict[str, int] | None:
        left = await occurrences(mongo, canary)
        return None if left else {"left": 0}

    await wait_until(gone, timeout=30, interval=0.5, what="the canary to leave every database")
    after = await occurrences(mongo, canary)
    print(f"canary after erasure: {after} ({sum(after.values())} documents)")
    assert after == {}
    hashed_after = await hash_counts(mongo, hashes)
    print(f"hashes of the canary before erasure: {hashed_before}")
    print(f"hashes of the canary after erasure: {hashed_after}")
    # The scan sees each hash before: reports' supporter keys, notify's rate limit.
    assert "sha256" in hashed_before
    assert "address key" in hashed_before
    # The keyed recipient keys are found (links, followers, data key names); the plain form never.
    assert {f"recipient key {own}", f"recipient key {supported}"} <= set(hashed_before)
    assert not [name for name in hashed_before if name.startswith("plain")], hashed_before
    # A follower's key stays in notify as an "erased" marker (see MongoFollowerStore.erase).
    assert set(hashed_after) <= {f"recipient key {own}", f"recipient key {supported}"}

    staff = (await api.get(f"/api/v1/staff/reports/{own}", headers=clerk)).json()
    assert staff["contact_erased_at"] is not None
    assert datetime.fromisoformat(staff["contact_erased_at"]) == datetime.fromisoformat(
        erased.json()["contact_erased_at"]
    )
    public = await api.get(f"/api/v1/reports/{own}")
    assert public.status_code == 200
    assert public.json()["description"].startswith("Laterne dunkel")

    # The step's other effects: the witness and the neighbour hear of it; the canary not.
    await step(api, clerk, own, "Wir kommen am Montag.")
    await step(api, clerk, supported, "Wir kommen am Dienstag.")
    await mailed_saying(running_system, witness, "Montag")
    await mailed_saying(running_system, neighbour, "Dienstag")
    # A new report in the alert's area: the witness, subscribed alike, hears of it.
    pothole = (await a_routed_report(api, an_address("pothole"), "road_damage"))["id"]
    await mailed_saying(running_system, witness, pothole)
    mails_after = len(running_system.mailbox.messages_to(canary))
    print(f"mails to the canary after erasure, two staff steps and a new alert: {mails_after}")
    assert mails_after == mails_before
    await nowhere_else(running_system, canary, own, hashes, {"tracking token": token, **signed})


def link_tokens(mails: list[EmailMessage]) -> dict[str, str]:
    """The token of every signed link in `mails`, as a request path carries it (decoded)."""
    tokens = {unquote(t) for mail in mails for t in SIGNED_LINK.findall(text_of(mail))}
    assert len(tokens) >= 4, "the mails carry erasure, alert and preference links"
    return {f"link token {n}": t for n, t in enumerate(sorted(tokens))}


async def nowhere_else(
    system: LocalSystem,
    canary: str,
    report_id: str,
    derived: dict[str, str],
    secrets: dict[str, str],
) -> None:
    """Every topic record from the beginning and every file the services wrote (logs, sent
    journals, traces, ...) hold neither the address nor its local part, which is unique too,
    nor a plain hash of it, nor the tracking token or a signed link's token in plain text;
    what else derives from the address is counted for the record."""
    local_part = canary.split("@")[0]
    records = await every_record(system.kafka)
    places = services_files(system.profile.state_dir)
    print(
        f"topics: {len(records)} records, {count_in(records, canary)} hits of the canary, "
        f"{count_in(records, local_part)} of its local part"
    )
    for place in places.values():
        print(f"{place.summary(canary)}, {place.count(local_part)} of its local part")
    # The scans read what the test did: the report is in the topics and the services' logs.
    assert any(report_id.encode() in record for record in records), "the scan reads the topics"
    assert places["logs"].count(report_id) > 0, "the scan reads the services' logs"
    assert places["sent journals"].files, "notify keeps a sent journal"
    found = {
        name: {"topics": count_in(records, value)}
        | {where: place.count(value) for where, place in places.items()}
        for name, value in derived.items()
    }
    print(f"derived from the canary, after erasure: {found}")
    leaked = {
        name: {"topics": count_in(records, value)}
        | {where: place.count(value) for where, place in places.items()}
        for name, value in secrets.items()
    }
    print(f"tracking and link tokens ({len(secrets)}), after erasure: {leaked}")
    assert places["other files"].count("/api/v1/track/{token}/contact") > 0, "traces are read"
    assert {name: sum(found_in.values()) for name, found_in in leaked.items()} == dict.fromkeys(
        secrets, 0
    )
    assert count_in(records, local_part) == 0
    assert {name: place.count(local_part) for name, place in places.items()} == dict.fromkeys(
        places, 0
    )
    plain = ["sha256", "address key", *(n for n in derived if n.startswith("plain"))]
    for plain_hash in plain:
        assert set(found[plain_hash].values()) == {0}, plain_hash


async def mongo_count(mongo: Mongo, needle: str) -> int:
    return sum((await occurrences(mongo, needle)).values())
