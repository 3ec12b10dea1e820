"""The central event allow-list: only pseudonymized fields cross a border, nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.lambdas.central_event import ALLOWED_FIELDS, CentralEvent, parse_event
from policies.gdpr_pack.jurisdictions import JURISDICTIONS
from tests.app.lambdas.harness import user_event, valid_event

# Names a direct identifier would carry; none may ever be a field of the central event.
DIRECT_IDENTIFIERS = (
    "user_id",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "iban",
    "account_number",
    "address",
    "date_of_birth",
    "ip_address",
    "national_id",
)


def test_model_fields_are_exactly_the_allow_list() -> None:
    assert set(CentralEvent.model_fields) == ALLOWED_FIELDS


def test_json_schema_forbids_additional_properties() -> None:
    schema = CentralEvent.model_json_schema()
    assert set(schema["properties"]) == ALLOWED_FIELDS
    assert schema["additionalProperties"] is False


def test_no_direct_identifier_is_allowed() -> None:
    assert not ALLOWED_FIELDS & set(DIRECT_IDENTIFIERS)


@pytest.mark.parametrize("field", DIRECT_IDENTIFIERS)
def test_event_with_a_direct_identifier_is_rejected(field: str) -> None:
    body = json.dumps(valid_event(**{field: "alice@example.com"}))
    with pytest.raises(ValidationError) as info:
        parse_event(body)
    assert [e["type"] for e in info.value.errors()] == ["extra_forbidden"]


@given(st.text(min_size=1, max_size=30).filter(lambda name: name not in ALLOWED_FIELDS))
def test_any_field_outside_the_allow_list_is_rejected(field: str) -> None:
    with pytest.raises(ValidationError):
        parse_event(json.dumps(valid_event(**{field: "x"})))


def test_valid_transaction_event_parses() -> None:
    raw = valid_event()
    event = parse_event(json.dumps(raw))
    assert str(event.event_id) == raw["event_id"]
    assert event.amount_minor == 12_345
    assert event.occurred_at.utcoffset() is not None


def test_user_event_without_money_parses() -> None:
    event = parse_event(json.dumps(user_event("user.erased")))
    assert event.event_type == "user.erased"
    assert event.direction is None


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"user_pseudonym": "12345"}, "a raw user id is not a pseudonym"),
        ({"user_pseudonym": "3F" * 32}, "pseudonyms are lowercase hex, as hexdigest() gives"),
        ({"user_pseudonym": "3f" * 31}, "an HMAC-SHA256 is 64 hex characters"),
        ({"occurred_at": "2026-11-26T10:15:00"}, "naive datetimes are ambiguous"),
        ({"event_id": "not-a-uuid"}, "event ids are UUIDs"),
        ({"event_type": "user.updated"}, "unknown event types go to the DLQ"),
        ({"jurisdiction": "uk"}, "only the platform's jurisdictions"),
        ({"currency": "eur"}, "ISO 4217 codes are upper case"),
        ({"amount_minor": 12.5}, "minor units are integers"),
        ({"amount_minor": "12345"}, "strict: no numeric strings"),
        ({"amount_minor": 2**63}, "beyond bigint"),
        ({"schema_version": 2}, "a version this consumer cannot read"),
        ({"amount_minor": None}, "a transaction needs an amount"),
        ({"event_type": "user.created"}, "a user event carries no amount"),
        ({"direction": None}, "a transaction needs a direction"),
        ({"direction": "refund"}, "debit or credit, nothing else"),
        ({"direction": "Debit"}, "exact values"),
        (
            {"event_type": "user.erased", "amount_minor": None, "currency": None},
            "a user event carries no direction",
        ),
        (
            {
                "event_type": "user.created",
                "amount_minor": None,
                "currency": None,
                "direction": None,
                "user_pseudonym": None,
            },
            "a user event is about a user",
        ),
    ],
)
def test_invalid_events_are_rejected(overrides: dict[str, Any], why: str) -> None:
    with pytest.raises(ValidationError):
        parse_event(json.dumps(valid_event(**overrides)), JURISDICTIONS)


@pytest.mark.parametrize("name", ["EU", "e", "eu us", "eu'--", ""])
def test_a_malformed_jurisdiction_is_rejected_even_without_the_served_list(name: str) -> None:
    with pytest.raises(ValidationError):
        parse_event(json.dumps(valid_event(jurisdiction=name)))


def test_every_row_of_the_table_is_a_jurisdiction_the_contract_takes() -> None:
    for name in JURISDICTIONS:
        assert parse_event(json.dumps(valid_event(jurisdiction=name)), JURISDICTIONS)


def test_a_transaction_of_an_erased_user_parses_without_a_pseudonym() -> None:
    event = parse_event(json.dumps(valid_event(user_pseudonym=None, direction="credit")))
    assert event.user_pseudonym is None
    assert event.direction == "credit"


def test_the_pseudonym_field_must_be_sent_even_when_null() -> None:
    body = valid_event()
    del body["user_pseudonym"]
    with pytest.raises(ValidationError) as info:
        parse_event(json.dumps(body))
    assert [e["type"] for e in info.value.errors()] == ["missing"]


@pytest.mark.parametrize("body", ["", "not json", "[]", "null", '"event"', "{}"])
def test_non_events_are_rejected(body: str) -> None:
    with pytest.raises(ValidationError):
        parse_event(body)
