"""Reads everything the test system keeps, as raw bytes, so a test can count a canary in it:
every record of every topic, and every file the services wrote under the profile's state dir."""

from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

# Under the state dir: the SMTP sink's mailbox (the recipients' own mail, not ours), the
# broker's and the database's storage (read through their own scans: topics and collections).
NOT_THE_SERVICES = ("mail", "kafka", "ferretdb")
# The SMTP sink stands for the recipients' mail server: its log names whom it received for.
NOT_OUR_LOGS = ("smtp.log",)


async def every_record(bootstrap: str) -> list[bytes]:
    """Every record of every topic, all partitions, from the beginning: key, header names and
    values and value, as the raw bytes a broker keeps."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        # The whole cluster's metadata: the consumer's own cache knows only what it was asked.
        cluster = await consumer._client.fetch_all_metadata()
        assigned = [
            TopicPartition(topic, partition)
            for topic in cluster.topics()
            for partition in cluster.partitions_for_topic(topic) or ()
        ]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        found: list[bytes] = []
        for tp in assigned:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                for record in batch.get(tp, []):
                    headers = b"".join(name.encode() + value for name, value in record.headers)
                    found.append((record.key or b"") + headers + (record.value or b""))
        return found
    finally:
        await consumer.stop()


def occurrences(records: list[bytes], secret: str) -> int:
    """How often `secret` occurs in `records`, in any letter case."""
    needle = secret.lower().encode()
    return sum(record.lower().count(needle) for record in records)


@dataclass(frozen=True)
class Place:
    """One place the services write to: its files, and the lines in them, as raw bytes."""

    name: str
    files: list[Path]
    lines: list[bytes]

    def count(self, secret: str) -> int:
        return occurrences(self.lines, secret)

    def summary(self, secret: str) -> str:
        hits = self.count(secret)
        return f"{self.name}: {len(self.files)} files, {len(self.lines)} lines, {hits} hits"


def services_files(state_dir: Path) -> dict[str, Place]:
    """What the services wrote under `state_dir`: their logs, notify's sent journals, and every
    other file (traces, pid files, ...), each read now."""
    logs, journals, others = [], [], []
    for path in sorted(p for p in state_dir.rglob("*") if p.is_file()):
        inside = path.relative_to(state_dir).parts
        if inside[0] in NOT_THE_SERVICES:
            continue
        if inside[0] == "log":
            if not path.name.startswith(NOT_OUR_LOGS):
                logs.append(path)
        elif inside[0] == "notify-journal":
            journals.append(path)
        else:
            others.append(path)
    return {
        "logs": _read("logs", logs),
        "sent journals": _read("sent journals", journals),
        "other files": _read("other files", others),
    }


def _read(name: str, files: list[Path]) -> Place:
    return Place(name, files, [line for path in files for line in path.read_bytes().splitlines()])
