"""The definitions API: customFieldDefine/Update/Deactivate/Activate, customFieldDefinitions,
fieldRequirements/Set/Remove; typed refusals that change nothing, translations, isolation and
permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.tests.customfields.helpers import DE, DEFINE, JP, define, labels

LIST = """
query($recordType: CustomRecordType) {
  customFieldDefinitions(recordType: $recordType) {
    recordType code kind label helpText active required requiredFromStage position filterable
    labels { language text } options { code label labels { language text } }
  }
}
"""
UPDATE = """
mutation($recordType: CustomRecordType!, $code: String!, $kind: FieldKind,
         $labels: [TranslationInput!], $options: [CustomFieldOptionInput!],
         $filterable: Boolean, $requiredFromStage: String) {
  customFieldUpdate(recordType: $recordType, code: $code, kind: $kind, labels: $labels,
                    options: $options, filterable: $filterable,
                    requiredFromStage: $requiredFromStage) {
    fieldDefinition { code label options { code } filterable requiredFromStage }
    errors { field code }
  }
}
"""
ACTIVATE = """
mutation($recordType: CustomRecordType!, $code: String!) {
  customFieldDeactivate(recordType: $recordType, code: $code) {
    fieldDefinition { active } errors { code } }
}
"""
REQUIRE = """
mutation($recordType: CustomRecordType!, $field: String!, $fromStage: String) {
  fieldRequirementSet(recordType: $recordType, field: $field, fromStage: $fromStage) {
    fieldRequirement { recordType field fromStage } errors { field code }
  }
}
"""
UNREQUIRE = """
mutation($recordType: CustomRecordType!, $field: String!) {
  fieldRequirementRemove(recordType: $recordType, field: $field) { removed errors { field code } }
}
"""
REQUIREMENTS = "{ fieldRequirements { recordType field fromStage } }"

SEGMENT_OPTIONS = [
    {"code": "OEM", "labels": labels("OEM", "Erstausrüster", "OEM メーカー")},
    {"code": "RETAIL", "labels": labels("Retail", "Einzelhandel")},
]


@pytest.fixture
def de(world: Any, settings: Any) -> Any:
    settings.REGION = "eu"
    return world


def definitions_in(schema: str) -> list[tuple[str, str]]:
    from crm.tenants.customfields.models import FieldDefinition

    with schema_context(schema):
        return list(FieldDefinition.objects.values_list("record_type", "code"))


def refusal(graphql: Any, variables: dict[str, Any], **kw: Any) -> tuple[str, str]:
    reply = graphql(DEFINE, variables, bu=kw.pop("bu", "acme.de"), **kw)
    assert reply.errors == [], reply.errors
    payload = reply.data["customFieldDefine"]
    assert payload["fieldDefinition"] is None
    (error,) = payload["errors"]
    return error["code"], error["field"]


def base(code: str = "x", kind: str = "TEXT", **more: Any) -> dict[str, Any]:
    return {"recordType": "LEAD", "code": code, "kind": kind, "labels": labels("X"), **more}


def test_manager_defines_every_kind_and_reads_them_translated(de: Any, graphql: Any) -> None:
    text = define(
        graphql,
        "po_ref",
        "TEXT",
        labels=labels("PO reference", "Bestellnummer", "注文番号"),
        validation={"maxLength": 20, "pattern": "[A-Z]{2}-[0-9]+"},
        helpTexts=[{"language": "de", "text": "Vom Kunden"}],
    )
    assert text["errors"] == []
    assert text["fieldDefinition"]["validation"]["pattern"] == "[A-Z]{2}-[0-9]+"
    number = define(
        graphql,
        "seats",
        "NUMBER",
        validation={"minimum": "1", "maximum": "5000"},
        filterable=True,
    )["fieldDefinition"]
    assert (number["filterable"], number["validation"]["maximum"]) == (True, "5000")
    money = define(graphql, "budget", "MONEY", validation={"currency": "EUR", "minimum": "0"})
    assert money["fieldDefinition"]["validation"]["currency"] == "EUR"
    define(graphql, "visit", "DATE", validation={"minDate": "2026-01-01"}, filterable=True)
    define(graphql, "segment", "CHOICE", options=SEGMENT_OPTIONS, required=True)
    define(graphql, "channels", "MULTI_CHOICE", options=SEGMENT_OPTIONS)

    german = graphql(LIST, {"recordType": "LEAD"}, bu="acme.de", as_="acme.de.sales", language="de")
    assert german.errors == [], german.errors
    fields = {f["code"]: f for f in german.data["customFieldDefinitions"]}
    assert [f["code"] for f in german.data["customFieldDefinitions"]] == [
        "po_ref",
        "seats",
        "budget",
        "visit",
        "segment",
        "channels",
    ]
    assert fields["po_ref"]["label"] == "Bestellnummer"
    assert fields["po_ref"]["helpText"] == "Vom Kunden"
    assert fields["po_ref"]["labels"] == [
        {"language": "en", "text": "PO reference"},
        {"language": "de", "text": "Bestellnummer"},
        {"language": "ja", "text": "注文番号"},
    ]
    assert [o["label"] for o in fields["segment"]["options"]] == ["Erstausrüster", "Einzelhandel"]
    assert fields["segment"]["required"] is True

    japanese = graphql(
        LIST, {"recordType": "LEAD"}, bu="acme.de", as_="acme.de.sales", language="ja"
    )
    fields = {f["code"]: f for f in japanese.data["customFieldDefinitions"]}
    assert fields["po_ref"]["label"] == "注文番号"
    # No Japanese label: along the BU's fallback chain (ja -> en -> de).
    assert fields["seats"]["label"] == "Seats"
    assert [o["label"] for o in fields["segment"]["options"]] == ["OEM メーカー", "Retail"]


def test_definition_validation_errors_are_typed_and_write_nothing(de: Any, graphql: Any) -> None:
    define(graphql, "taken", "TEXT")
    as_manager = {"as_": "acme.de.manager"}
    cases = [
        (base("taken"), ("ALREADY_EXISTS", "code")),
        (base("Bad-Code"), ("INVALID_ARGUMENT", "code")),
        (base("1st"), ("INVALID_ARGUMENT", "code")),
        (base("x" * 41), ("INVALID_ARGUMENT", "code")),
        (base(labels=[]), ("INVALID_ARGUMENT", "labels")),
        (base(labels=[{"language": "xx", "text": "X"}]), ("UNKNOWN_LANGUAGE", "labels")),
        (base(kind="CHOICE"), ("INVALID_ARGUMENT", "options")),
        (base(options=SEGMENT_OPTIONS), ("INVALID_ARGUMENT", "options")),
        (
            base(kind="CHOICE", options=[SEGMENT_OPTIONS[0], SEGMENT_OPTIONS[0]]),
            ("INVALID_ARGUMENT", "options"),
        ),
        (
            base(kind="CHOICE", options=[{"code": "A B", "labels": labels("A")}]),
            ("INVALID_ARGUMENT", "options"),
        ),
        (
            base(kind="CHOICE", options=[{"code": "A", "labels": []}]),
            ("INVALID_ARGUMENT", "options"),
        ),
        (base(validation={"pattern": "([a-z"}), ("INVALID_ARGUMENT", "validation.pattern")),
        (base(validation={"pattern": "(a+)+$"}), ("INVALID_ARGUMENT", "validation.pattern")),
        (base(validation={"pattern": "([a-z]+)*@"}), ("INVALID_ARGUMENT", "validation.pattern")),
        (base(validation={"pattern": r"(a)\1"}), ("INVALID_ARGUMENT", "validation.pattern")),
        (base(validation={"pattern": "a" * 301}), ("INVALID_ARGUMENT", "validation.pattern")),
        (base(validation={"maxLength": 0}), ("INVALID_ARGUMENT", "validation.maxLength")),
        (base(validation={"maxLength": 2001}), ("INVALID_ARGUMENT", "validation.maxLength")),
        (base(validation={"minimum": "1"}), ("INVALID_ARGUMENT", "validation.minimum")),
        (
            base(kind="NUMBER", validation={"minimum": "5", "maximum": "1"}),
            ("INVALID_ARGUMENT", "validation.maximum"),
        ),
        (
            base(kind="NUMBER", validation={"minimum": "0.00001"}),
            ("INVALID_ARGUMENT", "validation.minimum"),
        ),
        (
            base(kind="DATE", validation={"minDate": "2026-02-01", "maxDate": "2026-01-01"}),
            ("INVALID_ARGUMENT", "validation.maxDate"),
        ),
        (
            base(kind="DATE", validation={"currency": "EUR"}),
            ("INVALID_ARGUMENT", "validation.currency"),
        ),
        (
            base(kind="MONEY", validation={"currency": "EUX"}),
            ("UNKNOWN_CURRENCY", "validation.currency"),
        ),
        (
            base(kind="MONEY", validation={"minimum": "-1"}),
            ("INVALID_ARGUMENT", "validation.minimum"),
        ),
        (base(filterable=True), ("INVALID_ARGUMENT", "filterable")),
        (base(requiredFromStage="WON"), ("INVALID_ARGUMENT", "requiredFromStage")),
        (
            base(required=True, requiredFromStage="QUALIFIED"),
            ("INVALID_ARGUMENT", "requiredFromStage"),
        ),
        (
            base(recordType="CONTACT", requiredFromStage="QUALIFIED"),
            ("INVALID_ARGUMENT", "requiredFromStage"),
        ),
        (
            base(recordType="OPPORTUNITY", requiredFromStage="no_such_stage"),
            ("INVALID_ARGUMENT", "requiredFromStage"),
        ),
    ]
    for variables, expected in cases:
        assert refusal(graphql, variables, **as_manager) == expected, variables
    assert definitions_in(DE) == [("lead", "taken")]


def test_required_from_a_stage_of_the_business_units_pipelines(
    de: Any, graphql: Any, settings: Any
) -> None:
    from crm.tenants.opportunities.models import Pipeline, Stage

    with schema_context(DE):
        pipeline = Pipeline.objects.create(code="cf-own", name="Own")
        Stage.objects.create(pipeline=pipeline, code="tender", name="T", position=1, probability=5)
    made = define(
        graphql, "tender_no", "TEXT", record_type="OPPORTUNITY", requiredFromStage="tender"
    )
    assert made["fieldDefinition"]["requiredFromStage"] == "tender"
    lead = define(graphql, "qual_note", "TEXT", requiredFromStage="QUALIFIED")
    assert lead["fieldDefinition"]["requiredFromStage"] == "QUALIFIED"
    # acme.jp has no "tender" stage.
    settings.REGION = "ap"
    assert refusal(
        graphql,
        base("tender_no", recordType="OPPORTUNITY", requiredFromStage="tender"),
        bu="acme.jp",
        as_="acme.admin",
    ) == ("INVALID_ARGUMENT", "requiredFromStage")


def test_update_adds_options_refuses_removing_used_ones_and_kind_changes(
    de: Any, graphql: Any
) -> None:
    from crm.tenants.leads.models import Lead

    define(graphql, "segment", "CHOICE", options=SEGMENT_OPTIONS)
    define(graphql, "channels", "MULTI_CHOICE", options=SEGMENT_OPTIONS)
    with schema_context(DE):
        Lead.objects.create(last_name="A", custom={"segment": "OEM", "channels": ["RETAIL"]})

    def update(**variables: Any) -> dict[str, Any]:
        reply = graphql(
            UPDATE, {"recordType": "LEAD", **variables}, bu="acme.de", as_="acme.de.manager"
        )
        assert reply.errors == [], reply.errors
        payload: dict[str, Any] = reply.data["customFieldUpdate"]
        return payload

    gov = {"code": "GOV", "labels": labels("Government", "Behörde")}
    added = update(
        code="segment", options=[*SEGMENT_OPTIONS, gov], labels=labels("Segment", "Segment DE")
    )
    assert added["errors"] == []
    assert [o["code"] for o in added["fieldDefinition"]["options"]] == ["OEM", "RETAIL", "GOV"]
    assert added["fieldDefinition"]["label"] == "Segment DE"  # acme.de speaks German
    # RETAIL is unused by `segment`: removable; OEM is held by a lead.
    assert update(code="segment", options=[SEGMENT_OPTIONS[0], gov])["errors"] == []
    assert update(code="segment", options=[gov])["errors"] == [
        {"field": "options", "code": "IN_USE"}
    ]
    assert update(code="channels", options=[SEGMENT_OPTIONS[0]])["errors"] == [
        {"field": "options", "code": "IN_USE"}
    ]
    assert update(code="channels", options=[SEGMENT_OPTIONS[1]])["errors"] == []
    assert update(code="segment", kind="TEXT")["errors"] == [
        {"field": "kind", "code": "INVALID_ARGUMENT"}
    ]
    assert update(code="nope", labels=labels("N"))["errors"] == [
        {"field": "code", "code": "NOT_FOUND"}
    ]
    with schema_context(DE):
        from crm.tenants.customfields.models import FieldDefinition

        segment = FieldDefinition.objects.get(code="segment")
        assert [o["code"] for o in segment.options] == ["OEM", "GOV"]
        assert segment.kind == "CHOICE"


def test_deactivated_fields_keep_values_and_are_neither_listed_for_values_nor_accepted(
    de: Any, graphql: Any
) -> None:
    from crm.platform.core.errors import CrmError
    from crm.tenants.customfields.services import clean_custom, definitions

    define(graphql, "legacy", "TEXT")
    off = graphql(
        ACTIVATE, {"recordType": "LEAD", "code": "legacy"}, bu="acme.de", as_="acme.de.manager"
    )
    assert off.data["customFieldDeactivate"] == {"fieldDefinition": {"active": False}, "errors": []}
    with schema_context(DE):
        assert "legacy" not in definitions("lead")
        with pytest.raises(CrmError) as caught:
            clean_custom("lead", {"legacy": "x"})
        assert caught.value.code.value == "INVALID_ARGUMENT"
        assert clean_custom("lead", {}, current={"legacy": "kept"}) == {"legacy": "kept"}
    on = graphql(
        ACTIVATE.replace("customFieldDeactivate", "customFieldActivate"),
        {"recordType": "LEAD", "code": "legacy"},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert on.data["customFieldActivate"] == {"fieldDefinition": {"active": True}, "errors": []}
    with schema_context(DE):
        assert clean_custom("lead", {"legacy": " y "}) == {"legacy": "y"}


def test_required_built_in_fields(de: Any, graphql: Any, settings: Any) -> None:
    def require(**variables: Any) -> dict[str, Any]:
        reply = graphql(REQUIRE, variables, bu="acme.de", as_="acme.de.manager")
        assert reply.errors == [], reply.errors
        payload: dict[str, Any] = reply.data["fieldRequirementSet"]
        return payload

    assert require(recordType="LEAD", field="country")["fieldRequirement"] == {
        "recordType": "LEAD",
        "field": "country",
        "fromStage": "",
    }
    assert require(recordType="LEAD", field="country", fromStage="CONTACTED")["errors"] == []
    assert require(recordType="CONTACT", field="buying_role")["errors"] == []
    assert require(recordType="ACCOUNT", field="classification")["errors"] == []
    for variables, expected in [
        ({"recordType": "LEAD", "field": "status"}, ("INVALID_ARGUMENT", "field")),
        ({"recordType": "LEAD", "field": "nope"}, ("INVALID_ARGUMENT", "field")),
        ({"recordType": "CONTACT", "field": "last_name"}, ("INVALID_ARGUMENT", "field")),
        ({"recordType": "OPPORTUNITY", "field": "name"}, ("INVALID_ARGUMENT", "field")),
        (
            {"recordType": "LEAD", "field": "email", "fromStage": "X"},
            ("INVALID_ARGUMENT", "fromStage"),
        ),
        (
            {"recordType": "ACCOUNT", "field": "notes", "fromStage": "NEW"},
            ("INVALID_ARGUMENT", "fromStage"),
        ),
    ]:
        errors = require(**variables)["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [expected], variables
    listed = graphql(REQUIREMENTS, bu="acme.de", as_="acme.de.sales")
    assert listed.errors == []
    assert listed.data["fieldRequirements"] == [
        {"recordType": "CONTACT", "field": "buying_role", "fromStage": ""},
        {"recordType": "LEAD", "field": "country", "fromStage": "CONTACTED"},
        {"recordType": "ACCOUNT", "field": "classification", "fromStage": ""},
    ]
    removed = graphql(
        UNREQUIRE, {"recordType": "LEAD", "field": "country"}, bu="acme.de", as_="acme.de.manager"
    )
    assert removed.data["fieldRequirementRemove"] == {"removed": True, "errors": []}
    again = graphql(
        UNREQUIRE, {"recordType": "LEAD", "field": "country"}, bu="acme.de", as_="acme.de.manager"
    )
    assert again.data["fieldRequirementRemove"]["errors"] == [
        {"field": "field", "code": "NOT_FOUND"}
    ]
    # Isolation: acme.jp requires nothing.
    settings.REGION = "ap"
    assert graphql(REQUIREMENTS, bu="acme.jp", as_="acme.jp.sales").data["fieldRequirements"] == []


def test_front_sales_reads_but_cannot_configure(de: Any, graphql: Any) -> None:
    assert refusal(graphql, base("mine"), as_="acme.de.sales") == ("PERMISSION_DENIED", None)
    define(graphql, "theirs", "TEXT")
    for query, variables, name in [
        (
            UPDATE,
            {"recordType": "LEAD", "code": "theirs", "labels": labels("T")},
            "customFieldUpdate",
        ),
        (ACTIVATE, {"recordType": "LEAD", "code": "theirs"}, "customFieldDeactivate"),
        (REQUIRE, {"recordType": "LEAD", "field": "email"}, "fieldRequirementSet"),
        (UNREQUIRE, {"recordType": "LEAD", "field": "email"}, "fieldRequirementRemove"),
    ]:
        reply = graphql(query, variables, bu="acme.de", as_="acme.de.sales")
        assert [e["code"] for e in reply.data[name]["errors"]] == ["PERMISSION_DENIED"], name
    reply = graphql(LIST, bu="acme.de", as_="acme.de.sales")
    assert [f["code"] for f in reply.data["customFieldDefinitions"]] == ["theirs"]
    assert reply.data["customFieldDefinitions"][0]["active"] is True
    nobody = graphql(LIST, bu="acme.de", as_="acme.nobody")
    assert nobody.data is None or nobody.data.get("customFieldDefinitions") is None
    assert "PERMISSION_DENIED" in nobody.codes or "NOT_A_MEMBER" in nobody.codes


def test_definitions_are_isolated_between_business_units_and_groups(
    de: Any, graphql: Any, settings: Any
) -> None:
    define(graphql, "de_only", "TEXT")
    assert (
        graphql(LIST, bu="acme.de", as_="acme.admin").data["customFieldDefinitions"][0]["code"]
        == "de_only"
    )
    settings.REGION = "ap"
    jp = graphql(LIST, bu="acme.jp", as_="acme.jp.sales")
    assert jp.errors == []
    assert jp.data["customFieldDefinitions"] == []
    # acme.jp may define the same code: it is its own field.
    made = define(graphql, "de_only", "NUMBER", bu="acme.jp", as_="acme.admin")
    assert made["errors"] == []
    assert definitions_in(JP) == [("lead", "de_only")]
    assert definitions_in("bu_rival_main") == []
    settings.REGION = "cn"
    rival = graphql(LIST, bu="rival.main", as_="rival.admin")
    assert rival.errors == []
    assert rival.data["customFieldDefinitions"] == []
    # A user of another group reaches nothing of acme.de.
    settings.REGION = "eu"
    foreign = graphql(LIST, bu="acme.de", as_="rival.admin")
    assert foreign.data is None or not foreign.data.get("customFieldDefinitions")
    assert foreign.errors


def test_a_record_type_has_at_most_200_fields(de: Any, graphql: Any) -> None:
    from crm.tenants.customfields.models import FieldDefinition

    with schema_context(DE):
        FieldDefinition.objects.bulk_create(
            FieldDefinition(record_type="contact", code=f"f{n}", kind="TEXT", label_en="F")
            for n in range(200)
        )
    assert refusal(graphql, base("one_more", recordType="CONTACT"), as_="acme.de.manager") == (
        "INVALID_ARGUMENT",
        "code",
    )
    assert define(graphql, "lead_field", "TEXT")["errors"] == []  # other types are not full
