"""Sends mail over SMTP as plain text and HTML, retrying with backoff when the server is away."""

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

from stadtmelder_notify.domain import Mail


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


class Mailer(Protocol):
    async def send(self, mail: Mail, language: str) -> None: ...


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        attempts: int = 5,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._starttls = starttls
        self._attempts = attempts

    async def send(self, mail: Mail, language: str) -> None:
        message = message_of(mail, self._sender, language)
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.5, max=10),
            retry=retry_if_exception_type((aiosmtplib.SMTPException, OSError)),
            reraise=True,
        ):
            with attempt:
                await aiosmtplib.send(
                    message,
                    hostname=self._host,
                    port=self._port,
                    username=self._username,
                    password=self._password,
                    start_tls=self._starttls,
                    timeout=30,
                )
