"""GraphQL types of the group views: the figures, and per cell whether it answered."""

from __future__ import annotations

from typing import Any

import graphene
from moneyed import Money as MoneyValue

from crm.graphql.core.types import Money
from crm.regions.federation.contract import CellStatus
from crm.regions.federation.fanout import CellAnswer
from crm.regions.federation.reports import (
    CustomerExposureTotal,
    LeadSourceReport,
    PipelineReport,
    PipelineTotal,
    ReceivablesReport,
    Report,
    StageTotal,
)

GroupViewCellStatus = graphene.Enum.from_enum(
    CellStatus, name="GroupViewCellStatus", description="How a cell's part of a group view went."
)


class GroupViewCell(graphene.ObjectType):
    """One cell asked for its part: OK, or why its figures are missing."""

    region = graphene.String(required=True)
    status = graphene.Field(GroupViewCellStatus, required=True)
    elapsed_ms = graphene.Int(required=True, description="From the start of the fan-out.")
    detail = graphene.String(
        required=True,
        description="Why it is not OK (a refusal code, an HTTP status...); empty when OK.",
    )
    business_units = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Codes of the BUs the cell computed (those homed there).",
    )

    @staticmethod
    def resolve_status(root: CellAnswer, _info: graphene.ResolveInfo) -> str:
        return root.status.value

    @staticmethod
    def resolve_business_units(root: CellAnswer, _info: graphene.ResolveInfo) -> list[str]:
        return list(root.business_units)


class GroupView(graphene.Interface):
    """What every group view says: for which group and date, and whether every cell answered."""

    group = graphene.String(required=True, description="Group code.")
    as_of = graphene.Date(required=True)
    complete = graphene.Boolean(
        required=True, description="Every cell holding BUs of the group answered."
    )
    missing_regions = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Cells whose figures are not in the totals (see `cells` for why).",
    )
    cells = graphene.List(graphene.NonNull(GroupViewCell), required=True)

    @staticmethod
    def resolve_group(root: Report, _info: graphene.ResolveInfo) -> str:
        return str(root.group.code)


class _Row:
    """The BU fields of a row; rows are given as (report, row) pairs."""

    region = graphene.String(required=True)
    business_unit = graphene.String(required=True, description="BU code.")
    business_unit_name = graphene.String(required=True)

    @staticmethod
    def resolve_region(root: tuple[Report, dict[str, Any]], _info: graphene.ResolveInfo) -> str:
        return str(root[1]["region"])

    @staticmethod
    def resolve_business_unit(
        root: tuple[Report, dict[str, Any]], _info: graphene.ResolveInfo
    ) -> str:
        return str(root[1]["business_unit"])

    @staticmethod
    def resolve_business_unit_name(
        root: tuple[Report, dict[str, Any]], _info: graphene.ResolveInfo
    ) -> str:
        report, row = root
        return report.name_of(row["business_unit"])


def _value(name: str) -> Any:
    def resolve(root: tuple[Report, dict[str, Any]], _info: graphene.ResolveInfo) -> Any:
        return root[1][name]

    return resolve


def _money(name: str) -> Any:
    def resolve(root: tuple[Report, dict[str, Any]], _info: graphene.ResolveInfo) -> MoneyValue:
        return root[0].money(root[1][name])

    return resolve


# -- pipeline ---------------------------------------------------------------------------------


class GroupPipelineRow(_Row, graphene.ObjectType):
    """Open deals of one BU in one stage of one of its pipelines."""

    pipeline = graphene.String(required=True, resolver=_value("pipeline"))
    stage = graphene.String(required=True, resolver=_value("stage"))
    stage_name = graphene.String(
        required=True, resolver=_value("stage_name"), description="In the BU's language."
    )
    stage_template = graphene.String(
        resolver=_value("stage_template"), description="The group template stage's code."
    )
    position = graphene.Int(required=True, resolver=_value("position"))
    count = graphene.Int(required=True, resolver=_value("count"))
    amount = graphene.Field(
        Money,
        required=True,
        resolver=_money("amount"),
        description="Sum of the deals' amounts in the group currency.",
    )
    without_group_amount = graphene.Int(
        required=True,
        resolver=_value("without_group_amount"),
        description="Deals counted but not in `amount`: no amount, or no rate yet.",
    )


class GroupPipelineTotal(graphene.ObjectType):
    count = graphene.Int(required=True)
    amount = graphene.Field(Money, required=True)
    without_group_amount = graphene.Int(required=True)

    @staticmethod
    def resolve_count(root: tuple[Report, PipelineTotal], _info: graphene.ResolveInfo) -> int:
        return root[1].count

    @staticmethod
    def resolve_amount(
        root: tuple[Report, PipelineTotal], _info: graphene.ResolveInfo
    ) -> MoneyValue:
        return root[0].money(root[1].amount)

    @staticmethod
    def resolve_without_group_amount(
        root: tuple[Report, PipelineTotal], _info: graphene.ResolveInfo
    ) -> int:
        return root[1].without_group_amount


class GroupPipelineStage(GroupPipelineTotal):
    """One stage code across every BU that answered."""

    stage = graphene.String(required=True)
    stage_template = graphene.String()

    @staticmethod
    def resolve_stage(root: tuple[Report, StageTotal], _info: graphene.ResolveInfo) -> str:
        return root[1].stage

    @staticmethod
    def resolve_stage_template(
        root: tuple[Report, StageTotal], _info: graphene.ResolveInfo
    ) -> str | None:
        return root[1].stage_template


