"""What the department mails say, in German, English and Turkish, from locale/'s catalogues."""

from stadtmelder_shared.translations import LANGUAGES, PackageWords

__all__ = ["LANGUAGES", "Words"]


class Words(PackageWords):
    """Routing's texts in one language: `t("key", name=value)`."""

    package = "stadtmelder_routing"
