"""Custom field values: every kind, valid and invalid, and required fields (always, from a
stage), checked by the services other areas call (clean_custom, missing_required)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.platform.core.errors import CrmError
from crm.tests.customfields.helpers import DE, make


def refused(record_type: str, values: dict[str, Any], current: Any = None) -> tuple[str, str]:
    from crm.tenants.customfields.services import clean_custom

    with pytest.raises(CrmError) as caught:
        clean_custom(record_type, values, current=current)
    return caught.value.code.value, str(caught.value.field)


def cleaned(values: dict[str, Any], current: Any = None, record_type: str = "lead") -> Any:
    from crm.tenants.customfields.services import clean_custom

    return clean_custom(record_type, values, current=current)


OPTIONS = [
    {"code": "OEM", "labels": {"en": "OEM", "de": "Erstausrüster", "ja": "OEM 企業"}},
    {"code": "RETAIL", "labels": {"en": "Retail", "de": "Einzelhandel"}},
    {"code": "GOV", "labels": {"en": "Government"}},
]


@pytest.fixture
def de_fields(world: Any) -> Any:
    with schema_context(DE):
        make(code="note", kind="TEXT")
        make(code="ref", kind="TEXT", max_length=8, pattern=r"[A-Z]{2}-\d{3}")
        make(code="seats", kind="NUMBER", minimum=Decimal(1), maximum=Decimal(5000))
        make(code="ratio", kind="NUMBER")
        make(code="budget", kind="MONEY", currency="EUR", maximum=Decimal(1000000))
        make(code="deposit", kind="MONEY")
        make(code="visit", kind="DATE", min_date=datetime.date(2026, 1, 1))
        make(code="segment", kind="CHOICE", options=OPTIONS)
        make(code="channels", kind="MULTI_CHOICE", options=OPTIONS)
        make(code="old", kind="TEXT", active=False)
        yield


def test_text_is_trimmed_capped_and_matched(de_fields: Any) -> None:
    with schema_context(DE):
        assert cleaned({"note": "  hello  ", "ref": "DE-123"}) == {"note": "hello", "ref": "DE-123"}
        assert cleaned({"note": "x" * 2000})["note"] == "x" * 2000
        assert refused("lead", {"note": "x" * 2001}) == ("INVALID_ARGUMENT", "customFields.note")
        assert refused("lead", {"ref": "DE-1234"}) == ("INVALID_ARGUMENT", "customFields.ref")
        assert refused("lead", {"ref": "de-123"}) == ("INVALID_ARGUMENT", "customFields.ref")
        assert refused("lead", {"note": 12}) == ("INVALID_ARGUMENT", "customFields.note")
        assert refused("lead", {"note": "a\x00b"}) == ("INVALID_ARGUMENT", "customFields.note")


def test_numbers_are_canonical_decimal_strings(de_fields: Any) -> None:
    with schema_context(DE):
        assert cleaned({"seats": "12.50"}) == {"seats": "12.5"}
        assert cleaned({"seats": 40}) == {"seats": "40"}
        assert cleaned({"seats": Decimal("1E+3")}) == {"seats": "1000"}
        assert cleaned({"ratio": "-0.0001"}) == {"ratio": "-0.0001"}
        assert cleaned({"ratio": "-0"}) == {"ratio": "0"}
        assert cleaned({"ratio": "999999999999999.9999"}) == {"ratio": "999999999999999.9999"}
        for bad in ("0.5", "5001", "abc", "NaN", "Infinity", 1.5, True, "1E+999999", [1]):
            assert refused("lead", {"seats": bad}) == ("INVALID_ARGUMENT", "customFields.seats")
        for bad in ("1000000000000000", "0.00001", "1" * 41):
            assert refused("lead", {"ratio": bad}) == ("INVALID_ARGUMENT", "customFields.ratio")


def test_money_in_a_known_or_fixed_currency(de_fields: Any) -> None:
    with schema_context(DE):
        assert cleaned({"budget": {"amount": "1200.50", "currency": "eur"}}) == {
            "budget": {"amount": "1200.5", "currency": "EUR"}
        }
        # The fixed currency is the default when none is given.
        assert cleaned({"budget": {"amount": 10}}) == {
            "budget": {"amount": "10", "currency": "EUR"}
        }
        assert cleaned({"deposit": {"amount": "0.0100", "currency": "JPY"}}) == {
            "deposit": {"amount": "0.01", "currency": "JPY"}
        }
        assert refused("lead", {"deposit": {"amount": "1", "currency": "XYZ"}}) == (
            "UNKNOWN_CURRENCY",
            "customFields.deposit",
        )
        assert refused("lead", {"deposit": {"amount": "1"}}) == (
            "UNKNOWN_CURRENCY",
            "customFields.deposit",
        )
        for bad in (
            {"amount": "1", "currency": "USD"},  # not the fixed currency
            {"amount": "-1", "currency": "EUR"},
            {"amount": "1.00001", "currency": "EUR"},
            {"amount": "1000001", "currency": "EUR"},  # above the field's maximum
            {"amount": 1.5, "currency": "EUR"},
            "12 EUR",
        ):
            assert refused("lead", {"budget": bad}) == ("INVALID_ARGUMENT", "customFields.budget")


def test_dates_are_iso_and_bounded(de_fields: Any) -> None:
    with schema_context(DE):
        assert cleaned({"visit": "2026-05-01"}) == {"visit": "2026-05-01"}
        assert cleaned({"visit": datetime.date(2026, 5, 2)}) == {"visit": "2026-05-02"}
        for bad in ("2025-12-31", "2026-02-30", "01.05.2026", "2026-5-1", "20260501", 20260501):
            assert refused("lead", {"visit": bad}) == ("INVALID_ARGUMENT", "customFields.visit")


def test_choices_by_code_and_multi_choice_ordered_without_repeats(de_fields: Any) -> None:
    with schema_context(DE):
        assert cleaned({"segment": "RETAIL"}) == {"segment": "RETAIL"}
        assert cleaned({"segment": ["GOV"]}) == {"segment": "GOV"}
        assert cleaned({"channels": ["GOV", "OEM", "GOV"]}) == {"channels": ["OEM", "GOV"]}
        for bad in ("Retail", ["OEM", "GOV"], 1, "oem"):
            assert refused("lead", {"segment": bad}) == ("INVALID_ARGUMENT", "customFields.segment")
        for bad in ("OEM", ["OEM", "NOPE"], [1], {"OEM": True}):
            assert refused("lead", {"channels": bad}) == (
                "INVALID_ARGUMENT",
                "customFields.channels",
            )


def test_unknown_and_inactive_fields_are_refused_and_empty_values_remove(de_fields: Any) -> None:
    with schema_context(DE):
        assert refused("lead", {"nope": "x"}) == ("INVALID_ARGUMENT", "customFields.nope")
        assert refused("lead", {"old": "x"}) == ("INVALID_ARGUMENT", "customFields.old")
        # Another record type's field is no field of a contact.
        assert refused("contact", {"note": "x"}) == ("INVALID_ARGUMENT", "customFields.note")
        current = {"note": "kept", "seats": "3", "old": "kept while inactive"}
        assert cleaned({"seats": None, "note": ""}, current=current) == {
            "old": "kept while inactive"
        }
        # Nothing is applied when one value is refused: the caller's dict is not touched.
        assert refused("lead", {"note": "new", "seats": "0"}, current=current)
        assert current["note"] == "kept"


def test_required_always_and_from_a_lead_status(de_fields: Any) -> None:
    from crm.tenants.customfields.models import FieldRequirement
    from crm.tenants.customfields.services import missing_required
    from crm.tenants.leads.models import Lead

    with schema_context(DE):
        make(code="po", kind="TEXT", required=True)
        make(code="budget_ok", kind="CHOICE", options=OPTIONS, required_from_stage="QUALIFIED")
        make(code="gone", kind="TEXT", required=True, active=False)
        FieldRequirement.objects.create(record_type="lead", field="email")
        FieldRequirement.objects.create(record_type="lead", field="source", from_stage="CONTACTED")
        lead = Lead(last_name="Muster")
        assert missing_required("lead", lead) == ["email", "customFields.po"]
        lead.status = "CONTACTED"
        assert missing_required("lead", lead) == ["email", "source", "customFields.po"]
        lead.status = "QUALIFIED"  # CONTACTED and QUALIFIED requirements hold
        assert missing_required("lead", lead) == [
            "email",
            "source",
            "customFields.budget_ok",  # the definitions' order: position, then code
            "customFields.po",
        ]
        # An explicit stage wins over the record's; explicit stages are the reached ones.
        assert missing_required("lead", lead, stage="NEW") == ["email", "customFields.po"]
        assert missing_required("lead", lead, stage="QUALIFIED", stages=["QUALIFIED"]) == [
            "email",
            "customFields.budget_ok",
            "customFields.po",
        ]
        lead.email, lead.source_id = "a@b.de", 7
        lead.custom = {"po": "PO-1", "budget_ok": "OEM"}
        assert missing_required("lead", lead) == []


def test_required_from_a_deal_stage_holds_in_every_later_stage(de_fields: Any) -> None:
    from crm.tenants.customfields.models import FieldRequirement
    from crm.tenants.customfields.services import missing_required
    from crm.tenants.opportunities.models import Opportunity, Pipeline, Stage

    with schema_context(DE):
        pipeline = Pipeline.objects.create(code="cf-test", name="CF test")
        for position, code in enumerate(("prospect", "offer", "closing", "done")):
            Stage.objects.create(
                pipeline=pipeline, code=code, name=code, position=position, probability=10
            )
        make(record_type="opportunity", code="tender_no", kind="TEXT", required_from_stage="offer")
        FieldRequirement.objects.create(
            record_type="opportunity", field="expected_close", from_stage="closing"
        )
        FieldRequirement.objects.create(record_type="opportunity", field="primary_contact")
        deal = Opportunity(name="Deal", pipeline=pipeline, stage_code="prospect", probability=10)
        assert missing_required("opportunity", deal) == ["primary_contact"]
        deal.stage_code = "offer"
        assert missing_required("opportunity", deal) == [
            "primary_contact",
            "customFields.tender_no",
        ]
        deal.stage_code = "done"  # later than both "offer" and "closing"
        assert missing_required("opportunity", deal) == [
            "expected_close",
            "primary_contact",
            "customFields.tender_no",
        ]
        # The caller's own order (the opportunities service passes the reached stages).
        assert missing_required(
            "opportunity", deal, stage="closing", stages=["prospect", "closing"]
        ) == ["expected_close", "primary_contact"]
        deal.primary_contact_id = 1
        deal.expected_close = datetime.date(2026, 12, 1)
        deal.custom = {"tender_no": "T-9"}
        assert missing_required("opportunity", deal) == []
