"""Automation queries: the BU's rules (managers and readers of the BU's configuration), your own
notifications, and the BU's webhook signing secret (for those who may edit rules)."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import QuerySet
from graphene import relay

from crm.graphql.automation.types import (
    AutomationRule,
    AutomationRuleConnection,
    NotificationConnection,
    RecordTypeEnum,
    TriggerEnum,
)
from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.masterdata.queries import forward_only
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.automation import models
from crm.tenants.automation.access import AUTOMATION_RULE, NOTIFICATION
from crm.tenants.automation.tasks import webhook_secret


class AutomationRuleFilter(graphene.InputObjectType):
    record_type = graphene.Field(RecordTypeEnum)
    trigger = graphene.Field(TriggerEnum)
    active = graphene.Boolean()
    search = graphene.String(description="Part of the code or English name.")


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def rules_queryset(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Rule]:
    access.require_some(Action.VIEW, AUTOMATION_RULE)
    queryset = access.visible(AUTOMATION_RULE, models.Rule.objects.all())
    filter = filter or {}
    for argument, field in (("record_type", "record_type"), ("trigger", "trigger")):
        if filter.get(argument) is not None:
            access.require_readable(AUTOMATION_RULE, field, argument=argument)
            queryset = queryset.filter(**{field: _value(filter[argument])})
    if filter.get("active") is not None:
        access.require_readable(AUTOMATION_RULE, "active", argument="active")
        queryset = queryset.filter(active=filter["active"])
    search = (filter.get("search") or "").strip()
    if search:
        if len(search) > 100:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="search", reason="at most 100 characters"
            )
        access.require_readable(AUTOMATION_RULE, "code", argument="search")
        access.require_readable(AUTOMATION_RULE, "name", argument="search")
        queryset = queryset.filter(code__icontains=search) | queryset.filter(name__icontains=search)
    return queryset


class AutomationQueries(graphene.ObjectType):
    automation_rules = relay.ConnectionField(
        AutomationRuleConnection,
        filter=graphene.Argument(AutomationRuleFilter),
        description="The business unit's automation rules, by position.",
    )
    automation_rule = graphene.Field(AutomationRule, id=graphene.ID(required=True))
    notifications = relay.ConnectionField(
        NotificationConnection,
        unread_only=graphene.Boolean(default_value=False),
        description="Your notifications in this business unit, newest first.",
    )
    automation_webhook_secret = graphene.String(
        description="The key webhooks of this business unit are signed with (HMAC-SHA256 of the "
        "body, header X-CRM-Signature: sha256=<hex>); for those who may edit rules."
    )

    @staticmethod
    def resolve_automation_rules(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> AutomationRuleConnection:
        try:
            forward_only(last, before)
            queryset = rules_queryset(caller(info), filter)
            page = keyset_page(
                queryset,
                kind="AutomationRule",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("position"),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        info.context.__dict__["_automation_rule_page"] = [rule.pk for rule in page.records]
        connection: AutomationRuleConnection = connection_from_page(AutomationRuleConnection, page)
        return connection

    @staticmethod
    def resolve_automation_rule(_root: None, info: graphene.ResolveInfo, id: str) -> models.Rule:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, AUTOMATION_RULE)
            pk = pk_of("AutomationRule", id)
            found = access.visible(AUTOMATION_RULE, models.Rule.objects.filter(pk=pk)).first()
            if found is None:
                raise CrmError(ErrorCode.NOT_FOUND, field="id", object=AUTOMATION_RULE.name, id=id)
        except CrmError as error:
            raise graphql_error(error) from error
        return found

    @staticmethod
    def resolve_notifications(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        unread_only: bool = False,
    ) -> NotificationConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            queryset = access.visible(
                NOTIFICATION, models.Notification.objects.select_related("rule")
            )
            if unread_only:
                queryset = queryset.filter(read_at__isnull=True)
            page = keyset_page(
                queryset,
                kind="Notification",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("created_at", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        connection: NotificationConnection = connection_from_page(NotificationConnection, page)
        return connection

    @staticmethod
    def resolve_automation_webhook_secret(_root: None, info: graphene.ResolveInfo) -> str:
        try:
            access = caller(info)
            access.require(Action.EDIT, AUTOMATION_RULE)
        except CrmError as error:
            raise graphql_error(error) from error
        return webhook_secret(access.business_unit)
