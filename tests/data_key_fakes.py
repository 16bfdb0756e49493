"""An in-memory stand-in for the data keys of sealed contact fields; it passes the same contract
tests as the MongoDB adapter (tests/integration/test_data_keys_contract.py)."""

from prometheus_client import CollectorRegistry

from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import alert_key_id, reporter_key_id, supporter_key_id
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS
from stadtmelder_shared.sealing import Purpose, Sealed, new_data_key, open_sealed, seal


class InMemoryDataKeys:
    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    async def create(self, key_id: str) -> bytes:
        return self.keys.setdefault(key_id, new_data_key())

    async def find(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)

    async def destroy(self, key_id: str) -> None:
        self.keys.pop(key_id, None)


class SealingKit:
    """Keys and the Contacts over them, for tests that build events the way producers do."""

    def __init__(self) -> None:
        self.keys = InMemoryDataKeys()
        self.registry = CollectorRegistry()
        self.contacts = Contacts(self.keys, self.registry)

    def seal(self, key_id: str, purpose: Purpose, text: str) -> Sealed:
        return seal(self.keys.keys.setdefault(key_id, new_data_key()), key_id, purpose, text)

    def reporter(self, report_id: str, person: Reporter) -> Sealed:
        return self.seal(reporter_key_id(report_id), "reporter", person.model_dump_json())

    def supporter(self, report_id: str, person: Reporter) -> Sealed:
        assert person.email is not None
        key_id = supporter_key_id(report_id, DEVELOPMENT_RECIPIENT_KEYS.of(report_id, person.email))
        return self.seal(key_id, "supporter", person.model_dump_json())

    def tracking_token(self, report_id: str, token: str) -> Sealed:
        return self.seal(reporter_key_id(report_id), "tracking_token", token)

    def alert(self, subscription_id: str, email: str, token: str) -> tuple[Sealed, Sealed]:
        """The address and the confirmation token of an area alert request."""
        key_id = alert_key_id(subscription_id)
        return self.seal(key_id, "alert_email", email), self.seal(
            key_id, "alert_confirm_token", token
        )

    def opened(self, sealed: Sealed, purpose: Purpose) -> str:
        return open_sealed(self.keys.keys[sealed.key_id], sealed, purpose)

    def erased(self, purpose: Purpose) -> float:
        """How many fields of `purpose` the contacts could not open because the key was gone."""
        labels = {"purpose": purpose, "reason": "erased"}
        return self.registry.get_sample_value("stadtmelder_contact_unreadable_total", labels) or 0
