"""Queries of accounts, contacts, activities and tasks: what the caller may view of this BU.

Filters and orderings on a field are refused with FIELD_FORBIDDEN where the field is hidden
from the caller in some record (they would reveal it). Lists are Relay connections with a
required, capped `first`; `account(id)` is the 360° view (see `Account`).
"""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

import graphene
from django.db.models import Model, Q, QuerySet
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.customfields.fields import CustomFieldFilter, filter_custom
from crm.graphql.masterdata.queries import forward_only
from crm.graphql.privacy.consents import expect_consents
from crm.graphql.relationships.loaders import contact_order, loaders_of, preload
from crm.graphql.relationships.types import (
    Account,
    AccountClassification,
    AccountConnection,
    Activity,
    ActivityConnection,
    ActivityKind,
    BuyingRole,
    Contact,
    ContactConnection,
    Task,
    TaskConnection,
    TaskStatus,
)
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.contacts import models
from crm.tenants.contacts.access import ACTIVITY, CONTACT, TASK
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.personaldata.models import SubjectType

MAX_SEARCH = 100
M = TypeVar("M", bound=Model)


class AccountOrder(graphene.Enum):
    LOCAL_CODE = "local_code"
    LOCAL_NAME = "local_name"
    LAST_FOLLOW_UP = "last_follow_up_at"


class AccountFilter(graphene.InputObjectType):
    search = graphene.String(description="Part of the local code or local name.")
    owner_is_me = graphene.Boolean(description="Only the accounts you own.")
    owner = graphene.ID(description="Only the accounts of this user.")
    classification = graphene.List(graphene.NonNull(AccountClassification))
    follow_up_before = graphene.DateTime(
        description="No follow-up since this time (or never followed up)."
    )
    custom_fields = graphene.List(graphene.NonNull(CustomFieldFilter))


class ContactFilter(graphene.InputObjectType):
    account = graphene.ID()
    search = graphene.String(description="Part of a name (either script) or the e-mail.")
    buying_role = graphene.List(graphene.NonNull(BuyingRole))
    consent_email = graphene.Boolean()
    owner_is_me = graphene.Boolean()
    custom_fields = graphene.List(graphene.NonNull(CustomFieldFilter))


class ActivityFilter(graphene.InputObjectType):
    account = graphene.ID()
    contact = graphene.ID()
    lead = graphene.ID()
    opportunity = graphene.ID()
    kind = graphene.List(graphene.NonNull(ActivityKind))
    owner_is_me = graphene.Boolean()


class MyTaskFilter(graphene.InputObjectType):
    status = graphene.List(graphene.NonNull(TaskStatus), description="Default: OPEN.")
    due_before = graphene.DateTime()


class TaskFilter(MyTaskFilter):
    owner = graphene.ID()
    owner_is_me = graphene.Boolean()
    account = graphene.ID()
    contact = graphene.ID()
    lead = graphene.ID()
    opportunity = graphene.ID()


def _values(items: list[Any]) -> list[str]:
    return [str(getattr(item, "value", item)) for item in items]


def _search(value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_SEARCH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="search", reason=f"at most {MAX_SEARCH} characters"
        )
    return text


def _me(access: Access) -> int:
    """The caller's user id (an API key owns nothing: none of its records are 'mine')."""
    return access.principal.user_id or 0


def _reference(queryset: QuerySet[M], filter: dict[str, Any], kinds: dict[str, str]) -> QuerySet[M]:
    for argument, kind in kinds.items():
        if filter.get(argument):
            queryset = queryset.filter(
                **{f"{argument}_id": pk_of(kind, filter[argument], field=argument)}
            )
    return queryset


def filtered_accounts(access: Access, filter: dict[str, Any] | None) -> QuerySet[LocalCustomer]:
    access.require_some(Action.VIEW, LOCAL_CUSTOMER)
    queryset = access.visible(LOCAL_CUSTOMER, LocalCustomer.objects.all())
    filter = filter or {}
    search = _search(filter.get("search"))
    if search:
        for name in ("local_code", "local_name"):
            access.require_readable(LOCAL_CUSTOMER, name, argument="search")
        queryset = queryset.filter(
            Q(local_code__icontains=search) | Q(local_name__icontains=search)
        )
    if filter.get("owner_is_me") or filter.get("owner"):
        access.require_readable(LOCAL_CUSTOMER, "sales_owner", argument="owner")
        if filter.get("owner_is_me"):
            queryset = queryset.filter(sales_owner_id=_me(access))
        if filter.get("owner"):
            queryset = queryset.filter(sales_owner_id=pk_of("User", filter["owner"], field="owner"))
    if filter.get("classification"):
        access.require_readable(LOCAL_CUSTOMER, "classification", argument="classification")
        queryset = queryset.filter(classification__in=_values(filter["classification"]))
    if filter.get("follow_up_before") is not None:
        access.require_readable(LOCAL_CUSTOMER, "last_follow_up_at", argument="followUpBefore")
        before: datetime.datetime = filter["follow_up_before"]
        queryset = queryset.filter(
            Q(last_follow_up_at__lt=before) | Q(last_follow_up_at__isnull=True)
        )
    if filter.get("custom_fields"):
        access.require_readable(LOCAL_CUSTOMER, "custom_fields", argument="customFields")
        queryset = filter_custom(queryset, "local_customer", filter["custom_fields"])
    return queryset


