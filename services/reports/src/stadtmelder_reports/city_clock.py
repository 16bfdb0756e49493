"""The city's clock: people read times as their own, in Duisburg's time zone."""

from zoneinfo import ZoneInfo

CITY_TIME = ZoneInfo("Europe/Berlin")
