"""Filtering records by custom fields (equality, multi-choice, range), the range indexes, the
policy on `custom_fields` (reading through the FieldPolicyMiddleware, filtering), isolation."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import graphene
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from crm.platform.core.errors import CrmError
from crm.tests.customfields.helpers import DE, JP, access_for, make

OPTIONS = [
    {"code": "OEM", "labels": {"en": "OEM", "de": "Erstausrüster", "ja": "OEM 企業"}},
    {"code": "RETAIL", "labels": {"en": "Retail", "de": "Einzelhandel"}},
    {"code": "GOV", "labels": {"en": "Government"}},
]
PEOPLE = {
    "anna": {"segment": "OEM", "channels": ["OEM", "GOV"], "seats": "12.5", "visit": "2026-03-01"},
    "bert": {"segment": "RETAIL", "channels": ["GOV"], "seats": "100", "visit": "2026-05-15"},
    "cora": {"segment": "OEM", "channels": ["RETAIL", "OEM"], "seats": "7", "note": "VIP"},
    "dirk": {"ratio": "3"},
}


@pytest.fixture
def leads(world: Any) -> Any:
    from crm.tenants.customfields.services import clean_custom
    from crm.tenants.leads.models import Lead

    with schema_context(DE):
        make(code="segment", kind="CHOICE", options=OPTIONS)
        make(code="channels", kind="MULTI_CHOICE", options=OPTIONS)
        make(code="seats", kind="NUMBER", filterable=True)
        make(code="visit", kind="DATE", filterable=True)
        make(code="note", kind="TEXT")
        make(code="ratio", kind="NUMBER")
        make(code="budget", kind="MONEY")
        for name, values in PEOPLE.items():
            Lead.objects.create(last_name=name, custom=clean_custom("lead", values))
        yield


def names(filters: list[dict[str, Any]], **kw: Any) -> list[str]:
    from crm.graphql.customfields.fields import filter_custom
    from crm.tenants.leads.models import Lead

    found = filter_custom(Lead.objects.all(), "lead", filters, **kw)
    return sorted(found.values_list("last_name", flat=True))


def refused(filters: list[dict[str, Any]]) -> tuple[str, str]:
    with pytest.raises(CrmError) as caught:
        names(filters)
    return caught.value.code.value, str(caught.value.field)


def test_equality_multi_choice_and_range_filters(leads: Any) -> None:
    with schema_context(DE):
        assert names([]) == ["anna", "bert", "cora", "dirk"]
        assert names([{"code": "segment", "equals": "OEM"}]) == ["anna", "cora"]
        assert names([{"code": "note", "equals": " VIP "}]) == ["cora"]
        assert names([{"code": "seats", "equals": "12.50"}]) == ["anna"]
        assert names([{"code": "visit", "equals": "2026-05-15"}]) == ["bert"]
        assert names([{"code": "channels", "has_all": ["GOV"]}]) == ["anna", "bert"]
        assert names([{"code": "channels", "has_all": ["GOV", "OEM"]}]) == ["anna"]
        assert names([{"code": "seats", "min": "8"}]) == ["anna", "bert"]
        assert names([{"code": "seats", "max": "12.5"}]) == ["anna", "cora"]
        assert names([{"code": "seats", "min": "7", "max": "99.9999"}]) == ["anna", "cora"]
        assert names([{"code": "visit", "min": "2026-04-01"}]) == ["bert"]
        assert names([{"code": "visit", "max": "2026-04-01"}]) == ["anna"]
        # All filters hold together.
        assert names([{"code": "segment", "equals": "OEM"}, {"code": "seats", "min": "10"}]) == [
            "anna"
        ]


def test_bad_filters_are_typed_refusals(leads: Any) -> None:
    with schema_context(DE):
        cases = [
            ({"code": "nope", "equals": "x"}, "customFields.nope"),
            ({"code": "segment"}, "customFields.segment"),
            ({"code": "segment", "equals": "oem"}, "customFields.segment"),
            ({"code": "segment", "has_all": ["OEM"]}, "customFields.segment"),
            ({"code": "channels", "equals": "OEM"}, "customFields.channels"),
            ({"code": "channels", "has_all": ["NOPE"]}, "customFields.channels"),
            ({"code": "budget", "equals": "10"}, "customFields.budget"),
            ({"code": "ratio", "min": "1"}, "customFields.ratio"),  # not filterable
            ({"code": "note", "min": "a"}, "customFields.note"),
            ({"code": "seats", "min": "many"}, "customFields.seats"),
            ({"code": "seats", "equals": "1.5e999999"}, "customFields.seats"),
            ({"code": "visit", "max": "15.05.2026"}, "customFields.visit"),
        ]
        for entry, field in cases:
            assert refused([entry]) == ("INVALID_ARGUMENT", field), entry
        assert refused([{"code": "note", "equals": "x"}] * 6) == (
            "INVALID_ARGUMENT",
            "customFields",
        )


def _plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_range_filters_use_the_expression_index_built_for_filterable_fields(leads: Any) -> None:
    from crm.graphql.customfields.fields import filter_custom
    from crm.tenants.customfields.indexes import existing, sync_all_indexes, sync_index
    from crm.tenants.customfields.models import FieldDefinition
    from crm.tenants.leads.models import Lead

    with schema_context(DE):
        assert sync_index("lead", "seats") is True
        assert sync_index("lead", "visit") is True
        assert sync_index("lead", "ratio") is False  # not filterable: no index
        assert existing("lead") == {"cf_lead_seats": True, "cf_lead_visit": True}
        Lead.objects.bulk_create(
            Lead(
                last_name=f"bulk {number}",
                custom={"seats": str(number), "visit": f"2025-{number % 12 + 1:02d}-01"},
            )
            for number in range(5000)
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE leads_lead")
        numbers = filter_custom(
            Lead.objects.all(), "lead", [{"code": "seats", "min": "10", "max": "20"}]
        )
        assert "cf_lead_seats" in _plan(numbers)
        assert numbers.count() == 12  # 10..20 of the bulk rows, and anna (12.5)
        days = filter_custom(Lead.objects.all(), "lead", [{"code": "visit", "min": "2026-03-01"}])
        assert "cf_lead_visit" in _plan(days)
        assert sorted(days.values_list("last_name", flat=True)) == ["anna", "bert"]
        # Equality and containment use the GIN index.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        same = filter_custom(Lead.objects.all(), "lead", [{"code": "segment", "equals": "GOV"}])
        assert "lead_custom" in _plan(same)

        # Unmarked, deactivated or deleted: the index goes.
        FieldDefinition.objects.filter(code="seats").update(filterable=False)
        FieldDefinition.objects.filter(code="visit").update(active=False)
        assert sync_index("lead", "seats") is False
        assert sync_index("lead", "visit") is False
        assert existing("lead") == {}
        FieldDefinition.objects.filter(code="visit").update(active=True)
        assert sync_all_indexes() == ["cf_lead_visit"]
        FieldDefinition.objects.filter(code="visit").delete()
        assert sync_all_indexes() == []
        assert existing("lead") == {}


def test_saving_a_filterable_field_schedules_the_index_on_commit(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from unittest import mock

    from crm.tenants.customfields import configuration

    manager = access_for("acme.de.manager")
    with (
        schema_context(DE),
        mock.patch("crm.tenants.customfields.tasks.sync_index_task.delay") as delay,
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            configuration.define(
                access=manager,
                record_type="contact",
                code="headcount",
                kind="NUMBER",
                labels={"en": "Headcount"},
                filterable=True,
            )
            configuration.define(
                access=manager, record_type="contact", code="plain", kind="TEXT", labels={"en": "P"}
            )
        assert len(callbacks) == 1  # only the filterable one needs an index
        delay.assert_called_once_with("contact", "headcount")
        with django_capture_on_commit_callbacks(execute=True):
            configuration.set_active(
                access=manager, record_type="contact", code="headcount", active=False
            )
        assert delay.call_count == 2  # and dropping it


def test_a_field_of_acme_de_does_not_exist_in_acme_jp(leads: Any) -> None:
    from crm.tenants.customfields.indexes import existing, sync_index
    from crm.tenants.customfields.services import clean_custom, definitions

    with schema_context(DE):
        sync_index("lead", "seats")
    with schema_context(JP):
        assert definitions("lead") == {}
        assert refused([{"code": "segment", "equals": "OEM"}]) == (
            "INVALID_ARGUMENT",
            "customFields.segment",
        )
        with pytest.raises(CrmError) as caught:
            clean_custom("lead", {"seats": "1"})
        assert (caught.value.code.value, caught.value.field) == (
            "INVALID_ARGUMENT",
            "customFields.seats",
        )
        assert "no such custom field" in caught.value.message
        assert existing("lead") == {}
        assert names([]) == []  # and none of acme.de's leads


def _hide_contact_custom_fields_from_managers() -> None:
    from crm.platform.permissions.policy import RuleChange, policy_update

    policy_update(
        access=access_for("acme.admin", bu="hq"),
        changes=[
            RuleChange(
                object_type="contact",
                role="bu_manager",
                stage="",
                scope="bu",
                actions=("view", "create", "edit", "delete", "assign", "export"),
                default_field_mode="write",
                field_modes={"custom_fields": "hidden"},
            )
        ],
        note="custom fields are confidential",
    )


class _Contact(graphene.ObjectType):
    class Meta:
        name = "Contact"  # the policy's GraphQL type: its governed fields are checked

    last_name = graphene.String()


def _contact_schema() -> graphene.Schema:
    from crm.graphql.customfields.fields import custom_fields_field
    from crm.tenants.contacts.models import Contact

    class ContactType(_Contact):
        class Meta:
            name = "Contact"

        custom_fields = custom_fields_field("contact")

    class Query(graphene.ObjectType):
        contacts = graphene.List(ContactType)

        @staticmethod
        def resolve_contacts(_root: None, _info: Any) -> list[Any]:
            return list(Contact.objects.order_by("last_name"))

    return graphene.Schema(query=Query)


def _read(username: str, language: str = "de") -> Any:
    from crm.graphql.core.permissions import FieldPolicyMiddleware

    access = access_for(username)
    context = SimpleNamespace(access=access, tenant=access.business_unit, LANGUAGE_CODE=language)
    return _contact_schema().execute(
        "{ contacts { lastName customFields { code label kind choices choiceLabels number "
        "money { amount currency } } } }",
        context_value=context,
        middleware=[FieldPolicyMiddleware()],
    )


def test_custom_fields_are_governed_when_read_and_when_filtered(world: Any) -> None:
    from crm.graphql.customfields.fields import filter_custom
    from crm.tenants.contacts.models import Contact
    from crm.tenants.customfields.services import clean_custom

    with schema_context(DE):
        make(
            record_type="contact",
            code="segment",
            kind="CHOICE",
            options=OPTIONS,
            label_en="Segment",
            label_de="Segment (de)",
            position=1,
        )
        make(record_type="contact", code="deposit", kind="MONEY", label_en="Deposit", position=2)
        Contact.objects.create(
            last_name="Klein",
            custom=clean_custom(
                "contact",
                {"segment": "OEM", "deposit": {"amount": "12.50", "currency": "EUR"}},
            ),
        )
        everyone = filter_custom(
            Contact.objects.all(),
            "contact",
            [{"code": "segment", "equals": "OEM"}],
            access=access_for("acme.de.manager"),
        )
        assert [c.last_name for c in everyone] == ["Klein"]

        result = _read("acme.de.manager")
        assert result.errors is None, result.errors
        assert result.data["contacts"] == [
            {
                "lastName": "Klein",
                "customFields": [
                    {
                        "code": "segment",
                        "label": "Segment (de)",
                        "kind": "CHOICE",
                        "choices": ["OEM"],
                        "choiceLabels": ["Erstausrüster"],
                        "number": None,
                        "money": None,
                    },
                    {
                        "code": "deposit",
                        "label": "Deposit",
                        "kind": "MONEY",
                        "choices": None,
                        "choiceLabels": None,
                        "number": None,
                        "money": {"amount": "12.5", "currency": "EUR"},
                    },
                ],
            }
        ]
        japanese = _read("acme.de.manager", language="ja")
        assert japanese.data["contacts"][0]["customFields"][0]["choiceLabels"] == ["OEM 企業"]

        _hide_contact_custom_fields_from_managers()
        hidden = _read("acme.de.manager")
        assert hidden.data["contacts"] == [{"lastName": "Klein", "customFields": None}]
        (error,) = hidden.errors
        assert error.extensions["code"] == "FIELD_FORBIDDEN"
        assert error.path == ["contacts", 0, "customFields"]
        with pytest.raises(CrmError) as caught:
            filter_custom(
                Contact.objects.all(),
                "contact",
                [{"code": "segment", "equals": "OEM"}],
                access=access_for("acme.de.manager"),
            )
        assert (caught.value.code.value, caught.value.field) == ("FIELD_FORBIDDEN", "customFields")
        # A salesperson's rules still show them.
        assert _read("acme.de.sales").data["contacts"][0]["customFields"][0]["code"] == "segment"
        assert Decimal("12.5") == Decimal(
            _read("acme.de.sales").data["contacts"][0]["customFields"][1]["money"]["amount"]
        )


def test_a_lost_broker_does_not_fail_the_saved_definition(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from unittest import mock

    from kombu.exceptions import OperationalError

    from crm.tenants.customfields import configuration
    from crm.tenants.customfields.models import FieldDefinition

    with (
        schema_context(DE),
        mock.patch(
            "crm.tenants.customfields.tasks.sync_index_task.delay",
            side_effect=OperationalError("broker down"),
        ) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        configuration.define(
            access=access_for("acme.de.manager"),
            record_type="lead",
            code="offline",
            kind="DATE",
            labels={"en": "Offline"},
            filterable=True,
        )
    assert delay.called
    with schema_context(DE):
        assert FieldDefinition.objects.filter(code="offline", filterable=True).exists()
