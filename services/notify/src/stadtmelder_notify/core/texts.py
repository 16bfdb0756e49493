"""What citizens read, in German, English and Turkish: short sentences in plain language.

Placeholders: {report_id}, {category}, {count}. Status steps have their own module.
"""

from collections.abc import Mapping

Texts = Mapping[str, str]

FRAME: Mapping[str, Texts] = {
    "de": {
        "greeting": "Guten Tag,",
        "signature": "Ihr Stadtmelder-Team",
        "follow": "Den aktuellen Stand sehen Sie hier:",
        "report": "Meldung {report_id} ansehen",
        "message_from": "Nachricht der zuständigen Stelle",
    },
    "en": {
        "greeting": "Hello,",
        "signature": "The Stadtmelder team",
        "follow": "You can follow your report here:",
        "report": "See report {report_id}",
        "message_from": "Message from the department",
    },
    "tr": {
        "greeting": "Merhaba,",
        "signature": "Stadtmelder ekibi",
        "follow": "Bildiriminizin durumunu buradan takip edebilirsiniz:",
        "report": "{report_id} numaralı bildirimi gör",
        "message_from": "Sorumlu birimin mesajı",
    },
}

CONFIRMATION: Mapping[str, Texts] = {
    "de": {
        "subject": "Wir haben Ihre Meldung {report_id} erhalten",
        "thanks": "vielen Dank für Ihre Meldung „{category}“. Wir haben sie erhalten.",
        "number": "Ihre Meldung hat die Nummer {report_id}. Bitte nennen Sie diese Nummer, "
        "wenn Sie uns dazu schreiben oder anrufen.",
        "next": "Wir geben Ihre Meldung jetzt an die zuständige Stelle weiter. "
        "Wir schreiben Ihnen bei jedem weiteren Schritt.",
        "tracking_intro": "Mit diesem persönlichen Link sehen Sie jederzeit, wie weit Ihre "
        "Meldung ist. Bitte geben Sie den Link nicht weiter.",
        "tracking": "Stand meiner Meldung ansehen",
    },
    "en": {
        "subject": "We have received your report {report_id}",
        "thanks": "thank you for your report “{category}”. We have received it.",
        "number": "Your report number is {report_id}. Please give this number when you write "
        "to us or call us about it.",
        "next": "We are now passing your report on to the department responsible. "
        "We will write to you at every further step.",
        "tracking_intro": "This personal link shows you at any time how far your report has "
        "got. Please do not share it.",
        "tracking": "See how my report is doing",
    },
    "tr": {
        "subject": "{report_id} numaralı bildiriminizi aldık",
        "thanks": "“{category}” bildiriminiz için teşekkür ederiz. Bildiriminizi aldık.",
        "number": "Bildirim numaranız {report_id}. Bu konuda bize yazdığınızda veya bizi "
        "aradığınızda lütfen bu numarayı belirtin.",
        "next": "Bildiriminizi şimdi sorumlu birime iletiyoruz. Her yeni adımda size yazacağız.",
        "tracking_intro": "Bu kişisel bağlantıdan bildiriminizin ne durumda olduğunu her zaman "
        "görebilirsiniz. Lütfen bağlantıyı kimseyle paylaşmayın.",
        "tracking": "Bildirimimin durumunu gör",
    },
}

ROUTED: Mapping[str, Texts] = {
    "de": {
        "subject": "Ihre Meldung {report_id} ist bei der zuständigen Stelle",
        "routed": "Ihre Meldung „{category}“ ist jetzt bei der zuständigen Stelle.",
        "department": "Zuständig:",
        "due": "Voraussichtlich erledigt bis:",
        "next": "Wir schreiben Ihnen, sobald sich etwas ändert.",
    },
    "en": {
        "subject": "Your report {report_id} has reached the responsible department",
        "routed": "Your report “{category}” is now with the department responsible.",
        "department": "Department:",
        "due": "Expected to be done by:",
        "next": "We will write to you as soon as anything changes.",
    },
    "tr": {
        "subject": "{report_id} numaralı bildiriminiz sorumlu birime iletildi",
        "routed": "“{category}” bildiriminiz artık sorumlu birimde.",
        "department": "Sorumlu birim:",
        "due": "Tahmini bitiş tarihi:",
        "next": "Bir değişiklik olur olmaz size yazacağız.",
    },
}

