"""Who hears about each report: its followers by mail (reporter and supporters, with their
choices), the webhook of the app it came from, and the browsers subscribed to Web Push.

One document per report and collection (`_id` = report id), read and written by `_id` alone:
FerretDB 1.24 decodes the whole collection for any other filter, and loses one of two updates of
a document at the same moment, so a report's documents are written one at a time per process
(KeyedLocks). As this process last read or wrote them they serve the report's next steps for
`HOT_S`; another replica's change shows after at most that, as its data key does. Push endpoints
are personal data: kept here only, looked up by a hash, never logged. From one document per
follower or browser: `upgrade`.
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from stadtmelder_notify.core.confirmed_marks import ConfirmedMarks
from stadtmelder_notify.fresh import Fresh
from stadtmelder_shared.event_values import AppWebhook, Language, PushSubscription, Reporter
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.link_tokens import RecipientKeys

Document = dict[str, Any]
# How long a report's documents read or written here answer its next steps without a read.
HOT_S = 10.0


@dataclass(frozen=True)
class Followers:
    """A report's followers as one read of its document found them."""

    # Those who still want mail, each in the language they chose, in the order they joined.
    wanting_mail: list[Reporter]
    # Recipient keys whose confirmation of receipt was dealt with.
    confirmed: frozenset[str] = frozenset()
    # Supporters whose address waits for its double opt-in: they get the request, nothing else.
    awaiting: tuple[Reporter, ...] = ()


@dataclass(frozen=True)
class Choices:
    """What a follower chose from a mail's link; None leaves that choice as it was."""

    opted_out: bool | None = None
    language: Language | None = None


class FollowerStore(Protocol):
    """Reporters and supporters of a report, who hear about each step."""

    async def add(
        self, report_id: str, follower: Reporter, awaiting: bool = False, *, first: bool = False
    ) -> Followers:
        """Keep `follower` unless known (`awaiting` its address's confirmation); the followers
        afterwards, from the same read. `first`: probably the report's first follower (its
        reporter at the submission), so nothing is read before trying to write."""
        ...

    async def of(self, report_id: str, awaiting: bool = False) -> list[Reporter]:
        """Those who still want mail about the report, each in the language they chose; with
        `awaiting`, instead those whose address waits for its confirmation."""
        ...

    async def confirm(self, report_id: str, recipient: str) -> bool:
        """The awaiting follower with key `recipient` confirmed their address; False if unknown."""
        ...

    async def set_preferences(self, report_id: str, recipient: str, choices: Choices) -> bool:
        """Apply a choice of the follower with key `recipient`; False if nobody has that key."""
        ...

    async def mark_confirmed(self, report_id: str, email: str) -> None:
        """The reporter's confirmation of receipt was dealt with: sent, kept back or unwanted."""

    async def is_confirmed(self, report_id: str, email: str) -> bool: ...


