"""KEDA scales routing and notify on the lag of exactly the consumer groups the code has; fleet
runs one replica that nothing scales."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from stadtmelder_notify.app import create_app as create_notify
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_routing.app import create_app as create_routing
from stadtmelder_routing.settings import RoutingSettings
from tests.unit.test_k8s_settings import rendered

BASE = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base"
OVERLAYS = BASE.parent / "overlays"


def consumer_groups(service: str) -> set[tuple[str, str]]:
    """(group, topic) of every subscriber the service's app registers; nothing is started."""
    app = (
        create_routing(RoutingSettings())
        if service == "routing"
        else create_notify(NotifySettings())
    )
    assert app.broker is not None
    subscribers: list[Any] = app.broker.subscribers
    return {
        (str(subscriber.group_id), topic.name)
        for subscriber in subscribers
        for topic in subscriber.topics
    }


def triggers(service: str) -> set[tuple[str, str]]:
    scaled = yaml.safe_load((BASE / service / "scaledobject.yaml").read_text(encoding="utf-8"))
    assert scaled["spec"]["scaleTargetRef"]["name"] == service
    return {
        (t["metadata"]["consumerGroup"], t["metadata"]["topic"])
        for t in scaled["spec"]["triggers"]
        if t["type"] == "kafka"
    }


@pytest.mark.parametrize("service", ["routing", "notify"])
def test_every_consumer_group_of_the_service_is_a_scaling_trigger(service: str) -> None:
    assert triggers(service) == consumer_groups(service)


@pytest.mark.parametrize("service", ["routing", "notify"])
def test_consumers_never_outnumber_the_partitions_of_their_topics(service: str) -> None:
    scaled = yaml.safe_load((BASE / service / "scaledobject.yaml").read_text(encoding="utf-8"))
    topics = list(yaml.safe_load_all((BASE / "kafka" / "topics.yaml").read_text(encoding="utf-8")))
    partitions = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in topics}

    for _, topic in triggers(service):
        assert scaled["spec"]["maxReplicaCount"] <= partitions[topic]


@pytest.mark.parametrize("overlay", ["dev", "prod", "mongodb-in-cluster"])
def test_fleet_runs_one_replica_that_nothing_scales(overlay: str) -> None:
    # The road pieces live in the memory of the one consumer of the roughness readings.
    manifests = rendered(OVERLAYS / overlay)
    (deployment,) = [
        d for d in manifests if d["kind"] == "Deployment" and d["metadata"]["name"] == "fleet"
    ]
    scalers = [
        d
        for d in manifests
        if d["kind"] in ("HorizontalPodAutoscaler", "ScaledObject")
        and d["spec"]["scaleTargetRef"]["name"] == "fleet"
    ]

    assert deployment["spec"]["replicas"] == 1
    # No surge pod reading pieces while the old one still holds newer ones.
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert scalers == []
