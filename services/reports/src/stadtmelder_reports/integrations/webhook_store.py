"""Where the apps' webhooks are kept: a Protocol and its MongoDB adapter."""

from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.errors import NotAllowed
from stadtmelder_shared.event_values import AppWebhook

Document = dict[str, Any]


class AppWebhookStore(Protocol):
    async def webhook_of(self, client_id: str) -> AppWebhook | None: ...

    async def register(self, client_id: str, url: str) -> AppWebhook:
        """Set the app's webhook with a new secret version."""
        ...

    async def remove(self, client_id: str) -> bool: ...


class MongoAppWebhookStore:
    """The webhook lives on the app's API client document."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._clients = database["api_clients"]

    async def webhook_of(self, client_id: str) -> AppWebhook | None:
        document = await self._clients.find_one({"_id": client_id})
        return _webhook(client_id, document)

    async def register(self, client_id: str, url: str) -> AppWebhook:
        document = await self._clients.find_one_and_update(
            {"_id": client_id},
            {"$set": {"webhook_url": url}, "$inc": {"webhook_version": 1}},
            return_document=ReturnDocument.AFTER,
        )
        webhook = _webhook(client_id, document)
        if webhook is None:
            raise NotAllowed("This API client no longer exists.")
        return webhook

    async def remove(self, client_id: str) -> bool:
        result = await self._clients.update_one(
            {"_id": client_id, "webhook_url": {"$exists": True}},
            {"$unset": {"webhook_url": ""}},
        )
        return result.modified_count == 1


def _webhook(client_id: str, document: Document | None) -> AppWebhook | None:
    if document is None or document.get("revoked") or not document.get("webhook_url"):
        return None
    return AppWebhook(
        client_id=client_id,
        url=document["webhook_url"],
        secret_version=int(document.get("webhook_version", 1)),
    )
