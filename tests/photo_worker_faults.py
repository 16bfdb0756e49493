"""Cleaners that misbehave inside a photo worker, which imports them from here by name."""

import os
import signal

from stadtmelder_reports.photos.cleaning import CleanPhoto, clean_photo


def crash_or_spin_on_request(data: bytes, max_bytes: int) -> CleanPhoto:
    """Dies on b"crash", never ends on b"spin", and cleans any other upload."""
    if data == b"crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if data == b"spin":
        spin_forever(data, max_bytes)
    return clean_photo(data, max_bytes)


def spin_forever(data: bytes, max_bytes: int) -> CleanPhoto:
    while True:
        pass
