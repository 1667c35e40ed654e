"""Customer queries: the group's golden records as the caller may see them; a duplicate report."""

from __future__ import annotations

from typing import Any

import graphene
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.customers.types import (
    Classification,
    Customer,
    CustomerConnection,
    CustomerStatus,
    Grade,
)
from crm.graphql.masterdata.queries import forward_only, one_by_id_or_code
from crm.masterdata.customers import duplicates, identity, models
from crm.masterdata.customers.access import CUSTOMER
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action

MAX_SEARCH_LENGTH = 100
REPORT_LIMIT = 200


class CustomerFilter(graphene.InputObjectType):
    search = graphene.String(
        description="Part of the code or of a legal or trade name, a similar name, or the exact "
        "tax id (spaces ignored)."
    )
    country = graphene.String()
    status = graphene.List(graphene.NonNull(CustomerStatus))
    grade = graphene.List(graphene.NonNull(Grade))
    classification = graphene.List(graphene.NonNull(Classification))


class DuplicatePair(graphene.ObjectType):
    first = graphene.Field(Customer, required=True)
    second = graphene.Field(Customer, required=True)
    score = graphene.Decimal(required=True)
    reason = graphene.String(required=True, description="TAX_ID or NAME")


def _values(items: list[Any]) -> list[str]:
    return [str(getattr(item, "value", item)) for item in items]


def filtered_customers(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Customer]:
    access.require_some(Action.VIEW, CUSTOMER)
    records = models.Customer.objects.filter(group_id=access.business_unit.group_id)
    queryset = access.visible(CUSTOMER, records)
    filter = filter or {}
    search = (filter.get("search") or "").strip()
    if search:
        if len(search) > MAX_SEARCH_LENGTH:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="search",
                reason=f"at most {MAX_SEARCH_LENGTH} characters",
            )
        for name in ("code", "legal_name", "trade_name", "tax_id"):
            access.require_readable(CUSTOMER, name, argument="search")
        # Each condition uses a trigram index: a part of the search text, or a similar name.
        condition = Q(search_text__contains=identity.search_key(search))
        normalized = identity.normalized_name(search)
        if normalized:
            condition |= Q(normalized_name__trigram_similar=normalized)
        if search.replace(" ", "").isalnum():
            condition |= Q(tax_id=search.replace(" ", "").upper())
        queryset = queryset.filter(condition)
    for argument, field in (
        ("status", "status"),
        ("grade", "grade"),
        ("classification", "classification"),
    ):
        if filter.get(argument):
            access.require_readable(CUSTOMER, field, argument=argument)
            queryset = queryset.filter(**{f"{field}__in": _values(filter[argument])})
    if filter.get("country"):
        access.require_readable(CUSTOMER, "country", argument="country")
        queryset = queryset.filter(country=identity.country_code(filter["country"]))
    return queryset


class CustomerQueries(graphene.ObjectType):
    customers = relay.ConnectionField(
        CustomerConnection,
        filter=graphene.Argument(CustomerFilter),
        description="The group's golden customers you may view, by code.",
    )
    customer = graphene.Field(
        Customer,
        id=graphene.ID(),
        code=graphene.String(),
        description="One customer by id or code; a merged record answers with `mergedInto`.",
    )
    customer_duplicates = graphene.List(
        graphene.NonNull(DuplicatePair),
        required=True,
        description=f"Pairs of live records that look alike, most alike first (at most "
        f"{REPORT_LIMIT}): the same tax id, or names similar in one country.",
    )

    @staticmethod
    def resolve_customers(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> CustomerConnection:
        try:
            forward_only(last, before)
            queryset = filtered_customers(caller(info), filter)
            page = keyset_page(queryset, kind="Customer", key="code", first=first, after=after)
        except CrmError as error:
            raise graphql_error(error) from error
        info.context.loaders.local_customers.expect(record.pk for record in page.records)
        info.context.loaders.customers.expect(
            key
            for record in page.records
            for key in (record.parent_id, record.merged_into_id)
            if key is not None
        )
        connection: CustomerConnection = connection_from_page(CustomerConnection, page)
        return connection

    @staticmethod
    def resolve_customer(
        _root: None, info: graphene.ResolveInfo, id: str | None = None, code: str | None = None
    ) -> models.Customer:
        try:
            access = caller(info)
            records = models.Customer.objects.filter(group_id=access.business_unit.group_id)
            found: models.Customer = one_by_id_or_code(
                access.visible(CUSTOMER, records), "Customer", CUSTOMER.name, id, code
            )
        except CrmError as error:
            raise graphql_error(error) from error
        return found

    @staticmethod
    def resolve_customer_duplicates(_root: None, info: graphene.ResolveInfo) -> list[Any]:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, CUSTOMER)
            for name in ("legal_name", "tax_id", "country"):
                access.require_readable(CUSTOMER, name, argument="customerDuplicates")
        except CrmError as error:
            raise graphql_error(error) from error
        pairs = _duplicate_pairs(access.business_unit.group_id)
        ids = {pk for a, b, _score, _reason in pairs for pk in (a, b)}
        visible = {
            c.pk: c for c in access.visible(CUSTOMER, models.Customer.objects.filter(pk__in=ids))
        }
        return [
            DuplicatePair(first=visible[a], second=visible[b], score=score, reason=reason)
            for a, b, score, reason in pairs
            if a in visible and b in visible
        ]


def _duplicate_pairs(group_id: int) -> list[tuple[int, int, Any, str]]:
    """One statement over the group: trigram-indexed name similarity, or an equal tax id."""
    table = models.Customer._meta.db_table
    sql = f"""
        SELECT a.id, b.id,
               CASE WHEN a.tax_id <> '' AND a.tax_id = b.tax_id THEN 1
                    ELSE round(similarity(a.normalized_name, b.normalized_name)::numeric, 3)
               END AS score,
               CASE WHEN a.tax_id <> '' AND a.tax_id = b.tax_id THEN 'TAX_ID' ELSE 'NAME' END
        FROM {table} a
        JOIN {table} b
          ON b.group_id = a.group_id AND b.country = a.country AND a.id < b.id
         AND (a.normalized_name %% b.normalized_name
              OR (a.tax_id <> '' AND a.tax_id = b.tax_id))
        WHERE a.group_id = %s AND a.status <> 'MERGED' AND b.status <> 'MERGED'
        ORDER BY score DESC, a.id, b.id
        LIMIT %s
    """  # noqa: S608 - the table name comes from the model
    with (
        transaction.atomic(),
        duplicates.similarity_threshold(duplicates.SIMILARITY),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [group_id, REPORT_LIMIT])
        return [(a, b, score, reason) for a, b, score, reason in cursor.fetchall()]
