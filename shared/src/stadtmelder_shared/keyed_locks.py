"""One asyncio lock per key (a document id, a recipient), forgotten once nobody holds it.

FerretDB 1.24 (the local server) applies an update as read, change, write without isolation:
two updates of one document at the same moment can lose one of them. Writers of one service
that take `locks(document_id)` first never meet. MongoDB would not need it; it costs little.
"""

import asyncio
from weakref import WeakValueDictionary


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def __call__(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock
