"""Sends mail over SMTP as plain text and HTML, retrying with backoff when the server is away."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import aiosmtplib
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from stadtmelder_notify.delivery.domain import Mail
from stadtmelder_notify.delivery.own_loop import OwnLoop

log = logging.getLogger(__name__)
# Called once, at the moment the server accepted the mail, possibly on another thread: it must
# be quick and must not touch the caller's event loop.
Accepted = Callable[[], None]


def message_of(mail: Mail, sender: str, language: str) -> EmailMessage:
    """multipart/alternative: plain text first, then HTML, which clients prefer if they can."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = formatdate(localtime=False, usegmt=True)
    if mail.unsubscribe_url:
        # RFC 8058: mail clients offer "unsubscribe" and POST to the link in one click.
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = language
    return message


def note_acceptance(accepted: Accepted | None) -> None:
    """Call `accepted`; whatever it raises, the message was sent and must not be sent again."""
    if accepted is None:
        return
    try:
        accepted()
    except Exception:
        log.exception("noting a message its server accepted failed; it is not sent again")


class Mailer(Protocol):
    async def send(self, mail: Mail, language: str, accepted: Accepted | None = None) -> None: ...


class SmtpMailer:
    """Keeps a few SMTP connections open and sends each mail over a free one.

    A send is done as soon as the server accepted the mail (its 250 after DATA), not after a
    QUIT. The connections live on a loop in a thread of their own, which reads the 250 and calls
    `accepted` at once, however busy the service's main loop is: a kill -9 between the server's
    acceptance and the caller's record of it (RFC 1047) has only that instant to fall into.
    A connection that broke, or sat idle long enough for the server to drop it, is replaced.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        attempts: int = 5,
        connections: int = 6,
        idle_seconds: float = 30.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._starttls = starttls
        self._attempts = attempts
        self._idle_seconds = idle_seconds
        self._connections = connections
        self._loop: OwnLoop | None = None
        # Made with `_loop`, used only on its thread.
        self._free: asyncio.LifoQueue[tuple[aiosmtplib.SMTP | None, float]]

    async def send(self, mail: Mail, language: str, accepted: Accepted | None = None) -> None:
        message = message_of(mail, self._sender, language)
        await self._own_loop().run(self._send_with_retries(message, accepted))

    def _own_loop(self) -> OwnLoop:
        if self._loop is None:
            self._free = asyncio.LifoQueue()
            for _ in range(self._connections):
                self._free.put_nowait((None, 0.0))
            self._loop = OwnLoop("smtp-mailer")
        return self._loop

    async def _send_with_retries(self, message: EmailMessage, accepted: Accepted | None) -> None:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.5, max=10),
            retry=retry_if_exception_type((aiosmtplib.SMTPException, OSError)),
            reraise=True,
        ):
            with attempt:
                await self._send_over_a_connection(message, accepted)

    async def _send_over_a_connection(
        self, message: EmailMessage, accepted: Accepted | None
    ) -> None:
        client, last_used = await self._free.get()
        try:
            client = await self._usable(client, last_used)
            await client.send_message(message)
        except BaseException:
            # Whatever state it is in, it is not used again.
            if client is not None:
                client.close()
            self._free.put_nowait((None, 0.0))
            raise
        # No await since the 250: neither another task nor a cancellation comes in between.
        note_acceptance(accepted)
        self._free.put_nowait((client, time.monotonic()))

    async def _usable(self, client: aiosmtplib.SMTP | None, last_used: float) -> aiosmtplib.SMTP:
        fresh = time.monotonic() - last_used < self._idle_seconds
        if client is not None and client.is_connected and fresh:
            return client
        if client is not None:
            client.close()
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            start_tls=self._starttls,
            timeout=30,
        )
        await client.connect()
        return client

    async def close(self) -> None:
        """Says goodbye on the idle connections and stops the thread; a later send starts anew."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            await loop.run(self._quit_idle())
        finally:
            await loop.stop()

    async def _quit_idle(self) -> None:
        # The queue goes with the thread; the next send makes a new one.
        while not self._free.empty():
            client, _ = self._free.get_nowait()
            if client is None:
                continue
            if client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await client.quit()
            client.close()
