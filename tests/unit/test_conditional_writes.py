"""The condition check that replaces a filter beyond `_id` on FerretDB."""

import pytest

from stadtmelder_shared.conditional_writes import satisfies


def test_a_stale_revision_does_not_satisfy_the_condition() -> None:
    assert satisfies({"revision": 3}, {"revision": 3})
    assert not satisfies({"revision": 4}, {"revision": 3})


def test_an_event_already_applied_fails_ne_like_mongodb_on_an_array() -> None:
    assert satisfies({"applied_events": ["a", "b"]}, {"applied_events": {"$ne": "c"}})
    assert not satisfies({"applied_events": ["a", "b"]}, {"applied_events": {"$ne": "b"}})
    assert satisfies({}, {"supporter_keys": {"$ne": "k"}})
    assert not satisfies({"status": "pending"}, {"status": {"$ne": "pending"}})


def test_an_operator_it_cannot_check_is_refused_not_ignored() -> None:
    with pytest.raises(ValueError, match="only equality and \\$ne"):
        satisfies({"revision": 3}, {"revision": {"$gt": 2}})
