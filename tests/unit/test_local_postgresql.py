"""The local stack's choice of FerretDB backend and its PostgreSQL cluster's login probe."""

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from tests.system import load_local_script

cluster = load_local_script("postgresql_cluster")


def test_the_backend_is_sqlite_unless_postgresql_is_chosen() -> None:
    assert cluster.backend({}) == "sqlite"
    assert cluster.backend({"STADTMELDER_DB_BACKEND": " PostgreSQL "}) == "postgresql"
    assert cluster.backend({"STADTMELDER_DB_BACKEND": "sqlite"}) == "sqlite"


def test_an_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(cluster.ClusterError, match="choose postgresql or sqlite"):
        cluster.backend({"STADTMELDER_DB_BACKEND": "mysql"})


def test_ferretdb_reaches_the_cluster_as_its_own_user_on_loopback() -> None:
    found = cluster.url("127.0.0.1", 5433)

    assert found.startswith("postgres://stadtmelder@127.0.0.1:5433/postgres?")


def message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + struct.pack(">i", 4 + len(body)) + body


@pytest.fixture
def server() -> Iterator[tuple[int, list[bytes]]]:
    """A one-connection server that answers a login with the messages in the list given."""
    listener = socket.create_server(("127.0.0.1", 0))
    replies: list[bytes] = []

    def answer() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(1024)
            connection.sendall(b"".join(replies))
            connection.recv(1024)  # the client's Terminate, or its close

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield listener.getsockname()[1], replies
    thread.join(timeout=5)
    listener.close()


def test_a_server_ready_for_queries_answers(server: tuple[int, list[bytes]]) -> None:
    port, replies = server
    replies += [message(b"R", struct.pack(">i", 0)), message(b"S", b"a\0b\0"), message(b"Z", b"I")]

    assert cluster.answers("127.0.0.1", port)


def test_a_server_still_starting_does_not_answer(server: tuple[int, list[bytes]]) -> None:
    port, replies = server
    replies.append(message(b"E", b"SFATAL\0C57P03\0Mthe database system is starting up\0\0"))

    assert not cluster.answers("127.0.0.1", port)


def test_nothing_listening_does_not_answer() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]

    assert not cluster.answers("127.0.0.1", port)
