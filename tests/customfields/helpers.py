"""Shared set-up of the custom field tests: accesses, definitions, API calls for acme.de."""

from __future__ import annotations

from typing import Any

from crm.platform.permissions.engine import Access

DE = "bu_acme_de"
JP = "bu_acme_jp"

DEFINE = """
mutation($recordType: CustomRecordType!, $code: String!, $kind: FieldKind!,
         $labels: [TranslationInput!]!, $options: [CustomFieldOptionInput!],
         $validation: CustomFieldValidationInput, $required: Boolean,
         $requiredFromStage: String, $filterable: Boolean, $helpTexts: [TranslationInput!]) {
  customFieldDefine(recordType: $recordType, code: $code, kind: $kind, labels: $labels,
                    options: $options, validation: $validation, required: $required,
                    requiredFromStage: $requiredFromStage, filterable: $filterable,
                    helpTexts: $helpTexts) {
    fieldDefinition { recordType code kind label active filterable required requiredFromStage
                      options { code label } validation { maxLength pattern minimum maximum
                      minDate maxDate currency } }
    errors { field code message }
  }
}
"""


def access_for(username: str, bu: str = "de") -> Access:
    from crm.platform.accounts.authentication import user_principal
    from crm.platform.accounts.models import User
    from crm.platform.permissions.policy_data import load_policy
    from crm.tenants.models import BusinessUnit

    business_unit = BusinessUnit.objects.select_related("group").get(group__code="acme", code=bu)
    user = User.objects.get(username=username)
    return Access(user_principal(user), business_unit, load_policy(business_unit.group_id))


def labels(en: str, de: str | None = None, ja: str | None = None) -> list[dict[str, str]]:
    given = [{"language": "en", "text": en}]
    if de is not None:
        given.append({"language": "de", "text": de})
    if ja is not None:
        given.append({"language": "ja", "text": ja})
    return given


def define(
    graphql: Any,
    code: str,
    kind: str,
    *,
    record_type: str = "LEAD",
    as_: str = "acme.de.manager",
    bu: str = "acme.de",
    language: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    variables = {
        "recordType": record_type,
        "code": code,
        "kind": kind,
        "labels": more.pop("labels", labels(code.title(), f"{code.title()} (de)")),
        **more,
    }
    reply = graphql(DEFINE, variables, bu=bu, as_=as_, language=language)
    assert reply.errors == [], reply.errors
    payload: dict[str, Any] = reply.data["customFieldDefine"]
    return payload


def make(record_type: str = "lead", **fields: Any) -> Any:
    """A definition written directly (in the current schema), for service-level tests."""
    from crm.tenants.customfields.models import FieldDefinition

    defaults = {"label_en": fields.get("code", "x"), "record_type": record_type}
    return FieldDefinition.objects.create(**{**defaults, **fields})
