"""GraphQL types of the lead pool: leads, their sources and campaigns, tag and assignment rules.

Governed fields (tenants/leads/access.py) are null with a FIELD_FORBIDDEN error where the policy
hides them; relations load through the lead loaders (graphql/leads/loaders.py).
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay
from graphql_relay import to_global_id
from moneyed import Money as MoneyValue

from crm.graphql.core.ids import BusinessUnitScopedId, scoped_global_id
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import access_of, permissions_field
from crm.graphql.core.types import Money
from crm.graphql.customfields.fields import custom_fields_field
from crm.graphql.leads.loaders import lead_loaders
from crm.graphql.masterdata.types import Material, text_chain
from crm.graphql.privacy.consents import consents_field
from crm.graphql.salessetup.types import LeadSource
from crm.i18n import languages
from crm.platform.accounts.models import Team, User
from crm.tenants.leads import models
from crm.tenants.leads.access import CAMPAIGN, LEAD, LEAD_ROUTING
from crm.tenants.personaldata.models import SubjectType

LeadStatus = graphene.Enum.from_enum(models.LeadStatus)
InvalidReason = graphene.Enum.from_enum(models.InvalidReason)
AssignmentMethod = graphene.Enum.from_enum(models.AssignmentMethod)


class LeadDuplicateKind(graphene.Enum):
    LEAD = "LEAD"
    CONTACT = "CONTACT"
    CUSTOMER = "CUSTOMER"


class LeadUser(graphene.ObjectType):
    """A user a lead is (or was) given to, or who gave it."""

    id = graphene.ID(required=True, description="The user's global id (User:<pk>).")
    username = graphene.String(required=True)

    @staticmethod
    def resolve_id(root: User, _info: graphene.ResolveInfo) -> str:
        return to_global_id("User", root.pk)


class LeadTeam(graphene.ObjectType):
    id = graphene.ID(required=True, description="The team's global id (Team:<pk>).")
    name = graphene.String(required=True)

    @staticmethod
    def resolve_id(root: Team, _info: graphene.ResolveInfo) -> str:
        return to_global_id("Team", root.pk)


def _user(info: graphene.ResolveInfo, user_id: int | None) -> User | None:
    return lead_loaders(info).users.load(user_id) if user_id else None


class Campaign(BusinessUnitScopedId, graphene.ObjectType):
    """A marketing campaign of the business unit, with its cost for the channel's ROI."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String()
    name = graphene.String(description="In the request's language.")
    source = graphene.Field(LeadSource)
    cost = graphene.Field(Money)
    starts_on = graphene.Date()
    ends_on = graphene.Date()
    active = graphene.Boolean(required=True)
    permissions = permissions_field(CAMPAIGN)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Campaign | None:
        access = access_of(info)
        return access.visible(CAMPAIGN, models.Campaign.objects.filter(pk=id)).first()

    @staticmethod
    def resolve_name(root: models.Campaign, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "name", text_chain(info))

    @staticmethod
    def resolve_source(root: models.Campaign, info: graphene.ResolveInfo) -> object:
        return lead_loaders(info).sources.load(root.source_id)

    @staticmethod
    def resolve_cost(root: models.Campaign, _info: graphene.ResolveInfo) -> MoneyValue:
        return MoneyValue(root.cost_amount, root.cost_currency)


class LeadDuplicate(graphene.ObjectType):
    """A record the lead may duplicate: an open lead, a contact, or a golden customer."""

    kind = graphene.Field(LeadDuplicateKind, required=True)
    id = graphene.ID(required=True, description="Global id: Lead:, Contact: or Customer:<pk>.")
    reason = graphene.String(required=True, description="EMAIL, PHONE or COMPANY_NAME")

    @staticmethod
    def resolve_kind(root: dict[str, Any], _info: graphene.ResolveInfo) -> str:
        return str(root["kind"])

    @staticmethod
    def resolve_id(root: dict[str, Any], _info: graphene.ResolveInfo) -> str:
        kind = {"LEAD": "Lead", "CONTACT": "Contact", "CUSTOMER": "Customer"}[root["kind"]]
        if kind == "Customer":  # a golden record: one id group-wide
            return to_global_id(kind, root["id"])
        return scoped_global_id(kind, root["id"])

    @staticmethod
    def resolve_reason(root: dict[str, Any], _info: graphene.ResolveInfo) -> str:
        return str(root["reason"])


