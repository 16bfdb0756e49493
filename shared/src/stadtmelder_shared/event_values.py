"""The value objects events carry: places, categories, departments, contact data, references."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["de", "en", "tr"]
Answer = str | float | list[str]


class Value(BaseModel):
    """A value object inside an event."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Location(Value):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CategoryRef(Value):
    code: str
    names: dict[str, str] = Field(description="Category name by language code.")
    group: str = ""

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("de") or self.code


class LabelledAnswer(Value):
    """One answer as the citizen saw it: the question's text and the chosen answer's label."""

    question: str
    answer: str


# The answers with their labels, by language, in the question order: for people who read work
# orders without the category catalogue at hand (department mails).
LabelledAnswers = dict[str, list[LabelledAnswer]]


class Reopening(Value):
    """Why a resolved report was reopened, for the department that works it again."""

    by: str = Field(description="Who reopened it: an Actor role, e.g. citizen or clerk.")
    reason: str | None = Field(None, description="The reopener's words, for staff only.")


class Reporter(Value):
    """How to reach a reporter or supporter; travels only sealed (`Sealed` of its JSON)."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None
    language: Language = "de"


class PlaygroundRef(Value):
    """An imported playground a report belongs to; the name is the register's, never a citizen's."""

    id: str
    name: str | None = None


class DepartmentRef(Value):
    id: str
    name: str


class AppWebhook(Value):
    """Where the app that submitted a report wants to hear about its steps, signed for it.

    The signing secret never travels: notify derives it from the client id and version.
    """

    client_id: str
    url: str
    secret_version: int = 1


class PushSubscription(Value):
    """A browser's Web Push subscription (the `PushSubscription.toJSON()` of the page)."""

    endpoint: str
    p256dh: str = Field(description="The browser's public key, base64url (65 bytes, P-256).")
    auth: str = Field(description="The browser's authentication secret, base64url (16 bytes).")


class WorksRef(Value):
    """Known works (Baustelle) a report's place lies in, as routing found them: what is done
    there (`title`, e.g. Kanalsanierung), by whom (`operator`), and from and until which day."""

    id: str
    title: str
    operator: str
    starts_on: date
    ends_on: date


class Actor(Value):
    """Who did something: never a citizen's personal data, and no staff name in public views."""

    role: Literal["clerk", "dispatcher", "admin", "department_system", "citizen", "system"]
    user_id: str | None = None
    department_id: str | None = None


ModerationAction = Literal["hidden", "shown", "redacted", "photo_removed"]