class MongoFollowerStore:
    """One document per report holding its followers by recipient key; the rest is decided here."""

    def __init__(self, database: AsyncDatabase[Document], keys: RecipientKeys) -> None:
        self._reports = database["report_followers"]
        self._keys = keys
        self._writing = KeyedLocks()
        self._hot: Fresh[Document] = Fresh(HOT_S)
        # Confirmations are marked in the database behind the sending (see confirmed_marks).
        self._marks = ConfirmedMarks(self._reports, self._writing)

    async def ensure_indexes(self) -> None:
        return None  # found by `_id` only

    def forget_all(self) -> None:
        """Partitions moved: another replica may have written any report's document since."""
        self._hot.clear()

    async def flush(self) -> None:
        await self._marks.flush()

    async def add(
        self, report_id: str, follower: Reporter, awaiting: bool = False, *, first: bool = False
    ) -> Followers:
        key = self._keys.of(report_id, follower.email or "")
        async with self._writing(report_id):
            if first and self._hot.get(report_id) is None:
                created = await self._create(report_id, key, follower, awaiting)
                if created is not None:
                    return created
            document = await self._read(report_id)
            known = dict(document.get("followers") or {})
            # An erased supporter may support anew: only a new event opens (the erasure
            # destroyed the key of the old ones), so a redelivery cannot bring them back.
            if key not in known or (awaiting and known[key].get("erased")):
                # The position keeps the order in which people joined (reporter first).
                fields = {**follower.model_dump(), "position": len(known)}
                if awaiting:
                    fields["awaiting"] = True
                await self._reports.update_one(
                    {"_id": report_id}, {"$set": {f"followers.{key}": fields}}, upsert=True
                )
                known[key] = fields
                self._hot.put(report_id, {**document, "followers": known})
            # Else a redelivered event, or a supporter who reported it: choices stay.
        # The caller needs no second read of the document for the same event.
        return Followers(
            _wanting_mail(known),
            frozenset(document.get("confirmed") or {}),
            tuple(_wanting_mail(known, awaiting=True)),
        )

    async def _create(
        self, report_id: str, key: str, follower: Reporter, awaiting: bool
    ) -> Followers | None:
        """The report's document with `follower` alone, in one insert; None if it exists (a
        redelivered submission, or a later step handled first), which the caller reads."""
        fields = {**follower.model_dump(), "position": 0}
        if awaiting:
            fields["awaiting"] = True
        document: Document = {"_id": report_id, "followers": {key: fields}}
        try:
            await self._reports.insert_one(document)
        except DuplicateKeyError:
            return None
        self._hot.put(report_id, document)
        known = document["followers"]
        return Followers(_wanting_mail(known), frozenset(), tuple(_wanting_mail(known, True)))

    async def of(self, report_id: str, awaiting: bool = False) -> list[Reporter]:
        async with self._writing(report_id):
            return _wanting_mail((await self._read(report_id)).get("followers") or {}, awaiting)

    async def confirm(self, report_id: str, recipient: str) -> bool:
        if not _is_key(recipient):
            return False
        async with self._writing(report_id):
            document = await self._reports.find_one({"_id": report_id}) or {}
            fields = (document.get("followers") or {}).get(recipient)
            if not fields or fields.get("erased"):
                return False
            await self._reports.update_one(
                {"_id": report_id}, {"$unset": {f"followers.{recipient}.awaiting": ""}}
            )
            self._hot.drop(report_id)
        return True

    async def _read(self, report_id: str) -> Document:
        """The report's document as last read or written here, else from the database; under
        the report's lock, so a read that began before a write cannot remember what it found."""
        known = self._hot.get(report_id)
        if known is not None:
            return known
        generation = self._hot.generation
        document = await self._reports.find_one({"_id": report_id}) or {}
        self._hot.put(report_id, document, generation)
        return document

    async def set_preferences(self, report_id: str, recipient: str, choices: Choices) -> bool:
        if not _is_key(recipient):
            return False  # not a key we made; it must not become part of a field path
        changes: Document = {}
        if choices.opted_out is not None:
            changes[f"followers.{recipient}.opted_out"] = choices.opted_out
        if choices.language is not None:
            changes[f"followers.{recipient}.chosen_language"] = choices.language
        async with self._writing(report_id):
            document = await self._reports.find_one({"_id": report_id})
            if recipient not in ((document or {}).get("followers") or {}):
                return False
            if changes:
                await self._reports.update_one({"_id": report_id}, {"$set": changes})
                self._hot.drop(report_id)
        return True

    async def erase(self, report_id: str, recipient: str) -> str | None:
        """Forget the follower's address for good (erasure on request); the address it was,
        if known, so the caller can forget what it keeps under it. Their key stays, marked
        erased, so an event still naming them (a redelivery) does not add them again."""
        if not _is_key(recipient):
            return None
        await self._marks.forget(report_id, recipient)
        async with self._writing(report_id):
            self._hot.drop(report_id)
            document = await self._reports.find_one({"_id": report_id}) or {}
            known = document.get("followers") or {}
            position = (known.get(recipient) or {}).get("position", len(known))
            await self._reports.update_one(
                {"_id": report_id},
                {
                    "$set": {f"followers.{recipient}": {"position": position, "erased": True}},
                    "$unset": {f"confirmed.{recipient}": ""},
                },
                upsert=True,
            )
            self._hot.drop(report_id)
        email = (known.get(recipient) or {}).get("email")
        return str(email) if email else None

    async def mark_confirmed(self, report_id: str, email: str) -> None:
        key = self._keys.of(report_id, email)
        async with self._writing(report_id):
            self._marks.note(report_id, key)
            if (known := self._hot.get(report_id)) is not None:
                confirmed = {**(known.get("confirmed") or {}), key: True}
                self._hot.put(report_id, {**known, "confirmed": confirmed})

    async def is_confirmed(self, report_id: str, email: str) -> bool:
        key = self._keys.of(report_id, email)
        if self._marks.waiting(report_id, key):
            return True
        # From the database: this is how a replica sees another's confirmation.
        document = await self._reports.find_one({"_id": report_id}, projection={"confirmed": 1})
        return key in ((document or {}).get("confirmed") or {})


def _wanting_mail(followers: Document, awaiting: bool = False) -> list[Reporter]:
    return [
        Reporter.model_validate(
            {**fields, "language": fields.get("chosen_language") or fields["language"]}
        )
        for fields in sorted(followers.values(), key=lambda fields: fields["position"])
        if not fields.get("opted_out")
        and not fields.get("erased")
        and bool(fields.get("awaiting")) == awaiting
    ]


