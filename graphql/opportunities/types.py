"""GraphQL types of a BU's deals and pipelines. Governed fields (see
tenants/opportunities/access.py) are null with FIELD_FORBIDDEN where the policy hides them;
relations load through the deal loaders (graphql/opportunities/loaders.py)."""

from __future__ import annotations

from decimal import Decimal
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
from crm.graphql.customfields.types import Translation, translations_of
from crm.graphql.masterdata.types import Material, text_chain
from crm.graphql.opportunities.loaders import opportunity_loaders
from crm.graphql.salessetup.types import CloseReason, ScoreCriterion, StageKind
from crm.i18n import languages
from crm.masterdata.sales.models import StageKind as StageKindValue
from crm.platform.accounts.models import User
from crm.platform.core.money import round_money
from crm.platform.permissions.vocabulary import FieldMode
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.opportunities import models
from crm.tenants.opportunities.access import OPPORTUNITY, PIPELINE
from crm.tenants.opportunities.services import ConversionInfo, conversion_of

DealClass = graphene.Enum.from_enum(models.DealClass)
DealGrade = graphene.Enum.from_enum(models.DealGrade)
TeamRole = graphene.Enum.from_enum(models.TeamRole)
OpportunityEventKind = graphene.Enum.from_enum(models.OpportunityEvent.Kind)


class DealUser(graphene.ObjectType):
    """A user on a deal (its owner, a member of its team, who moved it)."""

    id = graphene.ID(required=True, description="The user's global id (User:<pk>).")
    username = graphene.String(required=True)

    @staticmethod
    def resolve_id(root: User, _info: graphene.ResolveInfo) -> str:
        return to_global_id("User", root.pk)


class DealAccount(graphene.ObjectType):
    """The BU account a deal is for (the `Account` id, and its codes if you may view it)."""

    id = graphene.ID(required=True, description="The account's global id (Account:<pk>).")
    local_code = graphene.String()
    local_name = graphene.String()

    @staticmethod
    def resolve_id(root: tuple[int, LocalCustomer | None], _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("Account", root[0])

    @staticmethod
    def resolve_local_code(
        root: tuple[int, LocalCustomer | None], _info: graphene.ResolveInfo
    ) -> str | None:
        return root[1].local_code if root[1] else None

    @staticmethod
    def resolve_local_name(
        root: tuple[int, LocalCustomer | None], _info: graphene.ResolveInfo
    ) -> str | None:
        return root[1].local_name if root[1] else None


class PipelineStage(graphene.ObjectType):
    """A stage of a BU pipeline, with the conditions a deal must meet to enter it."""

    code = graphene.String(required=True)
    name = graphene.String(required=True, description="In the request's language.")
    names = graphene.List(graphene.NonNull(Translation), required=True)
    position = graphene.Int(required=True)
    kind = graphene.Field(StageKind, required=True)
    probability = graphene.Int(required=True, description="Default win probability, %.")
    required_fields = graphene.List(graphene.NonNull(graphene.String), required=True)
    required_activities = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Activity kinds; one of them logged on the deal suffices.",
    )
    requires_approval = graphene.Boolean(required=True)
    from_template = graphene.Boolean(
        required=True, description="A stage of the group's template (its code is fixed)."
    )

    @staticmethod
    def resolve_name(root: models.Stage, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "name", text_chain(info))

    @staticmethod
    def resolve_names(root: models.Stage, _info: graphene.ResolveInfo) -> list[Translation]:
        return translations_of(root, "name")

    @staticmethod
    def resolve_kind(root: models.Stage, _info: graphene.ResolveInfo) -> object:
        return StageKindValue(root.kind)

    @staticmethod
    def resolve_from_template(root: models.Stage, _info: graphene.ResolveInfo) -> bool:
        return root.template_stage_id is not None


