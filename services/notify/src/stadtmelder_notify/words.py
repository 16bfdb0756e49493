"""What the mails and app messages say, in German, English and Turkish, from locale/'s files."""

from stadtmelder_shared.translations import LANGUAGES, PackageWords

__all__ = ["LANGUAGES", "Words"]


class Words(PackageWords):
    """Notify's texts in one language: `t("key", name=value)`."""

    package = "stadtmelder_notify"
