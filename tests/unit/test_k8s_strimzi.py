"""The Strimzi topics and users in deploy/k8s match the code; departments see only their work,
each service only its own topics and groups, KEDA only the groups it scales on."""

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest.mock import MagicMock

import pytest
import yaml
from faststream.kafka import KafkaBroker

from stadtmelder_fleet.app import create_app as create_fleet
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_notify.app import create_app as create_notify
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_reports import sensor_reports
from stadtmelder_reports.core.handlers import register_handlers as register_reports
from stadtmelder_reports.fleet_pages.wiring import register_consumers as register_fleet_pages
from stadtmelder_routing.app import create_app as create_routing
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_shared import topics
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.leadership import LEADERSHIP_TOPIC

ROOT = Path(__file__).resolve().parents[2]
KAFKA = ROOT / "deploy" / "k8s" / "base" / "kafka"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("k8s_strimzi", ROOT / "deploy/k8s/strimzi.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def committed(name: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all((KAFKA / name).read_text(encoding="utf-8")))


DEPARTMENTS = [d.id for d in load_directory().departments]
APPS: dict[str, tuple[Any, Any]] = {
    "routing": (create_routing, RoutingSettings),
    "notify": (create_notify, NotifySettings),
    "fleet": (create_fleet, FleetSettings),
}


def test_the_committed_resources_are_what_the_generator_writes() -> None:
    for path, text in load_generator().generated_files().items():
        assert path.read_text(encoding="utf-8") == text, f"run deploy/k8s/strimzi.py: {path}"


def test_every_topic_the_services_use_and_its_dead_letter_topic_exist() -> None:
    names = {t["spec"]["topicName"] for t in committed("topics.yaml")}

    for topic in topics.service_topics(tuple(DEPARTMENTS)):
        assert topic in names
        consumed_by_a_service = topic not in {topics.department_work(d) for d in DEPARTMENTS}
        assert (topics.dead_letter(topic) in names) == consumed_by_a_service, topic


def test_topics_keep_data_when_one_broker_is_lost() -> None:
    for topic in committed("topics.yaml"):
        assert topic["spec"]["replicas"] >= 3
        assert int(topic["spec"]["config"]["min.insync.replicas"]) == 2


def test_each_department_reads_only_its_own_work_topic() -> None:
    users = {u["metadata"]["name"]: u for u in committed("users.yaml")}
    assert sorted(users) == sorted(f"department-{d}" for d in DEPARTMENTS)

    for department in DEPARTMENTS:
        acls = users[f"department-{department}"]["spec"]["authorization"]["acls"]
        topic_acls = [a for a in acls if a["resource"]["type"] == "topic"]
        readable = [a["resource"] for a in topic_acls if "Read" in a["operations"]]
        assert readable == [
            {"type": "topic", "name": topics.department_work(department), "patternType": "literal"}
        ]
        # Writing is allowed on its own updates topic only; no wildcard anywhere.
        writable = [a["resource"]["name"] for a in topic_acls if "Write" in a["operations"]]
        assert writable == [topics.department_updates(department)]
        assert all(a["resource"]["name"] not in ("*", "") for a in acls)
        groups = [a["resource"] for a in acls if a["resource"]["type"] == "group"]
        assert groups == [
            {"type": "group", "name": f"departments.{department}.", "patternType": "prefix"}
        ]


def service_subscribers(service: str) -> set[tuple[str, str]]:
    """(group, topic) of each consumer the service registers, as its app does at start."""
    broker = KafkaBroker()
    # Registration only wires the handlers; the use cases are not called here.
    unused = MagicMock()
    if service == "reports":
        register_reports(broker, unused, unused, "reports")
        sensor_reports.register(broker, unused, unused, unused, "reports")
        register_fleet_pages(broker, unused, "reports")
    else:
        create_app, settings = APPS[service]
        broker = create_app(settings()).broker
    subscribers: list[Any] = broker.subscribers
    return {
        (str(s.group_id), topic.name if topic else str(s._pattern))
        for s in subscribers
        for topic in (s.topics or [None])
    }


@pytest.mark.parametrize("service", ["reports", "routing", "notify", "fleet"])
def test_each_service_user_reads_in_exactly_the_groups_the_service_consumes_in(
    service: str,
) -> None:
    generator = load_generator()
    (user,) = [
        u for u in committed("service-users.yaml") if u["metadata"]["name"] == f"service-{service}"
    ]
    acls = user["spec"]["authorization"]["acls"]
    groups = {
        a["resource"]["name"]
        for a in acls
        if a["resource"]["type"] == "group" and a["resource"]["patternType"] == "literal"
    }
    readable = {a["resource"]["name"] for a in acls if "Read" in a["operations"]}

    consumed = service_subscribers(service)
    assert groups == {group for group, _ in consumed}
    for _, topic in consumed:
        if topic == topics.DEPARTMENT_UPDATES_PATTERN:
            assert {topics.department_updates(d) for d in DEPARTMENTS} <= readable
        else:
            assert topic in readable
    assert set(generator.READS[service]) <= {
        (group.removesuffix(f".{topic}"), topic) for group, topic in consumed
    }


# `KafkaLeadership(settings, "<service>.<job>")`: a job that runs in one replica.
LEADERSHIP = re.compile(r'KafkaLeadership\(\s*settings,\s*"([\w.-]+)"')


@pytest.mark.parametrize("service", ["reports", "routing", "notify", "fleet"])
def test_each_service_may_join_the_leader_groups_of_exactly_its_own_jobs(service: str) -> None:
    jobs = {
        job
        for path in (ROOT / "services" / service / "src").rglob("*.py")
        for job in LEADERSHIP.findall(path.read_text(encoding="utf-8"))
    }
    (user,) = [
        u for u in committed("service-users.yaml") if u["metadata"]["name"] == f"service-{service}"
    ]
    acls = user["spec"]["authorization"]["acls"]
    prefixes = [
        a["resource"]["name"]
        for a in acls
        if a["resource"]["type"] == "group" and a["resource"]["patternType"] == "prefix"
    ]
    leadership = [
        a for a in acls if a["resource"]["name"] == LEADERSHIP_TOPIC and "Read" in a["operations"]
    ]

    if not jobs:
        assert prefixes == []
        assert leadership == []
        return
    assert prefixes == [f"stadtmelder-leader.{service}."]
    assert all(f"stadtmelder-leader.{job}".startswith(prefixes[0]) for job in jobs)
    assert len(leadership) == 1


def test_the_leadership_topic_has_one_partition() -> None:
    (topic,) = [t for t in committed("topics.yaml") if t["spec"]["topicName"] == LEADERSHIP_TOPIC]
    assert topic["spec"]["partitions"] == 1


@pytest.mark.parametrize("service", ["reports", "routing", "notify", "fleet"])
def test_each_service_user_may_write_every_topic_its_code_names(service: str) -> None:
    # A topic constant the code names and the service neither reads nor may write would be
    # refused by Kafka at the first publish: this catches a new publish without its ACL.
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "services" / service / "src").rglob("*.py")
        if "simulator" not in path.parts
    )
    named = {
        getattr(topics, constant)
        for constant in re.findall(r"\btopics\.([A-Z_]+)\b", source)
        if constant != "DEPARTMENT_UPDATES_PATTERN"
    }
    (user,) = [
        u for u in committed("service-users.yaml") if u["metadata"]["name"] == f"service-{service}"
    ]
    allowed = {
        a["resource"]["name"]
        for a in user["spec"]["authorization"]["acls"]
        if {"Read", "Write"} & set(a["operations"])
    }

    assert named - allowed == set()


def test_keda_may_describe_exactly_the_groups_and_topics_it_scales_on() -> None:
    (user,) = [
        u for u in committed("service-users.yaml") if u["metadata"]["name"] == "keda-lag-reader"
    ]
    acls = user["spec"]["authorization"]["acls"]
    triggers = [
        t["metadata"]
        for service in ("routing", "notify")
        for t in yaml.safe_load(
            (KAFKA.parent / service / "scaledobject.yaml").read_text(encoding="utf-8")
        )["spec"]["triggers"]
    ]

    assert all(a["operations"] == ["Describe"] for a in acls)
    assert {a["resource"]["name"] for a in acls if a["resource"]["type"] == "group"} == {
        t["consumerGroup"] for t in triggers
    }
    assert {a["resource"]["name"] for a in acls if a["resource"]["type"] == "topic"} == {
        t["topic"] for t in triggers
    }