class Pipeline(BusinessUnitScopedId, graphene.ObjectType):
    """A pipeline of the business unit: the group's template localized, or its own."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String()
    name = graphene.String(description="In the request's language.")
    names = graphene.List(graphene.NonNull(Translation), required=True)
    is_default = graphene.Boolean()
    stages = graphene.List(graphene.NonNull(PipelineStage))
    permissions = permissions_field(PIPELINE)

    @staticmethod
    def resolve_name(root: models.Pipeline, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "name", text_chain(info))

    @staticmethod
    def resolve_names(root: models.Pipeline, _info: graphene.ResolveInfo) -> list[Translation]:
        return translations_of(root, "name")

    @staticmethod
    def resolve_stages(root: models.Pipeline, _info: graphene.ResolveInfo) -> list[models.Stage]:
        return sorted(root.stages.all(), key=lambda s: s.position)


class DealProduct(graphene.ObjectType):
    """A material of interest on a deal, with the quantity talked about."""

    material_id = graphene.ID(required=True, description="The material's global id.")
    material = graphene.Field(Material, description="Null if you may not view the material.")
    quantity = graphene.Decimal(required=True)

    @staticmethod
    def resolve_material_id(root: models.OpportunityProduct, _info: graphene.ResolveInfo) -> str:
        return to_global_id("Material", root.material_id)

    @staticmethod
    def resolve_material(root: models.OpportunityProduct, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).materials.load(root.material_id)


class ScorecardLine(graphene.ObjectType):
    """A deal's rating on one active criterion of the group's scorecard (null: unanswered)."""

    criterion = graphene.Field(ScoreCriterion, required=True)
    rating = graphene.Int()
    note = graphene.String(required=True)


class DealTeamMember(graphene.ObjectType):
    """A member of the deal's account team ("iron triangle" and others)."""

    user = graphene.Field(DealUser, required=True)
    role = graphene.Field(TeamRole, required=True)
    added_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_user(root: models.DealTeamMember, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).users.load(root.user_id)

    @staticmethod
    def resolve_role(root: models.DealTeamMember, _info: graphene.ResolveInfo) -> object:
        return models.TeamRole(root.role)


class OpportunityEvent(graphene.ObjectType):
    """An entry of a deal's trail: stage and score moves, approvals, team changes, closing."""

    kind = graphene.Field(OpportunityEventKind, required=True)
    from_stage = graphene.String(required=True)
    to_stage = graphene.String(required=True)
    from_score = graphene.Int()
    to_score = graphene.Int()
    from_probability = graphene.Int()
    to_probability = graphene.Int()
    actor = graphene.String(required=True, description="Who did it.")
    reason = graphene.String(required=True)
    details = graphene.JSONString(required=True)
    at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_kind(root: models.OpportunityEvent, _info: graphene.ResolveInfo) -> object:
        return models.OpportunityEvent.Kind(root.kind)


class DealConversion(graphene.ObjectType):
    """How `amountBu` and `amountGroup` were converted: the group's spot rate of `date` (the
    expected close date, or the close date once closed), the latest rate on or before it. A
    rate is null when none was found: the converted amount is then null too."""

    date = graphene.Date()
    bu_currency = graphene.String(required=True)
    bu_rate = graphene.Decimal()
    bu_rate_date = graphene.Date()
    group_currency = graphene.String(required=True)
    group_rate = graphene.Decimal()
    group_rate_date = graphene.Date()
    complete = graphene.Boolean(required=True, description="Both amounts could be converted.")


def _money(amount: Decimal | None, currency: str) -> MoneyValue | None:
    """The amount at its currency's minor units, or with the finer precision it was given."""
    if amount is None:
        return None
    rounded = round_money(MoneyValue(amount, currency))
    return rounded if rounded.amount == amount else MoneyValue(amount.normalize(), currency)


