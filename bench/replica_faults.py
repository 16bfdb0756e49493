"""The faults of `make chaos`'s replicas mode (issue 21): replicas killed while the others go on.

With two replicas of each service, a killed replica's partitions move to the survivor of its
consumer group (a rebalance, after the broker misses its heartbeats), and the balancer stops
sending reports requests to it. Nothing may be lost or doubled on the way.
"""

import argparse
import time

from bench.target import SERVICES, Target


def kill_one_replica_of_each(target: Target, options: argparse.Namespace) -> None:
    """reports-1, routing-1, notify-1 in turn: kill -9, the others carry the load, restart."""
    for service in SERVICES:
        target.stop(f"{service}-1", kill=True)
        time.sleep(options.between)  # the survivors alone for a while, under the drill's load
        target.start(f"{service}-1")


def kill_consumer_replicas(target: Target, options: argparse.Namespace) -> None:
    """kill -9 of one routing and one notify replica, left down: the others take over."""
    target.stop("routing-1", "notify-1", kill=True)


def kill_second_replicas(target: Target, options: argparse.Namespace) -> None:
    """kill -9 of reports-2 (its relay publishing) and routing-2, both restarted: routing's
    groups rebalance away and back while reports-1's relay publishes the load."""
    target.stop("reports-2", kill=True)
    target.stop("routing-2", kill=True)
    target.start("reports-2", "routing-2")
