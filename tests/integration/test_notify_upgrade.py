"""Upgrading notify: followers, push subscriptions and deferred messages of older versions reach
the stores that notify reads now, on real FerretDB."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from stadtmelder_notify.core.store import (
    MongoChannelStore,
    MongoFollowerStore,
    Subscriber,
    subscription_key,
)
from stadtmelder_notify.delivery.repository import MongoDeliveryLog
from stadtmelder_notify.upgrade import Copied, copy_to_documents_by_report
from stadtmelder_shared.event_values import PushSubscription
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS
from tests.conftest import LocalSystem
from tests.fakes import recipient_key

pytestmark = pytest.mark.integration

LATER = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
BROWSER = PushSubscription(endpoint="https://push.example.net/s/1", p256dh="BPk", auth="au")


@pytest.fixture
async def old_database(infrastructure: LocalSystem) -> AsyncIterator[Any]:
    """A database as notify left it before its stores by report, written as it wrote them."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infrastructure.mongodb_url, tz_aware=True
    )
    database = client[f"upgrade_{uuid.uuid4().hex[:8]}"]
    await database["followers"].insert_many(
        [
            _follower("R1", "anna@example.org", confirmed=True, chosen_language="tr"),
            _follower("R1", "ben@example.org", opted_out=True),
            _follower("R1", "cem@example.org"),
            _follower("R2", "anna@example.org"),
        ]
    )
    await database["push_subscriptions"].insert_one(
        {
            "_id": subscription_key("R1", BROWSER.endpoint),
            "report_id": "R1",
            "language": "en",
            **BROWSER.model_dump(),
        }
    )
    await database["deliveries"].insert_many(
        [
            {"_id": "k-waits", "status": "deferred", "lease_until": LATER, "pending": "{}"},
            {"_id": "k-sent", "status": "sent", "lease_until": LATER, "sent_at": LATER},
        ]
    )
    try:
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()


def _follower(report_id: str, email: str, **choices: Any) -> dict[str, Any]:
    return {
        "_id": recipient_key(report_id, email),
        "report_id": report_id,
        "email": email,
        "name": None,
        "phone": None,
        "language": "de",
        **choices,
    }


async def test_followers_browsers_and_deferred_mails_of_older_versions_survive_the_copy(
    old_database: Any,
) -> None:
    assert await copy_to_documents_by_report(old_database, DEVELOPMENT_RECIPIENT_KEYS) == Copied(
        4, 1, 1
    )
    # Run twice by mistake: still everyone once, with their choices.
    assert await copy_to_documents_by_report(old_database, DEVELOPMENT_RECIPIENT_KEYS) == Copied(
        4, 1, 1
    )

    followers = MongoFollowerStore(old_database, DEVELOPMENT_RECIPIENT_KEYS)
    assert [(f.email, f.language) for f in await followers.of("R1")] == [
        ("anna@example.org", "tr"),
        ("cem@example.org", "de"),
    ]
    assert [f.email for f in await followers.of("R2")] == ["anna@example.org"]
    assert await followers.is_confirmed("R1", "anna@example.org")
    assert not await followers.is_confirmed("R2", "anna@example.org")
    assert await MongoChannelStore(old_database).subscribers("R1") == [Subscriber(BROWSER, "en")]
    deliveries = MongoDeliveryLog(old_database)
    assert await deliveries.due_deferred(LATER - timedelta(minutes=1), 10) == []
    assert await deliveries.due_deferred(LATER, 10) == ["k-waits"]
