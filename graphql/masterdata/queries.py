"""Master-data queries, always scoped to the group of the request's business unit."""

from __future__ import annotations

import graphene
from django.db.models import Q, QuerySet
from graphene import relay
from graphql_relay import from_global_id
from modeltranslation.utils import build_localized_fieldname

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import keyset_page
from crm.graphql.masterdata.types import Material, MaterialConnection
from crm.i18n.languages import SUPPORTED
from crm.masterdata import models
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.models import BusinessUnit

MAX_SEARCH_LENGTH = 100


def visible_materials(business_unit: BusinessUnit) -> QuerySet[models.Material]:
    return models.Material.objects.filter(group_id=business_unit.group_id)


def search_filter(search: str) -> Q:
    """Matches the group code or the name in any language."""
    condition = Q(code__icontains=search)
    for code in SUPPORTED:
        condition |= Q(**{f"{build_localized_fieldname('name', code)}__icontains": search})
    return condition


class MasterdataQueries(graphene.ObjectType):
    materials = relay.ConnectionField(
        MaterialConnection,
        search=graphene.String(description="Part of the code or of the name in any language."),
        description="Materials of the group, ordered by code.",
    )
    material = graphene.Field(
        Material,
        id=graphene.ID(),
        code=graphene.String(),
        description="One material, by global id or by group code.",
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
    ) -> MaterialConnection:
        try:
            if last is not None or before is not None:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="last" if last is not None else "before",
                    reason="this list pages forward only; use first and after",
                )
            queryset = visible_materials(info.context.tenant)
            if search:
                if len(search) > MAX_SEARCH_LENGTH:
                    raise CrmError(
                        ErrorCode.INVALID_ARGUMENT,
                        field="search",
                        reason=f"at most {MAX_SEARCH_LENGTH} characters",
                    )
                queryset = queryset.filter(search_filter(search.strip()))
            page = keyset_page(queryset, kind="Material", key="code", first=first, after=after)
        except CrmError as error:
            raise graphql_error(error) from error
        info.context.loaders.price_today.expect(record.pk for record in page.records)
        connection = MaterialConnection(
            edges=[
                MaterialConnection.Edge(node=record, cursor=cursor)
                for record, cursor in zip(page.records, page.cursors, strict=True)
            ],
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
        )
        connection.page = page
        return connection

    @staticmethod
    def resolve_material(
        _root: None, info: graphene.ResolveInfo, id: str | None = None, code: str | None = None
    ) -> models.Material:
        business_unit: BusinessUnit = info.context.tenant
        try:
            if (id is None) == (code is None):
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="id", reason="give exactly one of id and code"
                )
            queryset = visible_materials(business_unit)
            if id is not None:
                pk = material_pk(id)
                found = queryset.filter(pk=pk).first()
            else:
                found = queryset.filter(code=code).first()
            if found is None:
                raise CrmError(
                    ErrorCode.NOT_FOUND,
                    field="id" if id is not None else "code",
                    object="material",
                    id=id or code,
                )
        except CrmError as error:
            raise graphql_error(error) from error
        info.context.loaders.price_today.expect([found.pk])
        return found


def material_pk(global_id: str) -> int:
    """The primary key inside a `Material` global id, or a typed MALFORMED_ID error."""
    kind, raw = from_global_id(global_id)
    if kind != "Material" or not raw.isdigit():
        raise CrmError(ErrorCode.MALFORMED_ID, field="id", id=global_id)
    return int(raw)
