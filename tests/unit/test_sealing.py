"""Sealed contact fields: only the right key, key id and purpose open them, and an erased key
means nobody is written to, counted, never a crash."""

import logging

import pytest
from prometheus_client import CollectorRegistry

from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.sealing import Sealed, Unreadable, new_data_key, open_sealed, seal
from tests.data_key_fakes import InMemoryDataKeys

ADDRESS = "canary-7f3a@example.org"


def test_a_sealed_value_opens_with_its_key_and_shows_nothing_in_the_clear() -> None:
    key = new_data_key()

    sealed = seal(key, "R1", "alert_email", ADDRESS)

    assert ADDRESS not in sealed.model_dump_json()
    assert open_sealed(key, sealed, "alert_email") == ADDRESS
    assert seal(key, "R1", "alert_email", ADDRESS) != sealed, "a fresh nonce each time"


def test_another_key_is_refused() -> None:
    sealed = seal(new_data_key(), "R1", "reporter", ADDRESS)

    with pytest.raises(Unreadable):
        open_sealed(new_data_key(), sealed, "reporter")


def test_a_tampered_ciphertext_is_refused() -> None:
    key = new_data_key()
    sealed = seal(key, "R1", "reporter", ADDRESS)
    raw = bytearray(sealed.ciphertext.encode())
    raw[20] = ord("A") if raw[20] != ord("A") else ord("B")
    tampered = sealed.model_copy(update={"ciphertext": raw.decode()})

    with pytest.raises(Unreadable):
        open_sealed(key, tampered, "reporter")
    with pytest.raises(Unreadable):
        open_sealed(key, sealed.model_copy(update={"ciphertext": "no base64!"}), "reporter")
    with pytest.raises(Unreadable):
        open_sealed(key, sealed.model_copy(update={"ciphertext": "AAAA"}), "reporter")


def test_a_value_moved_to_another_key_id_or_purpose_is_refused() -> None:
    key = new_data_key()
    sealed = seal(key, "R1", "tracking_token", "token-1")

    with pytest.raises(Unreadable):
        open_sealed(key, Sealed(key_id="R2", ciphertext=sealed.ciphertext), "tracking_token")
    with pytest.raises(Unreadable):
        open_sealed(key, sealed, "reporter")


async def test_contacts_open_what_they_sealed_until_the_key_is_destroyed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    keys, registry = InMemoryDataKeys(), CollectorRegistry()
    contacts = Contacts(keys, registry)
    anna = Reporter(email=ADDRESS, name="Anna", language="tr")
    sealed = await contacts.seal_reporter("R1", anna)

    assert await contacts.open_reporter(sealed) == anna
    await keys.destroy("R1")
    with caplog.at_level(logging.WARNING):
        assert await contacts.open_reporter(sealed) is None

    erased = {"purpose": "reporter", "reason": "erased"}
    assert registry.get_sample_value("stadtmelder_contact_unreadable_total", erased) == 1
    assert "cannot be opened" in caplog.text
    assert ADDRESS not in caplog.text
    assert "Anna" not in caplog.text


async def test_contacts_count_a_value_that_does_not_open_and_go_on() -> None:
    keys, registry = InMemoryDataKeys(), CollectorRegistry()
    contacts = Contacts(keys, registry)
    sealed = await contacts.seal("alert:A1", "alert_email", ADDRESS)

    assert await contacts.open(sealed, "alert_confirm_token") is None
    assert await contacts.open(None, "alert_email") is None

    invalid = {"purpose": "alert_confirm_token", "reason": "invalid"}
    assert registry.get_sample_value("stadtmelder_contact_unreadable_total", invalid) == 1