def _is_key(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


@dataclass(frozen=True)
class ReportApp:
    webhook: AppWebhook
    language: Language


@dataclass(frozen=True)
class Subscriber:
    subscription: PushSubscription
    language: Language


def subscription_key(report_id: str, endpoint: str) -> str:
    """One browser's subscription to one report, as a hash: the endpoint names the browser."""
    return hashlib.sha256(f"stadtmelder-push|{report_id}|{endpoint}".encode()).hexdigest()


@dataclass(frozen=True)
class Reach:
    """The report's app and subscribed browsers, as one read found them."""

    app: ReportApp | None
    subscribers: list[Subscriber]


class ChannelStore(Protocol):
    async def remember_submission(
        self, report_id: str, app: AppWebhook | None, language: Language
    ) -> None:
        """The report was submitted, through `app` if it is set."""
        ...

    async def mark_submission_told(self, report_id: str) -> None:
        """The submission's messages went out (or were dealt with): later steps may follow."""
        ...

    async def is_submission_told(self, report_id: str) -> bool: ...

    async def app_of(self, report_id: str) -> ReportApp | None: ...

    async def reach(self, report_id: str) -> Reach:
        """App and browsers in one look, for an event that tells both."""
        ...

    async def subscribe(
        self, report_id: str, subscription: PushSubscription, language: Language
    ) -> None: ...

    async def unsubscribe(self, report_id: str, endpoint: str) -> bool:
        """False if there was no such subscription."""
        ...

    async def subscribers(self, report_id: str) -> list[Subscriber]: ...

    async def is_subscribed(self, report_id: str, endpoint: str) -> bool: ...


class MongoChannelStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._reports = database["report_channels"]
        # FerretDB 1.24 loses one of two same-moment updates of one document.
        self._writing = KeyedLocks()
        self._hot: Fresh[Document] = Fresh(HOT_S)

    async def ensure_indexes(self) -> None:
        return None  # found by `_id` only

    def forget_all(self) -> None:
        """Partitions moved: another replica may have written any report's document since."""
        self._hot.clear()

    async def remember_submission(
        self, report_id: str, app: AppWebhook | None, language: Language
    ) -> None:
        fields: Document = {"language": language}
        if app is not None:
            fields["app"] = app.model_dump()
        await self._set(report_id, fields)

    async def mark_submission_told(self, report_id: str) -> None:
        await self._set(report_id, {"told": True})

    async def is_submission_told(self, report_id: str) -> bool:
        # From the database: this is how a replica sees another's confirmation.
        document = await self._reports.find_one({"_id": report_id}, projection={"told": 1})
        return document is not None and document.get("told") is True

    async def app_of(self, report_id: str) -> ReportApp | None:
        return _app(await self._document(report_id))

    async def reach(self, report_id: str) -> Reach:
        document = await self._document(report_id)
        return Reach(_app(document), _subscribers(document.get("push") or {}))

    async def subscribe(
        self, report_id: str, subscription: PushSubscription, language: Language
    ) -> None:
        key = subscription_key(report_id, subscription.endpoint)
        fields = {"language": language, **subscription.model_dump()}
        await self._set(report_id, {f"push.{key}": fields})

    async def unsubscribe(self, report_id: str, endpoint: str) -> bool:
        key = subscription_key(report_id, endpoint)
        async with self._writing(report_id):
            self._hot.drop(report_id)
            if key not in await self._browsers(report_id):
                return False
            await self._reports.update_one({"_id": report_id}, {"$unset": {f"push.{key}": ""}})
            self._hot.drop(report_id)
        return True

    async def subscribers(self, report_id: str) -> list[Subscriber]:
        return _subscribers((await self._document(report_id)).get("push") or {})

    async def is_subscribed(self, report_id: str, endpoint: str) -> bool:
        return subscription_key(report_id, endpoint) in await self._browsers(report_id)

    async def _browsers(self, report_id: str) -> Document:
        document = await self._reports.find_one({"_id": report_id}, projection={"push": 1})
        return dict((document or {}).get("push") or {})

    async def _document(self, report_id: str) -> Document:
        """As last read here, else from the database; under the report's lock, so a read that
        began before a write cannot remember what it found."""
        async with self._writing(report_id):
            known = self._hot.get(report_id)
            if known is None:
                known = await self._reports.find_one({"_id": report_id}) or {}
                self._hot.put(report_id, known)
            return known

    async def _set(self, report_id: str, fields: Document) -> None:
        async with self._writing(report_id):
            await self._reports.update_one({"_id": report_id}, {"$set": fields}, upsert=True)
            self._hot.drop(report_id)


def _app(document: Document) -> ReportApp | None:
    if not document.get("app"):
        return None
    return ReportApp(AppWebhook.model_validate(document["app"]), document["language"])


def _subscribers(browsers: Document) -> list[Subscriber]:
    return [
        Subscriber(PushSubscription.model_validate(fields), fields["language"])
        for fields in browsers.values()
    ]
