"""The clock services read the time from unless a test gives them its own: aware UTC datetimes."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