def filtered_contacts(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Contact]:
    access.require_some(Action.VIEW, CONTACT)
    queryset = access.visible(CONTACT, models.Contact.objects.all())
    filter = filter or {}
    if filter.get("account"):
        access.require_readable(CONTACT, "account", argument="account")
        queryset = _reference(queryset, filter, {"account": "Account"})
    search = _search(filter.get("search"))
    if search:
        names = ("first_name", "last_name", "first_name_latin", "last_name_latin", "email")
        condition = Q()
        for name in names:
            access.require_readable(CONTACT, name, argument="search")
            condition |= Q(**{f"{name}__icontains": search})
        queryset = queryset.filter(condition)
    if filter.get("buying_role"):
        access.require_readable(CONTACT, "buying_role", argument="buyingRole")
        queryset = queryset.filter(buying_role__in=_values(filter["buying_role"]))
    if filter.get("consent_email") is not None:
        access.require_readable(CONTACT, "consent_email", argument="consentEmail")
        queryset = queryset.filter(consent_email=filter["consent_email"])
    if filter.get("owner_is_me"):
        access.require_readable(CONTACT, "owner", argument="ownerIsMe")
        queryset = queryset.filter(owner_id=_me(access))
    if filter.get("custom_fields"):
        access.require_readable(CONTACT, "custom_fields", argument="customFields")
        queryset = filter_custom(queryset, "contact", filter["custom_fields"])
    return queryset


def filtered_activities(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Activity]:
    access.require_some(Action.VIEW, ACTIVITY)
    queryset = access.visible(ACTIVITY, models.Activity.objects.all())
    filter = filter or {}
    kinds = {
        "account": "Account",
        "contact": "Contact",
        "lead": "Lead",
        "opportunity": "Opportunity",
    }
    for argument in kinds:
        if filter.get(argument):
            access.require_readable(ACTIVITY, argument, argument=argument)
    queryset = _reference(queryset, filter, kinds)
    if filter.get("kind"):
        access.require_readable(ACTIVITY, "kind", argument="kind")
        queryset = queryset.filter(kind__in=_values(filter["kind"]))
    if filter.get("owner_is_me"):
        access.require_readable(ACTIVITY, "owner", argument="ownerIsMe")
        queryset = queryset.filter(owner_id=_me(access))
    return queryset


def filtered_tasks(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Task]:
    access.require_some(Action.VIEW, TASK)
    queryset = access.visible(TASK, models.Task.objects.all())
    filter = filter or {}
    statuses = _values(filter.get("status") or [models.TaskStatus.OPEN])
    access.require_readable(TASK, "status", argument="status")
    queryset = queryset.filter(status__in=statuses)
    if filter.get("due_before") is not None:
        access.require_readable(TASK, "due_at", argument="dueBefore")
        queryset = queryset.filter(due_at__lt=filter["due_before"])
    if filter.get("owner_is_me") or filter.get("owner"):
        access.require_readable(TASK, "owner", argument="owner")
        if filter.get("owner_is_me"):
            queryset = queryset.filter(owner_id=_me(access))
        if filter.get("owner"):
            queryset = queryset.filter(owner_id=pk_of("User", filter["owner"], field="owner"))
    kinds = {
        "account": "Account",
        "contact": "Contact",
        "lead": "Lead",
        "opportunity": "Opportunity",
    }
    for argument in kinds:
        if filter.get(argument):
            access.require_readable(TASK, argument, argument=argument)
    return _reference(queryset, filter, kinds)


def _one(access: Access, queryset: QuerySet[Any], object_type: Any, kind: str, id: str) -> Any:
    found = access.visible(object_type, queryset.filter(pk=pk_of(kind, id))).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object=object_type.name, id=id)
    return found


def _announce(info: graphene.ResolveInfo, records: list[Any], *, owner: str = "owner_id") -> None:
    """Tell the loaders which owners, accounts and contacts a page's records name."""
    loaders = loaders_of(info)
    loaders.users.expect(
        getattr(record, owner) for record in records if getattr(record, owner) is not None
    )
    loaders.account_by_id.expect(
        record.account_id for record in records if getattr(record, "account_id", None)
    )
    loaders.contact_by_id.expect(
        record.contact_id for record in records if getattr(record, "contact_id", None)
    )


