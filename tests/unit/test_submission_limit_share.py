"""With several replicas each counting alone, each enforces its share of a client's limit, so
together they allow about the limit instead of the limit once per replica."""

import pytest

from stadtmelder_reports.errors import TooManySubmissions
from stadtmelder_reports.http.rate_limits import SubmissionLimiter


async def accepted(limiter: SubmissionLimiter, client: str, per_minute: int | None = None) -> int:
    count = 0
    for _ in range(50):
        try:
            await limiter.check(client, per_minute)
        except TooManySubmissions:
            return count
        count += 1
    return count


@pytest.mark.parametrize(("replicas", "share"), [(1, 10), (2, 5), (3, 4), (20, 1)])
async def test_each_replica_accepts_its_share_of_an_address_limit(
    replicas: int, share: int
) -> None:
    limiter = SubmissionLimiter(10, replicas)

    assert await accepted(limiter, "198.51.100.7") == share


async def test_an_apps_own_limit_is_shared_too() -> None:
    limiter = SubmissionLimiter(10, replicas=2)

    assert await accepted(limiter, "app:citizen-app", per_minute=30) == 15
    with pytest.raises(TooManySubmissions):
        await limiter.refuse_if_exhausted("app:citizen-app", per_minute=30)
