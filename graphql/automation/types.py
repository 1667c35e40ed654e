"""GraphQL types of automation: rules (trigger, typed conditions, actions as JSON), firings,
notifications and external events.

Actions are JSON objects (`{"type": "NOTIFY", "to": {...}}`, see
`crm.tenants.automation.definitions`): their shapes differ per type, which GraphQL inputs cannot
say as a union; they are checked when the rule is saved, with errors naming the part
(`actions[1].url`). Trigger parameters and conditions are typed.
"""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from graphene import relay

from crm.graphql.core.ids import BusinessUnitScopedId, scoped_global_id
from crm.graphql.core.loaders import BatchLoader
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import access_of, permissions_field
from crm.graphql.masterdata.types import text_chain
from crm.i18n.languages import translated
from crm.tenants.automation import access as governed
from crm.tenants.automation import definitions, models
from crm.tenants.automation.actions import GRAPHQL_TYPES

MAX_FIRINGS = 100

RecordTypeEnum = graphene.Enum(
    "AutomationRecordType",
    [(choice.name, choice.value) for choice in models.RecordType],
    description="The kinds of records rules act on (ACCOUNT: the BU's accounts).",
)
TriggerEnum = graphene.Enum(
    "AutomationTrigger", [(choice.value, choice.value) for choice in models.Trigger]
)
ExternalEventKind = graphene.Enum(
    "ExternalEventKind", [(kind, kind) for kind in definitions.EXTERNAL_KINDS]
)
ConditionOp = graphene.Enum(
    "ConditionOp",
    [
        (op.upper(), op)
        for op in ("eq", "in", "neq", "contains", "empty", "not_empty", "gte", "lte")
    ],
)
DeliveryStatusEnum = graphene.Enum(
    "WebhookDeliveryStatus", [(choice.value, choice.value) for choice in models.DeliveryStatus]
)


class TriggerParameters(graphene.ObjectType):
    field = graphene.String(description="FIELD_CHANGED: the field.")
    from_stage = graphene.String(name="from", description="STAGE_CHANGED: from this stage.")
    to_stage = graphene.String(name="to", description="STAGE_CHANGED: to this stage.")
    since = graphene.String(description="TIME_ELAPSED: the timestamp counted from.")
    fallback = graphene.String(description="TIME_ELAPSED: counted from this when `since` is empty.")
    hours = graphene.Float(description="TIME_ELAPSED: how many hours.")
    events = graphene.List(graphene.NonNull(ExternalEventKind), description="EXTERNAL: kinds.")

    @staticmethod
    def resolve_from_stage(root: dict[str, Any], _info: graphene.ResolveInfo) -> Any:
        return root.get("from")

    @staticmethod
    def resolve_to_stage(root: dict[str, Any], _info: graphene.ResolveInfo) -> Any:
        return root.get("to")


class TriggerParametersInput(graphene.InputObjectType):
    field = graphene.String()
    from_stage = graphene.String(name="from")
    to_stage = graphene.String(name="to")
    since = graphene.String()
    fallback = graphene.String()
    hours = graphene.Float()
    events = graphene.List(graphene.NonNull(ExternalEventKind))


def parameters_of(value: dict[str, Any] | None) -> dict[str, Any]:
    names = {"from_stage": "from", "to_stage": "to"}
    result: dict[str, Any] = {}
    for key, item in (value or {}).items():
        if item is None:
            continue
        if key == "events":
            item = [str(getattr(event, "value", event)) for event in item]
        result[names.get(key, key)] = item
    return result


class Condition(graphene.ObjectType):
    field = graphene.String(required=True, description="A field, or custom.<code>.")
    op = graphene.Field(ConditionOp, required=True)
    value = graphene.JSONString(description="A text, number, yes/no, or a list for IN.")


class ConditionInput(graphene.InputObjectType):
    field = graphene.String(required=True)
    op = graphene.Field(ConditionOp, required=True)
    value = graphene.JSONString()


