"""The area alert mails in German, English and Turkish: confirmation, one report, daily digest.

They carry only public facts of a report (category, place, department, link), never anything
about who reported it; every alert mail has a one-click cancel link (RFC 8058).
"""

from datetime import date
from urllib.parse import quote

from stadtmelder_notify.alerts.domain import Districts, NewReport, Subscription
from stadtmelder_notify.delivery.domain import Mail
from stadtmelder_notify.delivery.letter import Block, Facts, Letter, Link, Links, Paragraph, as_mail
from stadtmelder_notify.words import Words
from stadtmelder_shared.alert_areas import CONFIRM_WITHIN
from stadtmelder_shared.translations import N_

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

    def erasure(self, token: str, language: str) -> str:
        """Cancels the alert and deletes its address everywhere, after a confirmation page in
        the mail's `language`."""
        return f"{self._base}/api/v1/erasure/alert/{quote(token)}?lang={language}"

    def report(self, report_id: str, language: str) -> str:
        return f"{self._base}/reports/{quote(report_id)}?lang={language}"


# The catalogue keys of how often an alert mails.
_HOW = {"immediately": N_("alert_immediately"), "daily": N_("alert_daily")}


class AlertMails:
    """The mails of one city's alerts: its districts name the places, its links lead back."""

    def __init__(self, districts: Districts, links: AlertLinks) -> None:
        self._districts = districts
        self._links = links

    def confirmation(self, subscription: Subscription, key: str) -> Mail:
        """The double opt-in: nothing is sent before its link is confirmed."""
        assert subscription.email is not None
        assert subscription.token is not None
        language = subscription.language
        t = Words(language)
        blocks: tuple[Block, ...] = (
            Paragraph(t("alert_confirm_wish").format(summary=self.summary(subscription, language))),
            Links(
                t("alert_confirm_action").format(days=CONFIRM_WITHIN.days),
                (Link(t("alert_confirm_button"), self._links.confirm(subscription.token)),),
            ),
            Paragraph(t("alert_not_you")),
            Links(t("alert_choices"), (self._erase_link(subscription.token, t),)),
        )
        letter = Letter(
            language, t("alert_confirm_subject"), t("alert_greeting"), blocks, t("alert_signature")
        )
        return as_mail(letter, subscription.email, key)

    def alert(self, subscription: Subscription, report: NewReport, key: str) -> Mail:
        """One new report, right away."""
        language = subscription.language
        t = Words(language)
        category = report.category.name(language)
        blocks: tuple[Block, ...] = (
            Paragraph(t("alert_alert_intro")),
            Facts(
                (
                    (t("alert_what"), category),
                    (t("alert_where"), self.place(report)),
                    (t("alert_department"), report.department.name),
                )
            ),
            Links(
                t("alert_follow"),
                (
                    Link(
                        t("alert_report").format(report_id=report.id),
                        self._links.report(report.id, language),
                    ),
                ),
            ),
        )
        subject = t("alert_alert_subject").format(category=category)
        return self._with_cancel_link(subscription, key, subject, blocks)

    def digest(
        self, subscription: Subscription, day: date, reports: list[NewReport], key: str
    ) -> Mail:
        """The new reports of one day in one mail."""
        language = subscription.language
        t = Words(language)
        day_text = t("alert_day", day=day)
        entries = tuple(
            Link(
                f"{r.category.name(language)} – {self.place(r)}", self._links.report(r.id, language)
            )
            for r in reports[:DIGEST_MAX_REPORTS]
        )
        blocks: tuple[Block, ...] = (
            Links(t.plural("alert_digest_intro", len(reports), day=day_text), entries),
        )
        if len(reports) > DIGEST_MAX_REPORTS:
            more = t.plural("alert_digest_more", len(reports) - DIGEST_MAX_REPORTS)
            blocks += (Paragraph(more),)
        subject = t.plural("alert_digest_subject", len(reports), day=day_text)
        return self._with_cancel_link(subscription, key, subject, blocks)

    def summary(self, subscription: Subscription, language: str) -> str:
        """What the alert sends, where and how often, in one line."""
        t, area = Words(language), subscription.area
        if area.centre is not None:
            where = t("alert_near").format(
                radius=f"{area.radius_m or 0:.0f}",
                lat=f"{area.centre.lat:.5f}",
                lon=f"{area.centre.lon:.5f}",
            )
        else:
            where = t("alert_district").format(name=self._districts.name(area.district or ""))
        category = subscription.category
        what = (
            t("alert_category").format(name=category.name(language)) if category else t("alert_all")
        )
        how = t(_HOW[subscription.frequency])
        return t("alert_summary").format(what=what, where=where, how=how)

    def place(self, report: NewReport) -> str:
        """The address if there is one, else the coordinates; with the district when known."""
        spot = report.address or f"{report.location.lat:.5f}, {report.location.lon:.5f}"
        district = self._districts.at(report.location)
        return f"{spot} ({self._districts.name(district)})" if district else spot

    def _with_cancel_link(
        self, subscription: Subscription, key: str, subject: str, blocks: tuple[Block, ...]
    ) -> Mail:
        """An alert mail with the footer each one has: why it comes, and a one-click cancel link."""
        assert subscription.email is not None
        assert subscription.token is not None
        language = subscription.language
        t = Words(language)
        cancel_url = self._links.cancel(subscription.token)
        footer: tuple[Block, ...] = (
            Paragraph(t("alert_why").format(summary=self.summary(subscription, language))),
            Links(
                t("alert_choices"),
                (Link(t("alert_cancel"), cancel_url), self._erase_link(subscription.token, t)),
            ),
        )
        letter = Letter(
            language, subject, t("alert_greeting"), blocks, t("alert_signature"), footer
        )
        return as_mail(letter, subscription.email, key, cancel_url)

    def _erase_link(self, token: str, t: Words) -> Link:
        return Link(t("alert_erase"), self._links.erasure(token, t.language))
