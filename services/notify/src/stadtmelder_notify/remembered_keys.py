"""Data keys remembered for a few seconds: a report's submission opens its reporter and tracking
token, and its routing the reporter again, all under one key; one look in the key store serves them.

Erasure wins: handling ContactDataErased calls `forget_all()` first, after which no key read before
it is used or remembered (the key store destroyed the key before the event was published). Another
replica that read the key before it was destroyed may use it for at most `REMEMBER_S`; a key that
was not found is never remembered.
"""

from stadtmelder_notify.fresh import Fresh
from stadtmelder_shared.data_keys import DataKeys

# Long enough to span a report's submission and routing, short against an erasure elsewhere.
REMEMBER_S = 10.0


class RememberedKeys:
    """A DataKeys that asks `keys` once per key id and `REMEMBER_S`."""

    def __init__(self, keys: DataKeys, remembered: Fresh[bytes] | None = None) -> None:
        self._keys = keys
        self._remembered = remembered if remembered is not None else Fresh[bytes](REMEMBER_S)

    async def create(self, key_id: str) -> bytes:
        return await self._keys.create(key_id)

    async def find(self, key_id: str) -> bytes | None:
        known = self._remembered.get(key_id)
        if known is not None:
            return known
        generation = self._remembered.generation
        key = await self._keys.find(key_id)
        if key is not None:
            self._remembered.put(key_id, key, generation)
        return key

    async def destroy(self, key_id: str) -> None:
        self._remembered.drop(key_id)
        await self._keys.destroy(key_id)

    def forget_all(self) -> None:
        """Someone's contact data was erased: no key is used again without asking the store."""
        self._remembered.clear()
