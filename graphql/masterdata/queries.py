"""Master-data queries, always scoped to the group of the request's business unit."""

from __future__ import annotations

from typing import Any, TypeVar

import graphene
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from graphene import relay
from graphene.utils.str_converters import to_camel_case
from modeltranslation.utils import build_localized_fieldname

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.exports import EXPORT_LIMIT, export_csv
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.masterdata.types import (
    Material,
    MaterialCategory,
    MaterialConnection,
    MaterialsExport,
    MaterialStatus,
    PriceList,
    PriceListConnection,
    PriceListStatus,
)
from crm.i18n.languages import SUPPORTED
from crm.masterdata import models
from crm.masterdata.access import MATERIAL, MATERIAL_CATEGORY, PRICE_LIST
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.models import BusinessUnit

MAX_SEARCH_LENGTH = 100
EXPORT_COLUMNS = {
    "code": lambda m: m.code,
    "name": lambda m: m.name_en or m.name,
    "unit": lambda m: m.unit,
    "status": lambda m: m.status,
    "standard_cost": lambda m: m.standard_cost,
}
M = TypeVar("M", bound=Model)


def group_materials(business_unit: BusinessUnit) -> QuerySet[models.Material]:
    return models.Material.objects.filter(group_id=business_unit.group_id).select_related(
        "category", "category__parent"
    )


def category_and_below(group_id: int, code: str) -> list[int]:
    """The category's id and those of every category under it (a small tree, read once)."""
    tree = list(
        models.MaterialCategory.objects.filter(group_id=group_id).values_list(
            "id", "code", "parent_id"
        )
    )
    found = {pk for pk, node_code, _parent in tree if node_code == code}
    if not found:
        raise CrmError(ErrorCode.NOT_FOUND, field="category", object="material category", id=code)
    frontier = set(found)
    while frontier:
        frontier = {pk for pk, _code, parent in tree if parent in frontier} - found
        found |= frontier
    return sorted(found)


def search_filter(search: str) -> Q:
    """Matches the group code, any BU's local code, or the name in any language."""
    local = models.MaterialLocalCode.objects.filter(material=OuterRef("pk"), code__iexact=search)
    condition = Q(code__icontains=search) | Q(Exists(local))
    for code in SUPPORTED:
        condition |= Q(**{f"{build_localized_fieldname('name', code)}__icontains": search})
    return condition


class SortDirection(graphene.Enum):
    ASC = "asc"
    DESC = "desc"


class MaterialOrderField(graphene.Enum):
    CODE = "code"
    STANDARD_COST = "standard_cost"


class MaterialOrder(graphene.InputObjectType):
    field = graphene.Field(MaterialOrderField, required=True)
    direction = graphene.Field(SortDirection, default_value="asc")


class MaterialFilter(graphene.InputObjectType):
    search = graphene.String(description="Part of the code or of the name in any language.")
    status = graphene.List(graphene.NonNull(MaterialStatus))
    category = graphene.String(description="A category code: materials in it or below it.")
    standard_cost_at_least = graphene.Decimal()
    standard_cost_at_most = graphene.Decimal()


def forward_only(last: int | None, before: str | None) -> None:
    if last is not None or before is not None:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="last" if last is not None else "before",
            reason="this list pages forward only; use first and after",
        )


def filtered_materials(
    access: Access, filter: dict[str, Any] | None, order_by: dict[str, Any] | None
) -> tuple[QuerySet[models.Material], Ordering | None]:
    """The caller's visible materials, filtered and ordered only on fields they can read."""
    access.require_some(Action.VIEW, MATERIAL)
    queryset = access.visible(MATERIAL, group_materials(access.business_unit))
    filter = filter or {}
    search = (filter.get("search") or "").strip()
    if search:
        if len(search) > MAX_SEARCH_LENGTH:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="search",
                reason=f"at most {MAX_SEARCH_LENGTH} characters",
            )
        for name in ("code", "name", "local_codes"):
            access.require_readable(MATERIAL, name, argument="search")
        queryset = queryset.filter(search_filter(search))
    if filter.get("category"):
        access.require_readable(MATERIAL, "category", argument="category")
        group_id = access.business_unit.group_id
        queryset = queryset.filter(category_id__in=category_and_below(group_id, filter["category"]))
    if filter.get("status"):
        access.require_readable(MATERIAL, "status", argument="status")
        queryset = queryset.filter(
            status__in=[str(s.value if hasattr(s, "value") else s) for s in filter["status"]]
        )
    for argument, lookup in (("standard_cost_at_least", "gte"), ("standard_cost_at_most", "lte")):
        if filter.get(argument) is not None:
            access.require_readable(MATERIAL, "standard_cost", argument=to_camel_case(argument))
            queryset = queryset.filter(**{f"standard_cost__{lookup}": filter[argument]})
    ordering = None
    if order_by:
        field = str(
            order_by["field"].value if hasattr(order_by["field"], "value") else order_by["field"]
        )
        access.require_readable(MATERIAL, field, argument="orderBy")
        direction = order_by.get("direction") or "asc"
        descending = str(direction.value if hasattr(direction, "value") else direction) == "desc"
        ordering = None if field == "code" and not descending else Ordering(field, descending)
    return queryset, ordering