class LeadAssignment(graphene.ObjectType):
    """One (re)assignment of a lead: to whom, from whom, by which rule or person, why."""

    to_user = graphene.Field(LeadUser)
    from_user = graphene.Field(LeadUser)
    by_user = graphene.Field(LeadUser)
    actor = graphene.String(required=True, description="Who assigned (a user or an API key).")
    rule = graphene.String(description="The assignment rule's name, if a rule assigned it.")
    reason = graphene.String(required=True)
    at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_to_user(root: models.LeadAssignment, info: graphene.ResolveInfo) -> object:
        return _user(info, root.to_user_id)

    @staticmethod
    def resolve_from_user(root: models.LeadAssignment, info: graphene.ResolveInfo) -> object:
        return _user(info, root.from_user_id)

    @staticmethod
    def resolve_by_user(root: models.LeadAssignment, info: graphene.ResolveInfo) -> object:
        return _user(info, root.by_user_id)

    @staticmethod
    def resolve_rule(root: models.LeadAssignment, _info: graphene.ResolveInfo) -> str | None:
        return root.rule.name if root.rule is not None else None


def _global(kind: str, pk: int | None) -> str | None:
    return scoped_global_id(kind, pk) if pk is not None else None


class Lead(BusinessUnitScopedId, graphene.ObjectType):
    """A lead of the business unit's pool. Personal fields are null where the policy hides
    them (e.g. for HQ, which sees the funnel, not the people)."""

    class Meta:
        interfaces = (relay.Node,)

    first_name = graphene.String()
    last_name = graphene.String()
    email = graphene.String()
    phone = graphene.String()
    message = graphene.String()
    company_name = graphene.String()
    country = graphene.String(description="ISO 3166-1 alpha-2.")
    region = graphene.String()
    industry = graphene.String()
    products = graphene.List(
        graphene.NonNull(Material), description="Materials the lead asked about."
    )
    product_line = graphene.String(description="The first product's material category code.")
    source = graphene.Field(LeadSource)
    campaign = graphene.Field(Campaign)
    tags = graphene.List(graphene.NonNull(graphene.String))
    status = graphene.Field(LeadStatus)
    invalid_reason = graphene.Field(InvalidReason)
    invalid_note = graphene.String()
    overdue = graphene.Boolean(description="Not contacted in time (set by automation).")
    owner = graphene.Field(LeadUser)
    duplicates = graphene.List(
        graphene.NonNull(LeadDuplicate), description="Suspected duplicates found at capture."
    )
    custom_fields = custom_fields_field("lead")
    consents = consents_field(SubjectType.LEAD)
    assignments = graphene.List(graphene.NonNull(LeadAssignment), description="Oldest first.")
    channel = graphene.String(required=True, description="How it came in: API, FORM, MANUAL.")
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    first_contacted_at = graphene.DateTime()
    converted_at = graphene.DateTime()
    contact = graphene.ID(description="The contact the conversion created (Contact:<pk>).")
    account = graphene.ID(description="The account it was converted for (Account:<pk>).")
    opportunity = graphene.ID(description="The opportunity it became (Opportunity:<pk>).")
    permissions = permissions_field(LEAD)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Lead | None:
        access = access_of(info)
        if not str(id).isdigit():
            return None
        return access.visible(LEAD, models.Lead.objects.filter(pk=id)).first()

    @staticmethod
    def resolve_products(root: models.Lead, info: graphene.ResolveInfo) -> list[Any]:
        loader = lead_loaders(info).materials
        found = [loader.load(pk) for pk in root.product_ids]
        return [material for material in found if material is not None]

    @staticmethod
    def resolve_source(root: models.Lead, info: graphene.ResolveInfo) -> object:
        return lead_loaders(info).sources.load(root.source_id) if root.source_id else None

    @staticmethod
    def resolve_campaign(root: models.Lead, info: graphene.ResolveInfo) -> object:
        return lead_loaders(info).campaigns.load(root.campaign_id) if root.campaign_id else None

    @staticmethod
    def resolve_status(root: models.Lead, _info: graphene.ResolveInfo) -> object:
        return models.LeadStatus(root.status)

    @staticmethod
    def resolve_invalid_reason(root: models.Lead, _info: graphene.ResolveInfo) -> object:
        return models.InvalidReason(root.invalid_reason) if root.invalid_reason else None

    @staticmethod
    def resolve_owner(root: models.Lead, info: graphene.ResolveInfo) -> object:
        return _user(info, root.owner_id)

    @staticmethod
    def resolve_assignments(root: models.Lead, info: graphene.ResolveInfo) -> object:
        return lead_loaders(info).assignments.load(root.pk)

    @staticmethod
    def resolve_contact(root: models.Lead, _info: graphene.ResolveInfo) -> str | None:
        return _global("Contact", root.contact_id)

    @staticmethod
    def resolve_account(root: models.Lead, _info: graphene.ResolveInfo) -> str | None:
        return _global("Account", root.account_id)

    @staticmethod
    def resolve_opportunity(root: models.Lead, _info: graphene.ResolveInfo) -> str | None:
        return _global("Opportunity", root.opportunity_id)


