"""Arguments shared by automationRuleCreate and automationRuleUpdate, and turning them into the
service's fields."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.automation.types import (
    ConditionInput,
    RecordTypeEnum,
    TriggerEnum,
    TriggerParametersInput,
    conditions_of,
    parameters_of,
)
from crm.graphql.core.types import TranslationInput, translations


def rule_arguments(*, create: bool) -> dict[str, Any]:
    return {
        "code": graphene.String(required=create, description="Unique in the BU, e.g. lead-24h."),
        "names": graphene.List(
            graphene.NonNull(TranslationInput),
            required=create,
            description="The rule's name in each language you give.",
        ),
        "description": graphene.String(),
        "record_type": graphene.Argument(RecordTypeEnum, required=create),
        "trigger": graphene.Argument(TriggerEnum, required=create),
        "parameters": graphene.Argument(TriggerParametersInput),
        "conditions": graphene.List(graphene.NonNull(ConditionInput)),
        "actions": graphene.List(
            graphene.NonNull(graphene.JSONString),
            required=create,
            description='Each a JSON object with a "type": CREATE_TASK, NOTIFY, SET_FIELD, '
            "ASSIGN, WEBHOOK, LOG_ACTIVITY or CREATE_PAYMENT_PLAN (see the schema docs).",
        ),
        "active": graphene.Boolean(),
        "position": graphene.Int(),
    }


def rule_fields(arguments: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("code", "description", "active", "position", "actions"):
        if arguments.get(name) is not None:
            fields[name] = arguments[name]
    if arguments.get("names") is not None:
        fields["names"] = translations(arguments["names"])
    for name in ("record_type", "trigger"):
        if arguments.get(name) is not None:
            fields[name] = str(getattr(arguments[name], "value", arguments[name]))
    if "parameters" in arguments:
        fields["parameters"] = parameters_of(arguments["parameters"])
    if arguments.get("conditions") is not None:
        fields["conditions"] = conditions_of(arguments["conditions"])
    return fields
