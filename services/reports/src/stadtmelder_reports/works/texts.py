"""How the pages and the form name works: the city's today, days in each language, and the
sentence a citizen reads before sending a report inside works."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.event_values import WorksRef

CITY_TIME = ZoneInfo("Europe/Berlin")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def city_today() -> date:
    return datetime.now(CITY_TIME).date()


def day_text(language: str, day: date, today: date) -> str:
    """A day as people of the language write it short; the year only when it is not this one."""
    if language == "en":
        short = f"{day.day} {MONTHS_EN[day.month - 1]}"
        return short if day.year == today.year else f"{short} {day.year}"
    short = f"{day:%d.%m.}"
    return short if day.year == today.year else f"{short}{day.year}"


def works_sentence(t: Words, works: WorksRef, today: date) -> str:
    """ "Hier wird bis 12.03. gebaut: Kanalsanierung, Firma X", or from when to when if planned."""
    until = day_text(t.language, works.ends_on, today)
    if works.starts_on > today:
        since = day_text(t.language, works.starts_on, today)
        return t(
            "works_here_planned",
            since=since,
            until=until,
            title=works.title,
            operator=works.operator,
        )
    return t("works_here_until", until=until, title=works.title, operator=works.operator)
