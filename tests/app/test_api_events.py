"""The central event schema: an explicit allow-list, and a pseudonym that depends on both
the jurisdiction key and the per-user key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from app.events import ALLOWED_FIELDS, CentralEvent, check_allowed, pseudonymize


def _event(**overrides: object) -> CentralEvent:
    fields: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "jurisdiction": "eu",
        "user_pseudonym": pseudonymize(7, b"k" * 32, user_key=b"u" * 32),
        "amount_minor": 1250,
        "currency": "EUR",
        "direction": "debit",
        "occurred_at": datetime(2026, 5, 4, 13, 47, 12, tzinfo=UTC),
        **overrides,
    }
    return CentralEvent.model_validate(fields)


def test_schema_fields_are_exactly_the_allow_list() -> None:
    # Fails as soon as someone adds a field to CentralEvent without deciding to allow it.
    assert set(CentralEvent.model_fields) == ALLOWED_FIELDS
    assert set(_event().model_dump(mode="json")) == ALLOWED_FIELDS


@pytest.mark.parametrize("field", ["email", "user_id", "full_name", "reference", "ip"])
def test_a_field_outside_the_allow_list_is_refused(field: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        _event(**{field: "x"})
    with pytest.raises(ValueError, match=field):
        check_allowed({**_event().model_dump(mode="json"), field: "x"})


def test_occurred_at_is_coarsened_to_the_hour() -> None:
    assert _event().occurred_at == datetime(2026, 5, 4, 13, 0, tzinfo=UTC)


def test_occurred_at_is_coarsened_to_the_utc_hour_whatever_its_offset() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    event = _event(occurred_at=datetime(2026, 5, 4, 19, 17, 12, tzinfo=india))  # 13:47:12Z
    assert event.occurred_at == datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
    assert event.occurred_at.tzinfo is UTC
    assert event.model_dump_json().count('"occurred_at":"2026-05-04T13:00:00Z"') == 1


def test_a_naive_occurred_at_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        _event(occurred_at=datetime(2026, 5, 4, 13, 47, 12))


def test_pseudonym_is_stable_and_keyed() -> None:
    key, user_key = b"j" * 32, b"u" * 32
    pseudonym = pseudonymize(42, key, user_key=user_key)
    assert len(pseudonym) == 64
    assert int(pseudonym, 16) >= 0
    assert pseudonym == pseudonymize(42, key, user_key=user_key)
    assert pseudonym != pseudonymize(43, key, user_key=user_key)
    assert pseudonym != pseudonymize(42, b"x" * 32, user_key=user_key)
    assert pseudonym != pseudonymize(42, key, user_key=b"v" * 32)


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        pseudonymize(1, b"")


def test_pseudonym_must_look_like_one() -> None:
    with pytest.raises(ValidationError):
        _event(user_pseudonym="user-42")
