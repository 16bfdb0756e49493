"""A short memory of what the database said, so the several steps of one report ask it once.

Entries expire after `ttl_s` and are dropped from memory then (not only ignored): what is kept
here may be a data key or an address's hash, which must not outlive its erasure for long.
`clear()` forgets everything at once and makes reads that began before it store nothing.
"""

import time
from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")
Clock = Callable[[], float]


class Fresh(Generic[Value]):
    def __init__(self, ttl_s: float, max_entries: int = 10_000, clock: Clock = time.monotonic):
        # Oldest first: every put moves its key to the end.
        self._entries: dict[str, tuple[float, Value]] = {}
        self._generation = 0
        self._ttl_s, self._max_entries, self._clock = ttl_s, max_entries, clock

    @property
    def generation(self) -> int:
        """Taken before a read of the database; `put` with an older one stores nothing."""
        return self._generation

    def get(self, key: str) -> Value | None:
        self._expire()
        entry = self._entries.get(key)
        return entry[1] if entry is not None else None

    def put(self, key: str, value: Value, generation: int | None = None) -> None:
        if generation is not None and generation != self._generation:
            return  # forgotten meanwhile: what that read found may be gone
        self._entries.pop(key, None)
        self._entries[key] = (self._clock() + self._ttl_s, value)
        self._expire()
        while len(self._entries) > self._max_entries:
            del self._entries[next(iter(self._entries))]

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
        self._generation += 1

    def __len__(self) -> int:
        self._expire()
        return len(self._entries)

    def _expire(self) -> None:
        now = self._clock()
        while self._entries:
            key, (until, _) = next(iter(self._entries.items()))
            if until > now:
                return
            del self._entries[key]