class MasterdataQueries(graphene.ObjectType):
    materials = relay.ConnectionField(
        MaterialConnection,
        filter=graphene.Argument(MaterialFilter),
        order_by=graphene.Argument(MaterialOrder, description="Then by code."),
        search=graphene.String(description="Shorthand for filter.search."),
        description="Materials of the group you may view, ordered by code unless told.",
    )
    material = graphene.Field(
        Material,
        id=graphene.ID(),
        code=graphene.String(),
        description="One material, by global id or by group code.",
    )
    materials_export = graphene.Field(
        MaterialsExport,
        filter=graphene.Argument(MaterialFilter),
        description=f"CSV of the materials you may export (at most {EXPORT_LIMIT} rows).",
    )
    material_categories = graphene.List(
        graphene.NonNull(MaterialCategory),
        required=True,
        description="The group's material tree, by code (parents give the structure).",
    )
    price_lists = relay.ConnectionField(
        PriceListConnection,
        status=graphene.List(graphene.NonNull(PriceListStatus)),
        description="Price lists of the group you may view, ordered by code.",
    )
    price_list = graphene.Field(
        PriceList, id=graphene.ID(), code=graphene.String(), description="One price list."
    )

    @staticmethod
    def resolve_materials(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
        filter: dict[str, Any] | None = None,
        order_by: dict[str, Any] | None = None,
    ) -> MaterialConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            if search:
                filter = {**(filter or {}), "search": search}
            queryset, ordering = filtered_materials(access, filter, order_by)
            page = keyset_page(
                queryset, kind="Material", key="code", first=first, after=after, ordering=ordering
            )
        except CrmError as error:
            raise graphql_error(error) from error
        info.context.loaders.price_today.expect(record.pk for record in page.records)
        info.context.loaders.local_codes.expect(record.pk for record in page.records)
        connection: MaterialConnection = connection_from_page(MaterialConnection, page)
        return connection

    @staticmethod
    def resolve_material(
        _root: None, info: graphene.ResolveInfo, id: str | None = None, code: str | None = None
    ) -> models.Material:
        try:
            access = caller(info)
            queryset = access.visible(MATERIAL, group_materials(access.business_unit))
            found = one_by_id_or_code(queryset, "Material", MATERIAL.name, id, code)
        except CrmError as error:
            raise graphql_error(error) from error
        info.context.loaders.price_today.expect([found.pk])
        return found

    @staticmethod
    def resolve_materials_export(
        _root: None, info: graphene.ResolveInfo, filter: dict[str, Any] | None = None
    ) -> MaterialsExport:
        try:
            access = caller(info)
            queryset, _ordering = filtered_materials(access, filter, None)
            text, count = export_csv(access, MATERIAL, queryset.order_by("code"), EXPORT_COLUMNS)
        except CrmError as error:
            raise graphql_error(error) from error
        return MaterialsExport(csv=text, rows=count)

    @staticmethod
    def resolve_material_categories(
        _root: None, info: graphene.ResolveInfo
    ) -> list[models.MaterialCategory]:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, MATERIAL_CATEGORY)
        except CrmError as error:
            raise graphql_error(error) from error
        records = models.MaterialCategory.objects.filter(group_id=access.business_unit.group_id)
        return list(access.visible(MATERIAL_CATEGORY, records).select_related("parent"))

    @staticmethod
    def resolve_price_lists(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: list[Any] | None = None,
    ) -> PriceListConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            access.require_some(Action.VIEW, PRICE_LIST)
            queryset = access.visible(PRICE_LIST, group_price_lists(access.business_unit))
            if status:
                access.require_readable(PRICE_LIST, "status", argument="status")
                queryset = queryset.filter(status__in=[str(getattr(s, "value", s)) for s in status])
            page = keyset_page(queryset, kind="PriceList", key="code", first=first, after=after)
        except CrmError as error:
            raise graphql_error(error) from error
        info.context.loaders.price_list_items.expect(record.pk for record in page.records)
        connection: PriceListConnection = connection_from_page(PriceListConnection, page)
        return connection

    @staticmethod
    def resolve_price_list(
        _root: None, info: graphene.ResolveInfo, id: str | None = None, code: str | None = None
    ) -> models.PriceList:
        try:
            access = caller(info)
            queryset = access.visible(PRICE_LIST, group_price_lists(access.business_unit))
            found: models.PriceList = one_by_id_or_code(
                queryset, "PriceList", PRICE_LIST.name, id, code
            )
        except CrmError as error:
            raise graphql_error(error) from error
        return found


def group_price_lists(business_unit: BusinessUnit) -> QuerySet[models.PriceList]:
    return models.PriceList.objects.filter(group_id=business_unit.group_id).select_related(
        "business_unit"
    )


def one_by_id_or_code(
    queryset: QuerySet[M], kind: str, object_name: str, id: str | None, code: str | None
) -> M:
    """The one record by global id or by code in `queryset`; NOT_FOUND when not visible."""
    if (id is None) == (code is None):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="id", reason="give exactly one of id and code"
        )
    if id is not None:
        found = queryset.filter(pk=pk_of(kind, id)).first()
    else:
        found = queryset.filter(code=code).first()
    if found is None:
        raise CrmError(
            ErrorCode.NOT_FOUND,
            field="id" if id is not None else "code",
            object=object_name,
            id=id or code,
        )
    return found
