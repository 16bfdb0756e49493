"""Contact fields as events carry them: sealed by the producer under the subject's data key,
opened only by the consumer that sends to the address; an erased key means no mail."""

import logging

from prometheus_client import CollectorRegistry, Counter

from stadtmelder_shared.data_keys import DataKeys
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.sealing import Purpose, Sealed, Unreadable, open_sealed, seal

log = logging.getLogger(__name__)


def seal_person(
    key: bytes, key_id: str, person: Reporter | None, purpose: Purpose = "reporter"
) -> Sealed | None:
    """A reporter's or supporter's contact data, sealed whole (as JSON) for an event."""
    return seal(key, key_id, purpose, person.model_dump_json()) if person is not None else None


class Contacts:
    def __init__(self, keys: DataKeys, registry: CollectorRegistry | None = None) -> None:
        self._keys = keys
        self.unreadable = Counter(
            "stadtmelder_contact_unreadable",
            "Sealed contact fields that could not be opened: their data key was destroyed "
            "(erased) or the value does not open; nobody was written to.",
            ["purpose", "reason"],
            registry=registry if registry is not None else CollectorRegistry(),
        )

    async def seal(self, key_id: str, purpose: Purpose, text: str) -> Sealed:
        """Sealed under the key of `key_id`, which is made first if it does not exist yet."""
        return seal(await self._keys.create(key_id), key_id, purpose, text)

    async def seal_reporter(
        self, key_id: str, person: Reporter | None, purpose: Purpose = "reporter"
    ) -> Sealed | None:
        if person is None:
            return None
        return seal_person(await self._keys.create(key_id), key_id, person, purpose)

    async def open(self, sealed: Sealed | None, purpose: Purpose) -> str | None:
        """The plain text, or None when there is none or it cannot be read any more."""
        if sealed is None:
            return None
        key = await self._keys.find(sealed.key_id)
        if key is None:
            self._count(sealed, purpose, "erased")
            return None
        try:
            return open_sealed(key, sealed, purpose)
        except Unreadable:
            self._count(sealed, purpose, "invalid")
            return None

    async def open_reporter(
        self, sealed: Sealed | None, purpose: Purpose = "reporter"
    ) -> Reporter | None:
        plain = await self.open(sealed, purpose)
        return Reporter.model_validate_json(plain) if plain is not None else None

    def _count(self, sealed: Sealed, purpose: Purpose, reason: str) -> None:
        self.unreadable.labels(purpose=purpose, reason=reason).inc()
        # The key id is a report or subscription id (or a hash), never an address.
        log.warning(
            "a sealed %s cannot be opened (%s); nobody is written to",
            purpose,
            reason,
            extra={"key_id": sealed.key_id},
        )
