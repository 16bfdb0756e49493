"""The statistics count a report from routing's answer alone, which carries the submission's time
and category: one write of its facts instead of one at the submission and one at the routing;
an answer of an older routing without that time takes it from the stored report."""

from datetime import UTC, datetime

from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber

from stadtmelder_reports.statistics.figures import Selection
from stadtmelder_reports.statistics.handlers import register_consumers
from stadtmelder_reports.statistics.service import StatisticsService
from stadtmelder_shared import topics
from stadtmelder_shared.report_events import ReportRouted
from tests.statistics_fakes import InMemoryFactsStore
from tests.statistics_truth import Lifecycle, assert_equal_to_brute_force, delivered, lifecycles

YEAR = Selection("2026-01", "2026-12")
SENT = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


class StoredReports:
    def __init__(self, sent: dict[str, datetime]) -> None:
        self.sent = sent
        self.reads = 0

    async def submitted_at(self, report_id: str) -> datetime | None:
        self.reads += 1
        return self.sent.get(report_id)


def routing_answer(report_id: str, carried: bool = True) -> ReportRouted:
    life = Lifecycle(report_id, SENT, "road_damage", "district-500", "wbd-strasse")
    routed = next(event for topic, event in life.events() if topic == topics.REPORTS_ROUTED)
    assert isinstance(routed, ReportRouted)
    return routed if carried else routed.model_copy(update={"submitted_at": None})


async def started(statistics: StatisticsService) -> StatisticsService:
    await statistics.rebuild()
    return statistics


async def test_a_report_counts_from_its_routing_answer_alone_in_one_write() -> None:
    store = InMemoryFactsStore()
    statistics = await started(StatisticsService(store, submissions=StoredReports({})))

    assert await statistics.record(routing_answer("R-1"))

    assert store.writes == 1
    total = statistics.breakdown(Selection("2026-03", "2026-03", category="road_damage")).total
    assert total.reports == 1


async def test_figures_without_the_submissions_equal_the_brute_force_count() -> None:
    lives = lifecycles(300)
    statistics = await started(StatisticsService(InMemoryFactsStore()))

    for topic, event in delivered(lives, seed=5):
        if topic != topics.REPORTS_SUBMITTED:
            await statistics.record(event)

    assert_equal_to_brute_force(statistics, lives, [YEAR, Selection("2026-02", "2026-08")])


async def test_an_older_routings_answer_takes_the_submission_from_the_stored_report() -> None:
    reports = StoredReports({"R-1": SENT})
    statistics = await started(StatisticsService(InMemoryFactsStore(), submissions=reports))

    await statistics.record(routing_answer("R-1", carried=False))
    await statistics.record(routing_answer("R-2", carried=False))  # not stored: not counted

    assert statistics.breakdown(YEAR).total.reports == 1
    assert reports.reads == 2
    await statistics.record(routing_answer("R-3"))
    assert reports.reads == 2  # an answer that carries it reads nothing


def test_the_statistics_read_routing_answers_and_later_steps_not_submissions() -> None:
    broker = KafkaBroker()
    register_consumers(broker, StatisticsService(InMemoryFactsStore()), "reports.statistics")

    read = {
        topic
        for subscriber in broker.subscribers
        if isinstance(subscriber, LogicSubscriber)
        for topic in subscriber.topic_names
    }

    assert read == {
        topics.REPORTS_ROUTED,
        topics.REPORTS_UNROUTABLE,
        topics.REPORTS_STATUS_CHANGED,
        topics.REPORTS_MODERATED,
    }
