"""The area alert mails in German, English and Turkish: confirmation, one report, daily digest.

They carry only public facts of a report (category, place, department, link), never anything
about who reported it; every alert mail has a one-click cancel link (RFC 8058).
"""

from collections.abc import Mapping
from datetime import date
from urllib.parse import quote

from stadtmelder_notify.alerts.domain import Districts, NewReport, Subscription
from stadtmelder_notify.delivery.domain import Mail
from stadtmelder_notify.delivery.letter import (
    Block,
    Facts,
    Letter,
    Link,
    Links,
    Paragraph,
    as_html,
    as_text,
)
from stadtmelder_shared.alert_areas import CONFIRM_WITHIN

# More would make a digest unreadable; the rest are on the city's public list.
DIGEST_MAX_REPORTS = 50


class AlertLinks:
    """Absolute links into the reports service's public API."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url.rstrip("/")

    def confirm(self, token: str) -> str:
        return f"{self._base}/api/v1/alerts/confirm/{quote(token)}"

    def cancel(self, token: str) -> str:
        """Also the `List-Unsubscribe` target: a POST to it cancels in one click."""
        return f"{self._base}/api/v1/alerts/cancel/{quote(token)}"

    def report(self, report_id: str, language: str) -> str:
        return f"{self._base}/reports/{quote(report_id)}?lang={language}"


_TEXTS: Mapping[str, Mapping[str, str]] = {
    "de": {
        "greeting": "Guten Tag,",
        "signature": "Ihr Stadtmelder-Team",
        "near": "im Umkreis von {radius} m um den Punkt {lat}, {lon}",
        "district": "im Stadtbezirk {name}",
        "all": "alle neuen Meldungen",
        "category": "neue Meldungen „{name}“",
        "immediately": "sofort per E-Mail",
        "daily": "einmal am Tag als Zusammenfassung",
        "summary": "{what} {where}, {how}",
        "confirm_subject": "Bitte bestätigen Sie Ihre Benachrichtigung",
        "confirm_wish": "Sie möchten eine E-Mail bekommen, wenn es neue Meldungen gibt: {summary}.",
        "confirm_action": "Bitte bestätigen Sie das mit diesem Link. Erst danach schicken wir "
        "Ihnen Benachrichtigungen. Der Link gilt {days} Tage.",
        "confirm_button": "Ja, Benachrichtigung einschalten",
        "not_you": "Sie haben das nicht bestellt? Dann beachten Sie diese E-Mail bitte nicht. "
        "Sie bekommen dann keine weiteren E-Mails von uns.",
        "alert_subject": "Neue Meldung in Ihrer Nähe: {category}",
        "alert_intro": "es gibt eine neue Meldung in dem Gebiet, für das Sie sich interessieren.",
        "what": "Was:",
        "where": "Wo:",
        "department": "Zuständig:",
        "follow": "Den aktuellen Stand sehen Sie hier:",
        "report": "Meldung {report_id} ansehen",
        "digest_subject": "{count} neue Meldungen vom {day}",
        "digest_intro": "am {day} gab es {count} neue Meldungen in dem Gebiet, "
        "für das Sie sich interessieren:",
        "digest_more": "Dazu kommen {count} weitere Meldungen.",
        "why": "Sie bekommen diese E-Mail, weil Sie diese Benachrichtigung bestellt haben: "
        "{summary}.",
        "choices": "Keine solchen E-Mails mehr?",
        "cancel": "Benachrichtigung abbestellen",
        "day": "{day:%d.%m.%Y}",
    },
    "en": {
        "greeting": "Hello,",
        "signature": "The Stadtmelder team",
        "near": "within {radius} m of the point {lat}, {lon}",
        "district": "in the district of {name}",
        "all": "all new reports",
        "category": "new reports of “{name}”",
        "immediately": "right away by e-mail",
        "daily": "once a day as a summary",
        "summary": "{what} {where}, {how}",
        "confirm_subject": "Please confirm your alert",
        "confirm_wish": "You would like an e-mail when there are new reports: {summary}.",
        "confirm_action": "Please confirm this with the link below. Only then will we send you "
        "alerts. The link works for {days} days.",
        "confirm_button": "Yes, switch the alert on",
        "not_you": "You did not ask for this? Then please ignore this e-mail. "
        "You will get no more e-mails from us.",
        "alert_subject": "New report near you: {category}",
        "alert_intro": "there is a new report in the area you are interested in.",
        "what": "What:",
        "where": "Where:",
        "department": "Handled by:",
        "follow": "You can follow it here:",
        "report": "See report {report_id}",
        "digest_subject": "{count} new reports on {day}",
        "digest_intro": "on {day} there were {count} new reports in the area you are "
        "interested in:",
        "digest_more": "There are {count} more reports as well.",
        "why": "You get this e-mail because you asked for this alert: {summary}.",
        "choices": "No more e-mails like this?",
        "cancel": "Stop the alert",
        "day": "{day:%Y-%m-%d}",
    },
    "tr": {
        "greeting": "Merhaba,",
        "signature": "Stadtmelder ekibi",
        "near": "{lat}, {lon} noktasının {radius} m çevresinde",
        "district": "{name} ilçesinde",
        "all": "tüm yeni bildirimler",
        "category": "“{name}” ile ilgili yeni bildirimler",
        "immediately": "hemen e-posta ile",
        "daily": "günde bir kez özet olarak",
        "summary": "{where} {what}, {how}",
        "confirm_subject": "Lütfen bildirim aboneliğinizi onaylayın",
        "confirm_wish": "Yeni bildirimler olduğunda e-posta almak istiyorsunuz: {summary}.",
        "confirm_action": "Lütfen bunu aşağıdaki bağlantı ile onaylayın. Ancak ondan sonra size "
        "bildirim göndereceğiz. Bağlantı {days} gün geçerlidir.",
        "confirm_button": "Evet, bildirimi aç",
        "not_you": "Bunu siz istemediyseniz lütfen bu e-postayı dikkate almayın. "
        "Bizden başka e-posta almayacaksınız.",
        "alert_subject": "Yakınınızda yeni bildirim: {category}",
        "alert_intro": "ilgilendiğiniz bölgede yeni bir bildirim var.",
        "what": "Ne:",
        "where": "Nerede:",
        "department": "Sorumlu birim:",
        "follow": "Güncel durumu buradan takip edebilirsiniz:",
        "report": "{report_id} numaralı bildirimi gör",
        "digest_subject": "{day} tarihinde {count} yeni bildirim",
        "digest_intro": "{day} tarihinde ilgilendiğiniz bölgede {count} yeni bildirim vardı:",
        "digest_more": "Bunlara ek olarak {count} bildirim daha var.",
        "why": "Bu e-postayı, şu bildirime abone olduğunuz için alıyorsunuz: {summary}.",
        "choices": "Bu tür e-postaları artık almak istemiyor musunuz?",
        "cancel": "Aboneliği bitir",
        "day": "{day:%d.%m.%Y}",
    },
}


def _texts(language: str) -> Mapping[str, str]:
    return _TEXTS.get(language, _TEXTS["de"])


def _message_id(key: str) -> str:
    # The same delivery always has the same Message-ID, so a resent mail is recognisable.
    return f"<{key}@stadtmelder>"


def summary(subscription: Subscription, districts: Districts, language: str) -> str:
    """What the alert sends, where and how often, in one line."""
    words, area = _texts(language), subscription.area
    if area.centre is not None:
        where = words["near"].format(
            radius=f"{area.radius_m or 0:.0f}",
            lat=f"{area.centre.lat:.5f}",
            lon=f"{area.centre.lon:.5f}",
        )
    else:
        where = words["district"].format(name=districts.name(area.district or ""))
    category = subscription.category
    what = words["category"].format(name=category.name(language)) if category else words["all"]
    return words["summary"].format(what=what, where=where, how=words[subscription.frequency])


def place(report: NewReport, districts: Districts) -> str:
    """The address if there is one, else the coordinates; with the district when known."""
    spot = report.address or f"{report.location.lat:.5f}, {report.location.lon:.5f}"
    district = districts.at(report.location)
    return f"{spot} ({districts.name(district)})" if district else spot


def _mail(to: str, letter: Letter, key: str, unsubscribe_url: str | None = None) -> Mail:
    return Mail(
        to=to,
        subject=letter.subject,
        text=as_text(letter),
        message_id=_message_id(key),
        html=as_html(letter),
        unsubscribe_url=unsubscribe_url,
    )


def _alert_letter(
    subscription: Subscription,
    districts: Districts,
    links: AlertLinks,
    subject: str,
    blocks: tuple[Block, ...],
) -> tuple[Letter, str]:
    """A letter with the footer every alert mail has: why it comes and how to stop it."""
    assert subscription.token is not None
    language = subscription.language
    words = _texts(language)
    cancel_url = links.cancel(subscription.token)
    footer: tuple[Block, ...] = (
        Paragraph(words["why"].format(summary=summary(subscription, districts, language))),
        Links(words["choices"], (Link(words["cancel"], cancel_url),)),
    )
    letter = Letter(language, subject, words["greeting"], blocks, words["signature"], footer)
    return letter, cancel_url


def confirmation_mail(
    subscription: Subscription, districts: Districts, links: AlertLinks, key: str
) -> Mail:
    """The double opt-in: nothing is sent before its link is confirmed."""
    assert subscription.email is not None
    assert subscription.token is not None
    language = subscription.language
    words = _texts(language)
    blocks: tuple[Block, ...] = (
        Paragraph(words["confirm_wish"].format(summary=summary(subscription, districts, language))),
        Links(
            words["confirm_action"].format(days=CONFIRM_WITHIN.days),
            (Link(words["confirm_button"], links.confirm(subscription.token)),),
        ),
        Paragraph(words["not_you"]),
    )
    letter = Letter(
        language, words["confirm_subject"], words["greeting"], blocks, words["signature"]
    )
    return _mail(subscription.email, letter, key)


def alert_mail(
    subscription: Subscription,
    report: NewReport,
    districts: Districts,
    links: AlertLinks,
    key: str,
) -> Mail:
    """One new report, right away."""
    assert subscription.email is not None
    language = subscription.language
    words = _texts(language)
    category = report.category.name(language)
    blocks: tuple[Block, ...] = (
        Paragraph(words["alert_intro"]),
        Facts(
            (
                (words["what"], category),
                (words["where"], place(report, districts)),
                (words["department"], report.department.name),
            )
        ),
        Links(
            words["follow"],
            (
                Link(
                    words["report"].format(report_id=report.id),
                    links.report(report.id, language),
                ),
            ),
        ),
    )
    subject = words["alert_subject"].format(category=category)
    letter, cancel_url = _alert_letter(subscription, districts, links, subject, blocks)
    return _mail(subscription.email, letter, key, cancel_url)


def digest_mail(
    subscription: Subscription,
    day: date,
    reports: list[NewReport],
    districts: Districts,
    links: AlertLinks,
    key: str,
) -> Mail:
    """The new reports of one day in one mail."""
    assert subscription.email is not None
    language = subscription.language
    words = _texts(language)
    values = {"day": words["day"].format(day=day), "count": len(reports)}
    entries = tuple(
        Link(f"{r.category.name(language)} – {place(r, districts)}", links.report(r.id, language))
        for r in reports[:DIGEST_MAX_REPORTS]
    )
    blocks: tuple[Block, ...] = (Links(words["digest_intro"].format(**values), entries),)
    if len(reports) > DIGEST_MAX_REPORTS:
        more = words["digest_more"].format(count=len(reports) - DIGEST_MAX_REPORTS)
        blocks += (Paragraph(more),)
    subject = words["digest_subject"].format(**values)
    letter, cancel_url = _alert_letter(subscription, districts, links, subject, blocks)
    return _mail(subscription.email, letter, key, cancel_url)
