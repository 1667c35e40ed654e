"""GraphQL types of the BU's relationships: accounts (with the 360° view), contacts, activities,
tasks, and the summary of an account's deals.

The nested lists of an account are capped lists, not connections: `first` records (default
10, at most 50) of each; the top-level connections (`contacts`, `activities`, `tasks` with an
`account` filter) page through all of them.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import BusinessUnitScopedId, scoped_global_id
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import access_of, permissions_field
from crm.graphql.customfields.fields import custom_fields_field
from crm.graphql.privacy.consents import consents_field
from crm.graphql.relationships.loaders import loaders_of, nested_first
from crm.platform.core.errors import CrmError
from crm.platform.permissions.vocabulary import Action
from crm.tenants.contacts import models
from crm.tenants.contacts.access import ACTIVITY, CONTACT, TASK
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import AccountClass, LocalCustomer
from crm.tenants.personaldata.models import SubjectType

AccountClassification = graphene.Enum.from_enum(
    AccountClass,
    name="AccountClassification",
    description="The BU's own ABC classification of its accounts.",
)
BuyingRole = graphene.Enum.from_enum(models.BuyingRole, description="Role in the buying centre.")
ActivityKind = graphene.Enum.from_enum(models.ActivityKind)
LoggableActivityKind = graphene.Enum(
    "LoggableActivityKind",
    [(kind, kind) for kind in models.ActivityKind.values if kind != "ENGAGEMENT"],
    description="What people log (ENGAGEMENT is logged by automation only).",
)
TaskStatus = graphene.Enum.from_enum(models.TaskStatus)


def _user_type() -> Any:
    from crm.graphql.accounts.types import User

    return User


def _customer_type() -> Any:
    from crm.graphql.customers.types import Customer

    return Customer


def _opportunity_type() -> Any:
    from crm.graphql.opportunities.types import Opportunity

    return Opportunity


def _user(info: graphene.ResolveInfo, user_id: int | None) -> Any:
    return loaders_of(info).users.load(user_id) if user_id is not None else None


def _nested(info: graphene.ResolveInfo, name: str, first: int | None, root: LocalCustomer) -> Any:
    try:
        size = nested_first(first)
    except CrmError as error:
        raise graphql_error(error) from error
    return loaders_of(info).list_for(name, size, root)


def _nested_argument() -> graphene.Int:
    return graphene.Int(description="How many (default 10, at most 50).")


class Account(BusinessUnitScopedId, graphene.ObjectType):
    """This business unit's account: its own view of a golden customer (local code, owner,
    classification, notes) and the 360° view: the customer's master data, the contacts,
    activities, open and closed deals and open tasks, each a capped list (`first`: default 10,
    at most 50; page through all with the top-level connections)."""

    class Meta:
        interfaces = (relay.Node,)

    local_code = graphene.String()
    local_name = graphene.String()
    payment_terms = graphene.String()
    former_codes = graphene.List(
        graphene.NonNull(graphene.String), description="Local codes of records merged into it."
    )
    classification = graphene.Field(AccountClassification)
    notes = graphene.String()
    sales_owner = graphene.Field(_user_type, description="The account's owner.")
    last_follow_up_at = graphene.DateTime(
        description="The last call, visit, e-mail or meeting logged with the customer."
    )
    customer = graphene.Field(
        _customer_type, description="The golden customer: the group's master data."
    )
    contacts = graphene.List(
        graphene.NonNull(lambda: Contact),
        first=_nested_argument(),
        description="Its contacts you may view, by name.",
    )
    activities = graphene.List(
        graphene.NonNull(lambda: Activity),
        first=_nested_argument(),
        description="Its activities you may view, latest first.",
    )
    open_opportunities = graphene.List(
        graphene.NonNull(_opportunity_type),
        first=_nested_argument(),
        description="Its open deals you may view, by expected close.",
    )
    closed_opportunities = graphene.List(
        graphene.NonNull(_opportunity_type),
        first=_nested_argument(),
        description="Its won and lost deals you may view, latest closed first.",
    )
    tasks = graphene.List(
        graphene.NonNull(lambda: Task),
        first=_nested_argument(),
        description="Its open tasks you may view, by due time.",
    )
    custom_fields = custom_fields_field("local_customer")
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    permissions = permissions_field(LOCAL_CUSTOMER)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> LocalCustomer | None:
        queryset = LocalCustomer.objects.filter(pk=id)
        return access_of(info).visible(LOCAL_CUSTOMER, queryset).first()

    @staticmethod
    def resolve_classification(root: LocalCustomer, _info: graphene.ResolveInfo) -> object:
        return AccountClass(root.classification) if root.classification else None

    @staticmethod
    def resolve_sales_owner(root: LocalCustomer, info: graphene.ResolveInfo) -> object:
        return _user(info, root.sales_owner_id)

    @staticmethod
    def resolve_customer(root: LocalCustomer, info: graphene.ResolveInfo) -> object:
        return info.context.loaders.customers.load(root.customer_id)

    @staticmethod
    def resolve_contacts(
        root: LocalCustomer, info: graphene.ResolveInfo, first: int | None = None
    ) -> object:
        return _nested(info, "contacts", first, root)

    @staticmethod
    def resolve_activities(
        root: LocalCustomer, info: graphene.ResolveInfo, first: int | None = None
    ) -> object:
        return _nested(info, "activities", first, root)

    @staticmethod
    def resolve_open_opportunities(
        root: LocalCustomer, info: graphene.ResolveInfo, first: int | None = None
    ) -> object:
        return _nested(info, "openOpportunities", first, root)

    @staticmethod
    def resolve_closed_opportunities(
        root: LocalCustomer, info: graphene.ResolveInfo, first: int | None = None
    ) -> object:
        return _nested(info, "closedOpportunities", first, root)

    @staticmethod
    def resolve_tasks(
        root: LocalCustomer, info: graphene.ResolveInfo, first: int | None = None
    ) -> object:
        return _nested(info, "tasks", first, root)


class Contact(BusinessUnitScopedId, graphene.ObjectType):
    """A person at an account. Names, e-mail and phones are personal data: reading them is
    audited, and they are hidden from who may not read them."""

    class Meta:
        interfaces = (relay.Node,)

    first_name = graphene.String(description="In the person's own script.")
    last_name = graphene.String(description="In the person's own script.")
    first_name_latin = graphene.String(description="Latin transcription.")
    last_name_latin = graphene.String(description="Latin transcription.")
    job_title = graphene.String()
    buying_role = graphene.Field(BuyingRole)
    email = graphene.String()
    phone = graphene.String()
    mobile = graphene.String()
    language = graphene.String(description="Preferred language; empty: unknown.")
    consent_email = graphene.Boolean(description="Agreed to be contacted by e-mail.")
    consent_phone = graphene.Boolean(description="Agreed to be contacted by phone.")
    consents = consents_field(SubjectType.CONTACT)
    account = graphene.Field(Account)
    owner = graphene.Field(_user_type)
    custom_fields = custom_fields_field("contact")
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    permissions = permissions_field(CONTACT)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Contact | None:
        queryset = models.Contact.objects.filter(pk=id)
        return access_of(info).visible(CONTACT, queryset).first()

    @staticmethod
    def resolve_buying_role(root: models.Contact, _info: graphene.ResolveInfo) -> object:
        return models.BuyingRole(root.buying_role) if root.buying_role else None

    @staticmethod
    def resolve_account(root: models.Contact, info: graphene.ResolveInfo) -> object:
        if root.account_id is None:
            return None
        return loaders_of(info).account_by_id.load(root.account_id)

    @staticmethod
    def resolve_owner(root: models.Contact, info: graphene.ResolveInfo) -> object:
        return _user(info, root.owner_id)


def _contact(root: models.Activity | models.Task, info: graphene.ResolveInfo) -> object:
    """The contact of an activity or a task, if the caller may view it: read with the record
    in the account view (checked in memory), else through the loader."""
    if root.contact_id is None:
        return None
    if type(root).contact.is_cached(root):
        contact = root.contact
        return contact if access_of(info).can(Action.VIEW, contact) else None
    return loaders_of(info).contact_by_id.load(root.contact_id)


def _global(kind: str, pk: int | None) -> str | None:
    return scoped_global_id(kind, pk) if pk is not None else None


class LinkedRecords:
    """Resolvers of what an activity or a task is about: its owner, account, contact, lead and
    deal (the same columns on both models)."""

    @staticmethod
    def resolve_owner(root: Any, info: graphene.ResolveInfo) -> object:
        return _user(info, root.owner_id)

    @staticmethod
    def resolve_account(root: Any, info: graphene.ResolveInfo) -> object:
        if root.account_id is None:
            return None
        return loaders_of(info).account_by_id.load(root.account_id)

    @staticmethod
    def resolve_contact(root: Any, info: graphene.ResolveInfo) -> object:
        return _contact(root, info)

    @staticmethod
    def resolve_lead(root: Any, _info: graphene.ResolveInfo) -> str | None:
        return _global("Lead", root.lead_id)

    @staticmethod
    def resolve_opportunity(root: Any, _info: graphene.ResolveInfo) -> str | None:
        return _global("Opportunity", root.opportunity_id)


class Activity(LinkedRecords, BusinessUnitScopedId, graphene.ObjectType):
    """A call, visit, e-mail, meeting or note with a customer (ENGAGEMENT: logged by automation
    from an external event). The body is personal data."""

    class Meta:
        interfaces = (relay.Node,)

    kind = graphene.Field(ActivityKind)
    subject = graphene.String()
    body = graphene.String()
    occurred_at = graphene.DateTime()
    owner = graphene.Field(_user_type, description="Who logged it.")
    account = graphene.Field(Account)
    contact = graphene.Field(Contact)
    lead = graphene.ID(description="The lead's id.")
    opportunity = graphene.ID(description="The opportunity's id.")
    created_at = graphene.DateTime(required=True)
    permissions = permissions_field(ACTIVITY)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Activity | None:
        queryset = models.Activity.objects.filter(pk=id)
        return access_of(info).visible(ACTIVITY, queryset).first()

    @staticmethod
    def resolve_kind(root: models.Activity, _info: graphene.ResolveInfo) -> object:
        return models.ActivityKind(root.kind)


class Task(LinkedRecords, BusinessUnitScopedId, graphene.ObjectType):
    """A to-do with a due time, an owner and an optional reminder (in the app and by e-mail)."""

    class Meta:
        interfaces = (relay.Node,)

    title = graphene.String()
    description = graphene.String()
    due_at = graphene.DateTime()
    remind_at = graphene.DateTime()
    reminded_at = graphene.DateTime(description="When the reminder was sent.")
    status = graphene.Field(TaskStatus)
    owner = graphene.Field(_user_type)
    account = graphene.Field(Account)
    contact = graphene.Field(Contact)
    lead = graphene.ID(description="The lead's id.")
    opportunity = graphene.ID(description="The opportunity's id.")
    completed_at = graphene.DateTime(description="When it was done or cancelled.")
    created_at = graphene.DateTime(required=True)
    permissions = permissions_field(TASK)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Task | None:
        queryset = models.Task.objects.filter(pk=id)
        return access_of(info).visible(TASK, queryset).first()

    @staticmethod
    def resolve_status(root: models.Task, _info: graphene.ResolveInfo) -> object:
        return models.TaskStatus(root.status)


class AccountConnection(CountedConnection):
    class Meta:
        node = Account


class ContactConnection(CountedConnection):
    class Meta:
        node = Contact


class ActivityConnection(CountedConnection):
    class Meta:
        node = Activity


class TaskConnection(CountedConnection):
    class Meta:
        node = Task