def conditions_of(value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    result = []
    for condition in value:
        entry = {
            "field": condition["field"],
            "op": str(getattr(condition["op"], "value", condition["op"])),
        }
        if condition.get("value") is not None:
            entry["value"] = condition["value"]
        result.append(entry)
    return result


class RecordRef(graphene.ObjectType):
    type = graphene.Field(RecordTypeEnum, required=True)
    id = graphene.ID(required=True, description="The record's global id.")


def record_ref(record_type: str, record_id: int | None) -> dict[str, Any] | None:
    if not record_type or record_id is None:
        return None
    return {
        "type": record_type,
        "id": scoped_global_id(GRAPHQL_TYPES[models.RecordType(record_type)], record_id),
    }


class Firing(graphene.ObjectType):
    """A rule fired for a record and occurrence, and what its actions did."""

    record = graphene.Field(RecordRef, required=True)
    occurrence = graphene.String(required=True)
    fired_at = graphene.DateTime(required=True)
    outcome = graphene.JSONString(
        required=True, description="Per action: ids made (tasks, notifications...) or the error."
    )

    @staticmethod
    def resolve_record(root: models.Firing, _info: graphene.ResolveInfo) -> Any:
        return record_ref(root.record_type, root.record_id)


def _firings_loader(info: graphene.ResolveInfo, last: int) -> BatchLoader[int, list[models.Firing]]:
    loaders: dict[int, BatchLoader[int, list[models.Firing]]] = info.context.__dict__.setdefault(
        "_automation_firings", {}
    )
    if last not in loaders:

        def batch(ids: list[int]) -> dict[int, list[models.Firing]]:
            rows = (
                models.Firing.objects.filter(rule_id__in=ids)
                .annotate(
                    position=Window(
                        RowNumber(),
                        partition_by=[F("rule_id")],
                        order_by=[F("fired_at").desc(), F("id").desc()],
                    )
                )
                .filter(position__lte=last)
                .order_by("rule_id", "position")
            )
            found: dict[int, list[models.Firing]] = {pk: [] for pk in ids}
            for firing in rows:
                found[firing.rule_id].append(firing)
            return found

        loaders[last] = BatchLoader(batch)
    return loaders[last]


class AutomationRule(BusinessUnitScopedId, graphene.ObjectType):
    """A rule of the business unit: when (trigger, parameters), if (conditions), then actions."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String()
    name = graphene.String(description="In the request's language, with fallback.")
    description = graphene.String()
    active = graphene.Boolean()
    record_type = graphene.Field(RecordTypeEnum)
    trigger = graphene.Field(TriggerEnum)
    parameters = graphene.Field(TriggerParameters)
    conditions = graphene.List(graphene.NonNull(Condition))
    actions = graphene.List(graphene.NonNull(graphene.JSONString))
    position = graphene.Int()
    default_code = graphene.String(description="Set for the rules shipped as defaults.")
    firings = graphene.List(
        graphene.NonNull(Firing),
        last=graphene.Int(default_value=20, description=f"At most {MAX_FIRINGS}."),
        description="The latest firings, newest first.",
    )
    permissions = permissions_field(governed.AUTOMATION_RULE)

    @classmethod
    def is_type_of(cls, root: Any, _info: graphene.ResolveInfo) -> bool:
        return isinstance(root, models.Rule)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Rule | None:
        queryset = (
            models.Rule.objects.filter(pk=int(id)) if id.isdigit() else models.Rule.objects.none()
        )
        return access_of(info).visible(governed.AUTOMATION_RULE, queryset).first()

    @staticmethod
    def resolve_name(root: models.Rule, info: graphene.ResolveInfo) -> str:
        return translated(root, "name", text_chain(info))

    @staticmethod
    def resolve_conditions(root: models.Rule, _info: graphene.ResolveInfo) -> list[Any]:
        return list(root.conditions or [])

    @staticmethod
    def resolve_firings(root: models.Rule, info: graphene.ResolveInfo, last: int = 20) -> Any:
        loader = _firings_loader(info, max(0, min(last, MAX_FIRINGS)))
        # The rules of the page being resolved, in one batch (announced by automationRules).
        loader.expect(info.context.__dict__.get("_automation_rule_page", ()))
        return loader.load(root.pk)


class AutomationRuleConnection(CountedConnection):
    class Meta:
        node = AutomationRule


class Notification(BusinessUnitScopedId, graphene.ObjectType):
    """A message to you from a rule (also e-mailed)."""

    class Meta:
        interfaces = (relay.Node,)

    subject = graphene.String()
    body = graphene.String()
    record = graphene.Field(RecordRef, description="The record it is about.")
    read_at = graphene.DateTime()
    created_at = graphene.DateTime()
    rule_code = graphene.String(description="The rule that sent it.")

    @classmethod
    def is_type_of(cls, root: Any, _info: graphene.ResolveInfo) -> bool:
        return isinstance(root, models.Notification)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Notification | None:
        queryset = (
            models.Notification.objects.filter(pk=int(id))
            if id.isdigit()
            else models.Notification.objects.none()
        )
        return access_of(info).visible(governed.NOTIFICATION, queryset).first()

    @staticmethod
    def resolve_record(root: models.Notification, _info: graphene.ResolveInfo) -> Any:
        return record_ref(root.record_type, root.record_id)

    @staticmethod
    def resolve_rule_code(root: models.Notification, _info: graphene.ResolveInfo) -> Any:
        return root.rule.code if root.rule_id and root.rule else None


class NotificationConnection(CountedConnection):
    class Meta:
        node = Notification


class ExternalEvent(BusinessUnitScopedId, graphene.ObjectType):
    class Meta:
        interfaces = (relay.Node,)

    kind = graphene.Field(ExternalEventKind)
    record_type = graphene.Field(RecordTypeEnum)
    record_id = graphene.ID(description="The record's global id.")
    external_id = graphene.String()
    details = graphene.JSONString()
    occurred_at = graphene.DateTime()

    @classmethod
    def is_type_of(cls, root: Any, _info: graphene.ResolveInfo) -> bool:
        return isinstance(root, models.ExternalEvent)

    @staticmethod
    def resolve_record_id(root: models.ExternalEvent, _info: graphene.ResolveInfo) -> Any:
        ref = record_ref(root.record_type, root.record_id)
        return ref["id"] if ref else None
