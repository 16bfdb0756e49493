"""What the benchmarks read of the local system's processes."""

import os

from bench.target import group_rss_kb


def test_the_memory_of_a_running_process_group_is_measured() -> None:
    group = os.getpgrp()

    sizes = group_rss_kb({group})

    assert sizes[group] > 10_000  # this Python process alone holds well over 10 MB
