"""Area alert subscriptions as events: requested, confirmed by double opt-in, cancelled."""

from typing import ClassVar, Literal

from pydantic import Field

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Language, Location
from stadtmelder_shared.sealing import Sealed


class AreaAlertRequested(Event):
    """Someone asks to hear about new reports in an area; confirmed by double opt-in.

    `report_id` carries the subscription id: alerts are not about one report, and the id keeps
    all events of one subscription on one partition, in order.
    """

    type: ClassVar[str] = "org.stadtmelder.alert.requested"

    schema_version: int = 2
    email: Sealed = Field(description="The address, sealed under the alert's data key.")
    language: Language = "de"
    centre: Location | None = None
    radius_m: float | None = None
    district: str | None = None
    category: str | None = None
    frequency: Literal["immediately", "daily"] = "immediately"
    confirm_token_hash: str
    # The token for the links in notify's mails, sealed like the address; reports keeps only
    # its hash.
    confirm_token: Sealed = Field(description="The confirmation token, sealed like the address.")
    category_names: dict[str, str] = Field(
        default_factory=dict, description="The category's name by language, for the mails."
    )


class AreaAlertConfirmed(Event):
    type: ClassVar[str] = "org.stadtmelder.alert.confirmed"


class AreaAlertCancelled(Event):
    type: ClassVar[str] = "org.stadtmelder.alert.cancelled"
