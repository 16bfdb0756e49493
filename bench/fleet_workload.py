"""What the fleet ingest benchmark sends: a hundred trucks driving their streets back and forth
over a grid of 10,000 road pieces, a reading a second each; 5,000 containers with a fill
reading each; passes over a fresh defect; and Kafka's view of how far a consumer has come."""

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import h3
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.sensor_readings import ContainerFillReading, Reading, RoadRoughnessReading

SOURCE = "/stadtmelder/bench-fleet"
# South-west corner of the trucks' grid: Duisburg-Mitte, well inside the city.
GRID_LAT, GRID_LON = 51.415, 6.752
STREET_SPACING_DEG = 0.0004  # about 45 m between the trucks' streets: no piece is shared
SPEED_KMH = 30.0
STEP_M = SPEED_KMH / 3.6  # a reading a second
METRES_PER_DEG_LAT = 111_320.0
SMOOTH_IRI = 2.5
DEFECT_IRI = 11.0
DEFECT_RADIUS_M = 10.0
DISTRICT_CONTAINERS = 500


def _metres_per_deg_lon(lat: float) -> float:
    return METRES_PER_DEG_LAT * math.cos(math.radians(lat))


@dataclass(frozen=True)
class Street:
    """One truck's street: west to east along a latitude, `length_m` long."""

    lat: float
    lon: float
    length_m: float

    def at(self, metres: float) -> tuple[float, float]:
        return self.lat, self.lon + metres / _metres_per_deg_lon(self.lat)


def readings_per_round(pieces_per_truck: int) -> int:
    """Seconds a truck takes to drive its street once, a reading each."""
    return math.ceil(pieces_per_truck * 18.0 / STEP_M)


def streets(trucks: int, pieces_per_truck: int) -> list[Street]:
    """A street per truck, long enough to cross `pieces_per_truck` pieces (about 18 m each)."""
    length = pieces_per_truck * 18.0
    return [Street(GRID_LAT + i * STREET_SPACING_DEG, GRID_LON, length) for i in range(trucks)]


def _back_and_forth(street: Street, seconds: int) -> Iterator[tuple[float, float]]:
    """Where a truck driving the street to its end and back is, second by second."""
    period = 2 * street.length_m
    for second in range(seconds):
        travelled = (second * STEP_M) % period
        yield street.at(travelled if travelled <= street.length_m else period - travelled)


def grid_readings(
    trucks: int, pieces_per_truck: int, count: int, now: datetime, run: str
) -> list[RoadRoughnessReading]:
    """`count` readings of smooth road, the trucks taking turns second by second; the last
    reading is `now`, the first `count / trucks` seconds before it."""
    seconds = math.ceil(count / trucks)
    start = now - timedelta(seconds=seconds)
    paths = [list(_back_and_forth(s, seconds)) for s in streets(trucks, pieces_per_truck)]
    made: list[RoadRoughnessReading] = []
    for second in range(seconds):
        for truck, path in enumerate(paths):
            if len(made) == count:
                return made
            lat, lon = path[second]
            made.append(
                RoadRoughnessReading(
                    vehicle_id=f"bench-{run}-{truck:03d}",
                    measured_at=start + timedelta(seconds=second),
                    lat=round(lat, 7),
                    lon=round(lon, 7),
                    speed_kmh=SPEED_KMH,
                    roughness=SMOOTH_IRI,
                )
            )
    return made


def pieces_of(readings: Iterable[RoadRoughnessReading], resolution: int = 12) -> set[str]:
    """The road pieces (H3 cells, as fleet matches them) the readings fall in."""
    return {h3.latlng_to_cell(r.lat, r.lon, resolution) for r in readings}


def container_rows(count: int, run: str) -> list[str]:
    """A CSV of `count` containers on a grid north of the trucks' streets, in districts of
    `DISTRICT_CONTAINERS` (district_of)."""
    rows = ["id,lat,lon,kind,capacity_l,district"]
    side = math.ceil(math.sqrt(count))
    for number in range(count):
        lat = GRID_LAT + 0.045 + (number // side) * 0.0002
        lon = GRID_LON + (number % side) * 0.0003
        district = district_of(number, run)
        rows.append(f"bench-{run}-c{number:05d},{lat:.6f},{lon:.6f},glass,3000,{district}")
    return rows


def district_of(number: int, run: str) -> str:
    return f"bench-{run}-{number // DISTRICT_CONTAINERS}"


def fill_readings(count: int, run: str, now: datetime) -> list[ContainerFillReading]:
    """A reading each; the first district's containers are all due (80 % full or more)."""
    return [
        ContainerFillReading(
            container_id=f"bench-{run}-c{number:05d}",
            measured_at=now - timedelta(minutes=5),
            fill_percent=float(80 + number % 20 if number < DISTRICT_CONTAINERS else number % 90),
            container_type="glass",
        )
        for number in range(count)
    ]


def passes_over_defect(
    lat: float, lon: float, vehicles: list[str], last_at: datetime
) -> list[list[RoadRoughnessReading]]:
    """One pass per vehicle over 100 m of street through the defect, 5 minutes apart, the
    last pass ending at `last_at`; rough within 10 m of the defect, smooth elsewhere."""
    street = Street(lat, lon - 50 / _metres_per_deg_lon(lat), 100.0)
    steps = int(street.length_m / STEP_M)
    made = []
    for number, vehicle in enumerate(vehicles):
        end = last_at - timedelta(minutes=5 * (len(vehicles) - 1 - number))
        made.append(
            [
                RoadRoughnessReading(
                    vehicle_id=vehicle,
                    measured_at=end - timedelta(seconds=steps - step),
                    lat=round(street.at(step * STEP_M)[0], 7),
                    lon=round(street.at(step * STEP_M)[1], 7),
                    speed_kmh=SPEED_KMH,
                    roughness=DEFECT_IRI if abs(step * STEP_M - 50) <= DEFECT_RADIUS_M else 2.4,
                )
                for step in range(steps + 1)
            ]
        )
    return made


def now_utc() -> datetime:
    return datetime.now(UTC)


async def publish_all(kafka: str, topic: str, readings: Iterable[Reading]) -> int:
    """Every reading as the vehicles' gateway sends it (CloudEvents, binary mode), batched."""
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, acks="all", linger_ms=20, max_batch_size=256 * 1024
    )
    await producer.start()
    sent = 0
    try:
        pending = []
        for reading in readings:
            headers = [(k, v.encode()) for k, v in headers_for(reading, SOURCE).items()]
            body = json.dumps(reading.model_dump(mode="json")).encode()
            pending.append(
                await producer.send(topic, body, key=reading.key.encode(), headers=headers)
            )
            sent += 1
            if len(pending) >= 5_000:
                for future in pending:
                    await future
                pending.clear()
        for future in pending:
            await future
    finally:
        await producer.stop()
    return sent


async def end_offsets(kafka: str, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            await consumer._client.force_metadata_update()
            found = consumer.partitions_for_topic(topic) or ()
            partitions = [TopicPartition(topic, p) for p in found]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def committed(kafka: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in found.items()}
    finally:
        await admin.close()