class LeadConnection(CountedConnection):
    class Meta:
        node = Lead


class TagRule(BusinessUnitScopedId, graphene.ObjectType):
    """At capture, leads meeting `conditions` get `tag`."""

    class Meta:
        interfaces = (relay.Node,)

    tag = graphene.String(required=True)
    conditions = graphene.JSONString(
        required=True, description='[{"field": ..., "op": ..., "value": ...}], all must hold.'
    )
    position = graphene.Int(required=True)
    active = graphene.Boolean(required=True)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.TagRule | None:
        from crm.tenants.leads.routing import visible_rules

        return visible_rules(access_of(info), models.TagRule).filter(pk=id).first()  # type: ignore[no-any-return]


class InvalidRule(BusinessUnitScopedId, graphene.ObjectType):
    """At capture, leads meeting `conditions` are kept but marked invalid with `reason`."""

    class Meta:
        interfaces = (relay.Node,)

    name = graphene.String(required=True)
    conditions = graphene.JSONString(
        required=True, description='[{"field": ..., "op": ..., "value": ...}], all must hold.'
    )
    reason = graphene.Field(InvalidReason, required=True)
    position = graphene.Int(required=True)
    active = graphene.Boolean(required=True)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.InvalidRule | None:
        from crm.tenants.leads.routing import visible_rules

        found: models.InvalidRule | None = (
            visible_rules(access_of(info), models.InvalidRule).filter(pk=id).first()
        )
        return found

    @staticmethod
    def resolve_reason(root: models.InvalidRule, _info: graphene.ResolveInfo) -> object:
        return models.InvalidReason(root.reason)


class AssignmentRule(BusinessUnitScopedId, graphene.ObjectType):
    """The first active rule (by position) whose conditions a captured lead meets assigns it."""

    class Meta:
        interfaces = (relay.Node,)

    name = graphene.String()
    position = graphene.Int()
    active = graphene.Boolean()
    conditions = graphene.JSONString()
    method = graphene.Field(AssignmentMethod)
    user = graphene.Field(LeadUser)
    team = graphene.Field(LeadTeam)
    permissions = permissions_field(LEAD_ROUTING)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.AssignmentRule | None:
        from crm.tenants.leads.routing import visible_rules

        return visible_rules(access_of(info), models.AssignmentRule).filter(pk=id).first()  # type: ignore[no-any-return]

    @staticmethod
    def resolve_method(root: models.AssignmentRule, _info: graphene.ResolveInfo) -> object:
        return models.AssignmentMethod(root.method)

    @staticmethod
    def resolve_user(root: models.AssignmentRule, info: graphene.ResolveInfo) -> object:
        return _user(info, root.user_id)

    @staticmethod
    def resolve_team(root: models.AssignmentRule, _info: graphene.ResolveInfo) -> object:
        return Team.objects.filter(pk=root.team_id).first() if root.team_id else None
