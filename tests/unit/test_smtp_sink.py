"""The local SMTP sink stores a message only for a sender still there to hear its 250."""

import asyncio
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiosmtpd.smtp import Envelope

from tests.system import load_local_script

sink = load_local_script("smtp_sink")


class Transport(asyncio.Transport):
    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._sock if name == "socket" else default


def an_envelope() -> Envelope:
    envelope = Envelope()
    envelope.mail_from = "noreply@example.org"
    envelope.rcpt_tos = ["anna@example.org"]
    envelope.original_content = b"Subject: hello\r\n\r\nbody\r\n"
    return envelope


async def test_a_message_is_stored_while_its_sender_waits_for_the_answer(tmp_path: Path) -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        server = SimpleNamespace(transport=Transport(ours))
        answer = await sink.MaildirHandler(tmp_path).handle_DATA(server, None, an_envelope())

    assert answer.startswith("250")
    [stored] = tmp_path.glob("*.eml")
    assert b"body" in stored.read_bytes()


async def test_a_sender_gone_before_the_commit_gets_nothing_stored(tmp_path: Path) -> None:
    ours, theirs = socket.socketpair()
    theirs.close()  # killed after its final dot, before our answer
    with ours:
        server = SimpleNamespace(transport=Transport(ours))
        answer = await sink.MaildirHandler(tmp_path).handle_DATA(server, None, an_envelope())

    assert answer.startswith("421")
    assert list(tmp_path.glob("*.eml")) == []