class Opportunity(BusinessUnitScopedId, graphene.ObjectType):
    """A deal of the business unit. Fields are null where the policy hides them."""

    class Meta:
        interfaces = (relay.Node,)

    name = graphene.String()
    account = graphene.Field(DealAccount)
    primary_contact = graphene.ID(description="The contact's global id (Contact:<pk>).")
    pipeline = graphene.Field(Pipeline)
    stage = graphene.Field(PipelineStage)
    status = graphene.Field(StageKind)
    owner = graphene.Field(DealUser)
    deal_class = graphene.Field(DealClass)
    grade = graphene.Field(DealGrade)
    amount = graphene.Field(Money, description="In the deal's currency.")
    amount_bu = graphene.Field(Money, description="In the business unit's currency.")
    amount_group = graphene.Field(Money, description="In the group's currency.")
    conversion = graphene.Field(
        DealConversion,
        description="The rates behind amountBu and amountGroup (null where those are hidden).",
    )
    expected_close = graphene.Date()
    closed_on = graphene.Date()
    close_reason = graphene.Field(CloseReason)
    close_note = graphene.String()
    score = graphene.Int(description="0–100, from the scorecard; null until scored.")
    probability = graphene.Int(
        description="Win probability, %: the scorecard's band once scored, else the stage's."
    )
    scorecard = graphene.List(graphene.NonNull(ScorecardLine))
    products = graphene.List(graphene.NonNull(DealProduct))
    team = graphene.List(graphene.NonNull(DealTeamMember))
    events = graphene.List(
        graphene.NonNull(OpportunityEvent),
        kinds=graphene.List(graphene.NonNull(OpportunityEventKind)),
        description="The deal's trail, oldest first; `kinds: [SCORE]` is its score history.",
    )
    custom_fields = custom_fields_field("opportunity")
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    stage_entered_at = graphene.DateTime(required=True)
    permissions = permissions_field(OPPORTUNITY)

    @staticmethod
    def resolve_account(root: models.Opportunity, info: graphene.ResolveInfo) -> object:
        return (root.account_id, opportunity_loaders(info).accounts.load(root.account_id))

    @staticmethod
    def resolve_primary_contact(root: models.Opportunity, _info: graphene.ResolveInfo) -> object:
        if root.primary_contact_id is None:
            return None
        return scoped_global_id("Contact", root.primary_contact_id)

    @staticmethod
    def resolve_pipeline(root: models.Opportunity, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).pipelines.load(root.pipeline_id)

    @staticmethod
    def resolve_stage(root: models.Opportunity, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).stages.load(root.stage_id)

    @staticmethod
    def resolve_status(root: models.Opportunity, _info: graphene.ResolveInfo) -> object:
        return StageKindValue(root.status)

    @staticmethod
    def resolve_owner(root: models.Opportunity, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).users.load(root.owner_id)

    @staticmethod
    def resolve_deal_class(root: models.Opportunity, _info: graphene.ResolveInfo) -> object:
        return models.DealClass(root.deal_class) if root.deal_class else None

    @staticmethod
    def resolve_grade(root: models.Opportunity, _info: graphene.ResolveInfo) -> object:
        return models.DealGrade(root.grade) if root.grade else None

    @staticmethod
    def resolve_amount(root: models.Opportunity, _info: graphene.ResolveInfo) -> object:
        return _money(root.amount, root.currency)

    @staticmethod
    def resolve_amount_bu(root: models.Opportunity, info: graphene.ResolveInfo) -> object:
        return _money(root.amount_bu, info.context.tenant.currency)

    @staticmethod
    def resolve_amount_group(root: models.Opportunity, info: graphene.ResolveInfo) -> object:
        return _money(root.amount_group, info.context.tenant.group.currency)

    @staticmethod
    def resolve_conversion(
        root: models.Opportunity, info: graphene.ResolveInfo
    ) -> ConversionInfo | None:
        access = access_of(info)
        permissions = access.on_node(OPPORTUNITY, root)
        if any(
            permissions.mode(name) < FieldMode.READ
            for name in ("amount", "amount_bu", "amount_group", "expected_close", "closed_on")
        ):
            return None
        return conversion_of(access, root)

    @staticmethod
    def resolve_close_reason(root: models.Opportunity, info: graphene.ResolveInfo) -> object:
        if not root.close_reason_id:
            return None
        return opportunity_loaders(info).close_reasons.load(root.close_reason_id)

    @staticmethod
    def resolve_scorecard(root: models.Opportunity, info: graphene.ResolveInfo) -> list[Any]:
        loaders = opportunity_loaders(info)
        answers = loaders.answers.load(root.pk)
        lines = []
        for criterion in loaders.criteria:
            answer = answers.get(criterion.pk)
            lines.append(
                ScorecardLine(
                    criterion=criterion,
                    rating=answer.rating if answer else None,
                    note=answer.note if answer else "",
                )
            )
        return lines

    @staticmethod
    def resolve_products(root: models.Opportunity, info: graphene.ResolveInfo) -> list[Any]:
        return opportunity_loaders(info).products.load(root.pk)

    @staticmethod
    def resolve_team(root: models.Opportunity, _info: graphene.ResolveInfo) -> list[Any]:
        return sorted(root.team.all(), key=lambda m: (m.role, m.pk))

    @staticmethod
    def resolve_events(
        root: models.Opportunity, info: graphene.ResolveInfo, kinds: list[Any] | None = None
    ) -> list[Any]:
        rows = opportunity_loaders(info).events.load(root.pk)
        if kinds:
            wanted = {str(getattr(kind, "value", kind)) for kind in kinds}
            rows = [row for row in rows if row.kind in wanted]
        return rows


class OpportunityConnection(CountedConnection):
    class Meta:
        node = Opportunity
