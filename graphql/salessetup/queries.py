"""The group's sales setup, read by HQ and every BU of the group (type `sales_setup`)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import caller
from crm.graphql.salessetup.types import (
    CloseKind,
    CloseReason,
    LeadSource,
    PipelineTemplate,
    Scorecard,
)
from crm.masterdata.sales import models
from crm.masterdata.sales.access import SALES_SETUP
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action


def setup_reader(info: graphene.ResolveInfo) -> Access:
    try:
        access = caller(info)
        access.require(Action.VIEW, SALES_SETUP)
    except CrmError as error:
        raise graphql_error(error) from error
    return access


class SalesSetupQueries(graphene.ObjectType):
    lead_sources = graphene.List(
        graphene.NonNull(LeadSource),
        required=True,
        active=graphene.Boolean(description="Only active (true) or inactive (false) ones."),
        description="The group's lead sources, by code.",
    )
    pipeline_templates = graphene.List(
        graphene.NonNull(PipelineTemplate),
        required=True,
        description="The group's pipeline templates with their stages.",
    )
    scorecard = graphene.Field(
        Scorecard, required=True, description="The group's win scorecard and probability bands."
    )
    close_reasons = graphene.List(
        graphene.NonNull(CloseReason),
        required=True,
        kind=graphene.Argument(CloseKind),
        description="Why deals are won or lost, by kind and code.",
    )

    @staticmethod
    def resolve_lead_sources(
        _root: None, info: graphene.ResolveInfo, active: bool | None = None
    ) -> list[models.LeadSource]:
        access = setup_reader(info)
        queryset = models.LeadSource.objects.filter(group_id=access.business_unit.group_id)
        if active is not None:
            queryset = queryset.filter(active=active)
        return list(queryset.order_by("code"))

    @staticmethod
    def resolve_pipeline_templates(
        _root: None, info: graphene.ResolveInfo
    ) -> list[models.PipelineTemplate]:
        access = setup_reader(info)
        return list(
            models.PipelineTemplate.objects.filter(group_id=access.business_unit.group_id)
            .order_by("code")
            .prefetch_related("stages")
        )

    @staticmethod
    def resolve_scorecard(_root: None, info: graphene.ResolveInfo) -> dict[str, Any]:
        access = setup_reader(info)
        group_id = access.business_unit.group_id
        return {
            "criteria": list(
                models.ScoreCriterion.objects.filter(group_id=group_id).order_by("position", "code")
            ),
            "bands": list(
                models.ProbabilityBand.objects.filter(group_id=group_id).order_by("min_score")
            ),
        }

    @staticmethod
    def resolve_close_reasons(
        _root: None, info: graphene.ResolveInfo, kind: Any = None
    ) -> list[models.CloseReason]:
        access = setup_reader(info)
        queryset = models.CloseReason.objects.filter(group_id=access.business_unit.group_id)
        if kind is not None:
            queryset = queryset.filter(kind=str(getattr(kind, "value", kind)))
        return list(queryset.order_by("kind", "code"))
