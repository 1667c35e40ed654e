"""Group-wide views, asked in the group's HQ business unit: each fans out to the cells."""

from __future__ import annotations

import datetime

import graphene

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import caller
from crm.graphql.groupviews.types import GroupLeadSources, GroupPipeline, GroupReceivables
from crm.platform.core.errors import CrmError
from crm.regions.federation import reports


class GroupViewQueries(graphene.ObjectType):
    group_pipeline = graphene.Field(
        GroupPipeline,
        required=True,
        as_of=graphene.Date(description="Reporting date (default: today at HQ); not ahead."),
        description="Open deals per BU and stage in the group currency, from every cell; "
        "cells that did not answer are listed in `missingRegions`.",
    )
    group_lead_sources = graphene.Field(
        GroupLeadSources,
        required=True,
        from_=graphene.Date(required=True, name="from"),
        to=graphene.Date(required=True),
        description="Leads per BU and source created in a period, from every cell.",
    )
    group_receivables = graphene.Field(
        GroupReceivables,
        required=True,
        as_of=graphene.Date(),
        description="Open receivables and orders per golden customer (credit exposure), "
        "from each cell's ledger; a cell that cannot compute them is listed as unavailable.",
    )

    @staticmethod
    def resolve_group_pipeline(
        _root: None, info: graphene.ResolveInfo, as_of: datetime.date | None = None
    ) -> reports.PipelineReport:
        try:
            return reports.group_pipeline(caller(info), as_of=as_of)
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_group_lead_sources(
        _root: None, info: graphene.ResolveInfo, from_: datetime.date, to: datetime.date
    ) -> reports.LeadSourceReport:
        try:
            return reports.group_lead_sources(caller(info), start=from_, end=to)
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_group_receivables(
        _root: None, info: graphene.ResolveInfo, as_of: datetime.date | None = None
    ) -> reports.ReceivablesReport:
        try:
            return reports.group_receivables(caller(info), as_of=as_of)
        except CrmError as error:
            raise graphql_error(error) from error