class RelationshipQueries(graphene.ObjectType):
    account = graphene.Field(
        Account,
        id=graphene.ID(required=True),
        description="One account of this business unit with its 360° view.",
    )
    accounts = relay.ConnectionField(
        AccountConnection,
        filter=graphene.Argument(AccountFilter),
        order_by=graphene.Argument(AccountOrder, default_value="local_code"),
        description="This business unit's accounts you may view.",
    )
    contact = graphene.Field(Contact, id=graphene.ID(required=True))
    contacts = relay.ConnectionField(
        ContactConnection,
        filter=graphene.Argument(ContactFilter),
        description="Contacts you may view: by name (by id if names are hidden from you).",
    )
    activity = graphene.Field(Activity, id=graphene.ID(required=True))
    activities = relay.ConnectionField(
        ActivityConnection,
        filter=graphene.Argument(ActivityFilter),
        description="Activities you may view, latest first.",
    )
    task = graphene.Field(Task, id=graphene.ID(required=True))
    tasks = relay.ConnectionField(
        TaskConnection,
        filter=graphene.Argument(TaskFilter),
        description="Tasks you may view (open ones unless `status` says otherwise), by due time.",
    )
    my_tasks = relay.ConnectionField(
        TaskConnection,
        filter=graphene.Argument(MyTaskFilter),
        description="Your own tasks (open ones unless `status` says otherwise), by due time.",
    )

    @staticmethod
    def resolve_account(_root: None, info: graphene.ResolveInfo, id: str) -> LocalCustomer:
        try:
            access = caller(info)
            account: LocalCustomer = _one(
                access, LocalCustomer.objects.all(), LOCAL_CUSTOMER, "Account", id
            )
        except CrmError as error:
            raise graphql_error(error) from error
        preload(info, [account])
        return account

    @staticmethod
    def resolve_accounts(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
        order_by: str = "local_code",
    ) -> AccountConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            queryset = filtered_accounts(access, filter)
            field = str(getattr(order_by, "value", order_by))
            access.require_readable(LOCAL_CUSTOMER, field, argument="orderBy")
            page = keyset_page(
                queryset,
                kind="Account",
                key="id",
                first=first,
                after=after,
                ordering=Ordering(field),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        preload(info, page.records, path=("edges", "node"))
        connection: AccountConnection = connection_from_page(AccountConnection, page)
        return connection

    @staticmethod
    def resolve_contact(_root: None, info: graphene.ResolveInfo, id: str) -> models.Contact:
        try:
            found: models.Contact = _one(
                caller(info), models.Contact.objects.all(), CONTACT, "Contact", id
            )
        except CrmError as error:
            raise graphql_error(error) from error
        return found

    @staticmethod
    def resolve_contacts(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> ContactConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            queryset = filtered_contacts(access, filter)
            by_name = len(contact_order(access)) > 1
            page = keyset_page(
                queryset,
                kind="Contact",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("last_name") if by_name else None,
            )
        except CrmError as error:
            raise graphql_error(error) from error
        _announce(info, page.records)
        expect_consents(info, SubjectType.CONTACT, (contact.pk for contact in page.records))
        connection: ContactConnection = connection_from_page(ContactConnection, page)
        return connection

    @staticmethod
    def resolve_activity(_root: None, info: graphene.ResolveInfo, id: str) -> models.Activity:
        try:
            found: models.Activity = _one(
                caller(info), models.Activity.objects.all(), ACTIVITY, "Activity", id
            )
        except CrmError as error:
            raise graphql_error(error) from error
        return found

    @staticmethod
    def resolve_activities(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> ActivityConnection:
        try:
            forward_only(last, before)
            queryset = filtered_activities(caller(info), filter)
            page = keyset_page(
                queryset,
                kind="Activity",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("occurred_at", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        _announce(info, page.records)
        connection: ActivityConnection = connection_from_page(ActivityConnection, page)
        return connection

    @staticmethod
    def resolve_task(_root: None, info: graphene.ResolveInfo, id: str) -> models.Task:
        try:
            found: models.Task = _one(caller(info), models.Task.objects.all(), TASK, "Task", id)
        except CrmError as error:
            raise graphql_error(error) from error
        return found

    @staticmethod
    def resolve_tasks(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> TaskConnection:
        return _task_page(info, first, after, last, before, filter, mine=False)

    @staticmethod
    def resolve_my_tasks(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> TaskConnection:
        return _task_page(info, first, after, last, before, filter, mine=True)


def _task_page(
    info: graphene.ResolveInfo,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    filter: dict[str, Any] | None,
    *,
    mine: bool,
) -> TaskConnection:
    try:
        forward_only(last, before)
        access = caller(info)
        given = dict(filter or {})
        if mine:
            given["owner_is_me"] = True
        queryset = filtered_tasks(access, given)
        page = keyset_page(
            queryset, kind="Task", key="id", first=first, after=after, ordering=Ordering("due_at")
        )
    except CrmError as error:
        raise graphql_error(error) from error
    _announce(info, page.records)
    connection: TaskConnection = connection_from_page(TaskConnection, page)
    return connection
