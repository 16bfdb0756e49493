"""Cleaners that tell a test which worker process runs them, by writing its pid to the file
named by the upload; the workers import them from here by name."""

import os
import time
from pathlib import Path

from stadtmelder_reports.photos.cleaning import CleanPhoto, clean_photo
from tests.photo_worker_faults import spin_forever
from tests.unit.test_photos import a_photo


def tell_pid_then_spin(data: bytes, max_bytes: int) -> CleanPhoto:
    Path(data.decode()).write_text(str(os.getpid()))
    return spin_forever(data, max_bytes)


def tell_pid_then_clean_slowly(data: bytes, max_bytes: int) -> CleanPhoto:
    Path(data.decode()).write_text(str(os.getpid()))
    time.sleep(1)
    return clean_photo(a_photo(), max_bytes)