SUPPORTED: Mapping[str, Texts] = {
    "de": {
        "subject": "Sie unterstützen jetzt die Meldung {report_id}",
        "thanks": "danke, dass Sie die Meldung {report_id} unterstützen, statt eine neue zu "
        "schreiben.",
        "count": "Sie ist jetzt {count}-mal unterstützt worden. So sieht die Stadt, wie "
        "wichtig sie ist.",
        "next": "Wir schreiben Ihnen bei jedem weiteren Schritt.",
    },
    "en": {
        "subject": "You now support report {report_id}",
        "thanks": "thank you for supporting report {report_id} instead of filing a new one.",
        "count": "It now has {count} supporters, which shows the city how much it matters.",
        "next": "We will write to you at every further step.",
    },
    "tr": {
        "subject": "Artık {report_id} numaralı bildirimi destekliyorsunuz",
        "thanks": "yeni bir bildirim yazmak yerine {report_id} numaralı bildirimi "
        "desteklediğiniz için teşekkür ederiz.",
        "count": "Bildirim şimdiye kadar {count} kez desteklendi. Böylece belediye konunun "
        "ne kadar önemli olduğunu görüyor.",
        "next": "Her yeni adımda size yazacağız.",
    },
}

FEEDBACK: Mapping[str, Texts] = {
    "de": {
        "question": "Ist der Mangel wirklich behoben? Bitte sagen Sie es uns:",
        "fixed": "Ja, er ist behoben",
        "partly": "Er ist nur zum Teil behoben",
        "not_fixed": "Nein, er ist nicht behoben",
        "not_fixed_means": "Wenn der Mangel nicht behoben ist, geht Ihre Meldung zurück an "
        "die zuständige Stelle.",
        "form_intro": "Sie möchten uns mehr sagen oder die Arbeit bewerten?",
        "form": "Zum Antwortformular",
    },
    "en": {
        "question": "Is the problem really fixed? Please tell us:",
        "fixed": "Yes, it is fixed",
        "partly": "It is only partly fixed",
        "not_fixed": "No, it is not fixed",
        "not_fixed_means": "If it is not fixed, your report goes back to the department.",
        "form_intro": "Would you like to tell us more or rate the work?",
        "form": "Open the answer form",
    },
    "tr": {
        "question": "Sorun gerçekten giderildi mi? Lütfen bize bildirin:",
        "fixed": "Evet, giderildi",
        "partly": "Sadece kısmen giderildi",
        "not_fixed": "Hayır, giderilmedi",
        "not_fixed_means": "Sorun giderilmediyse bildiriminiz yeniden sorumlu birime gider.",
        "form_intro": "Bize daha fazlasını anlatmak veya yapılan işi değerlendirmek ister misiniz?",
        "form": "Yanıt formunu aç",
    },
}

FOOTER: Mapping[str, Texts] = {
    "de": {
        "why": "Sie bekommen diese E-Mail, weil Sie die Meldung {report_id} gemacht oder "
        "unterstützt haben.",
        "choices": "Ihre Einstellungen für diese Meldung:",
        "unsubscribe": "Keine E-Mails mehr zu dieser Meldung",
    },
    "en": {
        "why": "You get this e-mail because you made or supported report {report_id}.",
        "choices": "Your settings for this report:",
        "unsubscribe": "No more e-mails about this report",
    },
    "tr": {
        "why": "Bu e-postayı, {report_id} numaralı bildirimi yaptığınız veya desteklediğiniz "
        "için alıyorsunuz.",
        "choices": "Bu bildirim için ayarlarınız:",
        "unsubscribe": "Bu bildirim hakkında artık e-posta gönderilmesin",
    },
}

# Each language offered in its own words, so a reader finds theirs.
LANGUAGE_CHOICES: Mapping[str, str] = {
    "de": "E-Mails auf Deutsch",
    "en": "E-mails in English",
    "tr": "Türkçe e-postalar",
}

MONTHS: Mapping[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "tr": (
        "Ocak",
        "Şubat",
        "Mart",
        "Nisan",
        "Mayıs",
        "Haziran",
        "Temmuz",
        "Ağustos",
        "Eylül",
        "Ekim",
        "Kasım",
        "Aralık",
    ),
}


def texts(table: Mapping[str, Texts], language: str) -> Texts:
    """The texts in `language`, German when we do not have that language."""
    return table.get(language) or table["de"]
