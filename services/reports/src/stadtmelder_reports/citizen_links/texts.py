"""What the pages of the mail links say, in German, English and Turkish.

New texts of this feature, kept apart from web/texts/ until they move into the catalogues;
`LinkWords` answers like the web pages' `Words`: `t("key", name=value)` or `t.key`.
"""

# ruff: noqa: E501 - a sentence stays on one line, as a translator reads it

from collections.abc import Mapping

from stadtmelder_reports.http.schemas import LanguageCode

TEXTS: Mapping[LanguageCode, Mapping[str, str]] = {
    "de": {
        "unsubscribe_title": "Keine E-Mails mehr zur Meldung {report_id}?",
        "unsubscribe_what": "Sie bekommen dann keine E-Mails mehr zu dieser Meldung. Andere Meldungen betrifft das nicht.",
        "unsubscribe_button": "Ja, keine E-Mails mehr",
        "unsubscribed": "Erledigt: Sie bekommen keine E-Mails mehr zur Meldung {report_id}.",
        "resubscribe_button": "Doch wieder E-Mails bekommen",
        "settings_title": "Ihre Einstellungen für die Meldung {report_id}",
        "language_legend": "In welcher Sprache möchten Sie die E-Mails?",
        "save_button": "Speichern",
        "saved": "Gespeichert. Wir schreiben Ihnen zu dieser Meldung wie gewählt.",
        "resubscribed": "Gespeichert: Sie bekommen wieder E-Mails zur Meldung {report_id}.",
        "problem": "Das hat nicht geklappt",
        "invalid": "Dieser Link ist nicht gültig. Bitte prüfen Sie, ob er vollständig kopiert wurde.",
        "feedback_title": "Ist der Mangel behoben?",
        "feedback_about": "Meldung {report_id}: {category}",
        "fixed": "Ja, er ist behoben",
        "partly": "Er ist nur zum Teil behoben",
        "not_fixed": "Nein, er ist nicht behoben",
        "feedback_legend": "Ihre Antwort",
        "feedback_comment": "Möchten Sie uns noch etwas sagen? (freiwillig)",
        "feedback_comment_hint": "Nur die zuständige Stelle liest Ihren Kommentar. Bitte schreiben Sie keine persönlichen Daten hinein.",
        "feedback_rating": "Wie zufrieden sind Sie mit der Arbeit? (freiwillig)",
        "feedback_rating_low": "gar nicht zufrieden",
        "feedback_rating_high": "sehr zufrieden",
        "feedback_send": "Antwort senden",
        "feedback_thanks": "Danke für Ihre Antwort!",
        "feedback_reopened": "Ihre Meldung ist wieder bei der zuständigen Stelle. Wir schreiben Ihnen, wenn sich etwas tut.",
        "feedback_answered": "Sie haben schon geantwortet: „{answer}“. Danke!",
        "feedback_not_open": "Diese Frage ist gerade nicht offen: Die Meldung ist nicht als erledigt markiert.",
    },
    "en": {
        "unsubscribe_title": "No more e-mails about report {report_id}?",
        "unsubscribe_what": "You will then get no more e-mails about this report. Other reports are not affected.",
        "unsubscribe_button": "Yes, no more e-mails",
        "unsubscribed": "Done: you will get no more e-mails about report {report_id}.",
        "resubscribe_button": "Get e-mails again after all",
        "settings_title": "Your settings for report {report_id}",
        "language_legend": "In which language would you like the e-mails?",
        "save_button": "Save",
        "saved": "Saved. We will write to you about this report as you chose.",
        "resubscribed": "Saved: you will get e-mails about report {report_id} again.",
        "problem": "That did not work",
        "invalid": "This link is not valid. Please check that it was copied completely.",
        "feedback_title": "Is the problem fixed?",
        "feedback_about": "Report {report_id}: {category}",
        "fixed": "Yes, it is fixed",
        "partly": "It is only partly fixed",
        "not_fixed": "No, it is not fixed",
        "feedback_legend": "Your answer",
        "feedback_comment": "Is there anything else you want to tell us? (optional)",
        "feedback_comment_hint": "Only the department reads your comment. Please do not write personal details in it.",
        "feedback_rating": "How satisfied are you with the work? (optional)",
        "feedback_rating_low": "not satisfied at all",
        "feedback_rating_high": "very satisfied",
        "feedback_send": "Send answer",
        "feedback_thanks": "Thank you for your answer!",
        "feedback_reopened": "Your report is back with the department. We will write to you when something happens.",
        "feedback_answered": "You have already answered: “{answer}”. Thank you!",
        "feedback_not_open": "This question is not open at the moment: the report is not marked as resolved.",
    },
    "tr": {
        "unsubscribe_title": "{report_id} numaralı bildirimle ilgili artık e-posta gönderilmesin mi?",
        "unsubscribe_what": "Bu bildirimle ilgili artık e-posta almazsınız. Diğer bildirimler bundan etkilenmez.",
        "unsubscribe_button": "Evet, e-posta gönderilmesin",
        "unsubscribed": "Tamam: {report_id} numaralı bildirimle ilgili artık e-posta almayacaksınız.",
        "resubscribe_button": "Yine de e-posta almak istiyorum",
        "settings_title": "{report_id} numaralı bildirim için ayarlarınız",
        "language_legend": "E-postaları hangi dilde almak istersiniz?",
        "save_button": "Kaydet",
        "saved": "Kaydedildi. Bu bildirimle ilgili size seçtiğiniz şekilde yazacağız.",
        "resubscribed": "Kaydedildi: {report_id} numaralı bildirimle ilgili yeniden e-posta alacaksınız.",
        "problem": "Bu işlem yapılamadı",
        "invalid": "Bu bağlantı geçerli değil. Lütfen bağlantının eksiksiz kopyalandığını kontrol edin.",
        "feedback_title": "Sorun giderildi mi?",
        "feedback_about": "{report_id} numaralı bildirim: {category}",
        "fixed": "Evet, giderildi",
        "partly": "Sadece kısmen giderildi",
        "not_fixed": "Hayır, giderilmedi",
        "feedback_legend": "Yanıtınız",
        "feedback_comment": "Bize söylemek istediğiniz başka bir şey var mı? (isteğe bağlı)",
        "feedback_comment_hint": "Yorumunuzu yalnızca sorumlu birim okur. Lütfen yoruma kişisel bilgilerinizi yazmayın.",
        "feedback_rating": "Yapılan işten ne kadar memnunsunuz? (isteğe bağlı)",
        "feedback_rating_low": "hiç memnun değilim",
        "feedback_rating_high": "çok memnunum",
        "feedback_send": "Yanıtı gönder",
        "feedback_thanks": "Yanıtınız için teşekkür ederiz!",
        "feedback_reopened": "Bildiriminiz yeniden sorumlu birimde. Bir gelişme olduğunda size yazacağız.",
        "feedback_answered": "Zaten yanıt verdiniz: “{answer}”. Teşekkürler!",
        "feedback_not_open": "Bu soru şu anda açık değil: bildirim çözüldü olarak işaretlenmemiş.",
    },
}


class LinkWords:
    """The texts of one language for a template; German stands in for a missing one."""

    def __init__(self, language: LanguageCode) -> None:
        self.language = language
        self._texts = TEXTS[language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._texts.get(key) or TEXTS["de"].get(key) or key
        return text.format(**values) if values else text

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        return self(key)
