"""The Strimzi topics and users in deploy/k8s match the code; departments see only their work."""

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from stadtmelder_shared import topics
from stadtmelder_shared.departments import load_directory

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
