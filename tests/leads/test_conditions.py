"""The condition lists shared by tag, assignment and automation rules."""

from __future__ import annotations

import datetime

import pytest

from crm.tenants.leads.conditions import matches, validate

RECORD = {
    "country": "DE",
    "company_name": "Muster GmbH",
    "tags": ["hot", "fair"],
    "phone": "",
    "custom": {"budget": "12000.50", "since": "2026-03-01"},
    "created_at": datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC),
}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([], True),
        ([{"field": "country", "op": "eq", "value": "de"}], True),
        ([{"field": "country", "op": "neq", "value": "DE"}], False),
        ([{"field": "country", "op": "in", "value": ["AT", "DE"]}], True),
        ([{"field": "tags", "op": "in", "value": ["cold", "hot"]}], True),
        ([{"field": "tags", "op": "eq", "value": "fair"}], True),
        ([{"field": "tags", "op": "contains", "value": "cold"}], False),
        ([{"field": "company_name", "op": "contains", "value": "gmbh"}], True),
        ([{"field": "phone", "op": "empty"}], True),
        ([{"field": "phone", "op": "not_empty"}], False),
        ([{"field": "custom.budget", "op": "gte", "value": 10000}], True),
        ([{"field": "custom.budget", "op": "lte", "value": "9999"}], False),
        ([{"field": "custom.since", "op": "lte", "value": "2026-03-01"}], True),
        ([{"field": "created_at", "op": "gte", "value": "2026-05-01"}], True),
        ([{"field": "custom.missing", "op": "gte", "value": 1}], False),
        (
            [
                {"field": "country", "op": "eq", "value": "DE"},
                {"field": "phone", "op": "not_empty"},
            ],
            False,
        ),
    ],
)
def test_matches(conditions, expected):
    assert matches(RECORD, conditions) is expected


def test_validate_names_every_problem():
    fields = {"country", "phone", "custom.*"}
    assert validate([{"field": "country", "op": "eq", "value": "DE"}], fields) == []
    assert validate([{"field": "custom.budget", "op": "gte", "value": 1}], fields) == []
    problems = validate(
        [
            {"field": "shoe", "op": "eq", "value": 1},
            {"field": "country", "op": "like", "value": "D%"},
            {"field": "country", "op": "in", "value": "DE"},
            {"field": "phone", "op": "empty", "value": "x"},
            {"field": "phone", "op": "eq"},
            "country = DE",
        ],
        fields,
    )
    assert problems == [
        "condition 1: unknown field 'shoe'",
        "condition 2: unknown op 'like'; one of eq, in, neq, contains, empty, not_empty, gte, lte",
        "condition 3: in takes a non-empty list",
        "condition 4: empty takes no value",
        "condition 5: eq takes a text or number value",
        "condition 6: an object with field, op and value",
    ]
    assert validate({"field": "country"}, fields) == ["conditions must be a list"]
    assert validate([{"field": "custom.x", "op": "empty"}], {"country"}) == [
        "condition 1: unknown field 'custom.x'"
    ]
