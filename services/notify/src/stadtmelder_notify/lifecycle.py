"""The hooks each feature adds around the broker's run, which the composition root hands on."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Hook = Callable[[], Awaitable[None]]


@dataclass
class Lifecycle:
    """Hooks in the order the features registered them; FastStream runs each list in turn."""

    # Before any event is consumed: indexes, replaying the sent journal.
    on_startup: list[Hook] = field(default_factory=list)
    # Once consumers run: timers that send what waits.
    after_startup: list[Hook] = field(default_factory=list)
    # Before the broker stops: the timers end.
    on_shutdown: list[Hook] = field(default_factory=list)
    # After the broker stopped: clients close.
    after_shutdown: list[Hook] = field(default_factory=list)
