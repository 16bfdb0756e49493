"""API keys of apps that submit reports: issued once, stored only as a hash, checked per request."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


@dataclass(frozen=True)
class ApiClient:
    id: str
    name: str
    submissions_per_minute: int


class ApiKeyStore(Protocol):
    async def authenticate(self, api_key: str) -> ApiClient | None:
        """The client owning `api_key`, or None for an unknown, malformed or revoked key."""
        ...


def new_api_key() -> tuple[str, str]:
    """(client id, key); the key is `<client id>.<secret>` so lookups need no scan."""
    client_id = secrets.token_hex(6)
    return client_id, f"{client_id}.{secrets.token_urlsafe(32)}"


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class MongoApiKeyStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._clients = database["api_clients"]

    async def create(
        self, name: str, submissions_per_minute: int, now: datetime
    ) -> tuple[ApiClient, str]:
        client_id, api_key = new_api_key()
        await self._clients.insert_one(
            {
                "_id": client_id,
                "name": name,
                "key_hash": key_hash(api_key),
                "submissions_per_minute": submissions_per_minute,
                "created_at": now,
                "revoked": False,
            }
        )
        return ApiClient(client_id, name, submissions_per_minute), api_key

    async def revoke(self, client_id: str) -> bool:
        result = await self._clients.update_one({"_id": client_id}, {"$set": {"revoked": True}})
        return result.matched_count == 1

    async def authenticate(self, api_key: str) -> ApiClient | None:
        client_id, _, secret = api_key.partition(".")
        if not client_id or not secret:
            return None
        document = await self._clients.find_one({"_id": client_id})
        if document is None or document.get("revoked"):
            return None
        if not hmac.compare_digest(document["key_hash"], key_hash(api_key)):
            return None
        return ApiClient(document["_id"], document["name"], document["submissions_per_minute"])
