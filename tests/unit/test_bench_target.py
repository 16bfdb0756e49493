"""What the benchmarks read of the local system's processes."""

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.target import group_rss_kb


def test_the_memory_of_a_running_process_group_is_measured() -> None:
    group = os.getpgrp()

    sizes = group_rss_kb({group})

    assert sizes[group] > 10_000  # this Python process alone holds well over 10 MB


def test_a_child_in_a_session_of_its_own_counts_for_its_parents_group() -> None:
    # As PostgreSQL's backends, which the postmaster starts in sessions of their own.
    holds_memory = "x = bytearray(80_000_000); import sys; sys.stdin.read()"
    child = subprocess.Popen(
        [sys.executable, "-c", holds_memory], stdin=subprocess.PIPE, start_new_session=True
    )
    try:
        group = os.getpgrp()
        deadline = time.monotonic() + 30
        while group_rss_kb({child.pid}).get(child.pid, 0) < 80_000:
            assert time.monotonic() < deadline, "the child never held its memory"
            time.sleep(0.05)
        whole = group_rss_kb({group})[group]
        mine = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")

        assert whole - mine // 1024 > 80_000  # the child's memory counts too
    finally:
        child.communicate(b"")