class GroupPipeline(graphene.ObjectType):
    """Open pipeline per BU and stage in the group currency, at the end of `asOf` at HQ."""

    class Meta:
        interfaces = (GroupView,)

    currency = graphene.String(required=True, description="The group currency.")
    rows = graphene.List(graphene.NonNull(GroupPipelineRow), required=True)
    stages = graphene.List(graphene.NonNull(GroupPipelineStage), required=True)
    total = graphene.Field(GroupPipelineTotal, required=True)

    @staticmethod
    def resolve_rows(root: PipelineReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, row) for row in root.rows]

    @staticmethod
    def resolve_stages(root: PipelineReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, stage) for stage in root.stages]

    @staticmethod
    def resolve_total(root: PipelineReport, _info: graphene.ResolveInfo) -> Any:
        return (root, root.total)


# -- lead sources -----------------------------------------------------------------------------


def _source_name(root: tuple[LeadSourceReport, dict[str, Any]], _info: Any) -> str | None:
    code = root[1]["source"]
    return root[0].source_names.get(code, code) if code else None


class _LeadCounts:
    source = graphene.String(
        resolver=_value("source"), description="Lead source code; null: none or unknown."
    )
    source_name = graphene.String(resolver=_source_name)
    leads = graphene.Int(required=True, resolver=_value("leads"))
    open = graphene.Int(required=True, resolver=_value("open"))
    converted = graphene.Int(required=True, resolver=_value("converted"))
    invalid = graphene.Int(required=True, resolver=_value("invalid"))
    won = graphene.Int(
        required=True, resolver=_value("won"), description="Converted into a deal now won."
    )


class GroupLeadSourceRow(_Row, _LeadCounts, graphene.ObjectType):
    """Leads of one BU from one source in the period."""


class GroupLeadSourceTotal(_LeadCounts, graphene.ObjectType):
    """Leads from one source in every BU that answered."""


class GroupLeadSources(graphene.ObjectType):
    """Leads created from `from` to `to` (days at HQ, both included) per BU and source."""

    class Meta:
        interfaces = (GroupView,)

    from_ = graphene.Date(required=True, name="from")
    to = graphene.Date(required=True)
    rows = graphene.List(graphene.NonNull(GroupLeadSourceRow), required=True)
    sources = graphene.List(graphene.NonNull(GroupLeadSourceTotal), required=True)

    @staticmethod
    def resolve_from_(root: LeadSourceReport, _info: graphene.ResolveInfo) -> Any:
        return root.start

    @staticmethod
    def resolve_to(root: LeadSourceReport, _info: graphene.ResolveInfo) -> Any:
        return root.end

    @staticmethod
    def resolve_rows(root: LeadSourceReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, row) for row in root.rows]

    @staticmethod
    def resolve_sources(root: LeadSourceReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, source) for source in root.sources]


# -- receivables ------------------------------------------------------------------------------


class GroupReceivableRow(_Row, graphene.ObjectType):
    """What one golden customer owes one BU and has on order with it."""

    customer = graphene.String(required=True, resolver=_value("customer"))
    open_receivables = graphene.Field(Money, required=True, resolver=_money("open_receivables"))
    open_orders = graphene.Field(Money, required=True, resolver=_money("open_orders"))


class GroupCustomerExposure(graphene.ObjectType):
    """A golden customer's open receivables and orders across the BUs that answered."""

    customer = graphene.String(required=True, description="Golden customer code.")
    customer_name = graphene.String(description="Legal name of the company.")
    open_receivables = graphene.Field(Money, required=True)
    open_orders = graphene.Field(Money, required=True)
    exposure = graphene.Field(Money, required=True, description="Receivables plus orders.")

    @staticmethod
    def resolve_customer(
        root: tuple[ReceivablesReport, CustomerExposureTotal], _info: graphene.ResolveInfo
    ) -> str:
        return root[1].customer

    @staticmethod
    def resolve_customer_name(
        root: tuple[ReceivablesReport, CustomerExposureTotal], _info: graphene.ResolveInfo
    ) -> str | None:
        return root[0].customer_names.get(root[1].customer)

    @staticmethod
    def resolve_open_receivables(
        root: tuple[ReceivablesReport, CustomerExposureTotal], _info: graphene.ResolveInfo
    ) -> MoneyValue:
        return root[0].money(root[1].open_receivables)

    @staticmethod
    def resolve_open_orders(
        root: tuple[ReceivablesReport, CustomerExposureTotal], _info: graphene.ResolveInfo
    ) -> MoneyValue:
        return root[0].money(root[1].open_orders)

    @staticmethod
    def resolve_exposure(
        root: tuple[ReceivablesReport, CustomerExposureTotal], _info: graphene.ResolveInfo
    ) -> MoneyValue:
        return root[0].money(root[1].exposure)


class GroupReceivables(graphene.ObjectType):
    """Credit exposure per golden customer. `available` is false while no cell can compute it
    (no provider in any cell): then there are no figures at all, which is not zero."""

    class Meta:
        interfaces = (GroupView,)

    currency = graphene.String(required=True)
    available = graphene.Boolean(required=True)
    unavailable_reasons = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Why cells could not compute it, e.g. NO_PROVIDER.",
    )
    rows = graphene.List(graphene.NonNull(GroupReceivableRow), required=True)
    customers = graphene.List(graphene.NonNull(GroupCustomerExposure), required=True)

    @staticmethod
    def resolve_rows(root: ReceivablesReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, row) for row in root.rows]

    @staticmethod
    def resolve_customers(root: ReceivablesReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, customer) for customer in root.customers]
