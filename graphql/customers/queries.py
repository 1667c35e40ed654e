"""Customer queries: the group's golden records as the caller may see them; a duplicate report.

A search matches a part of the search text (code, tax id, names in every language), the exact
tax id, or a name having each searched word, give or take one letter (`search_conditions`). Its
pages are read so that their cost stays bounded whether few or very many records match
(`search_page`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

import graphene
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, transaction
from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import (
    Page,
    connection_from_page,
    decode_cursor,
    encode_cursor,
    keyset_page,
    page_size,
)
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
# A search for one word first tests the next SEARCH_WALK records row by row; a search page
# reads the codes of up to SEARCH_CAP matches of each way of matching from its index (see
# search_page).
SEARCH_WALK = 2000
SEARCH_CAP = 300


class CustomerFilter(graphene.InputObjectType):
    search = graphene.String(
        description="Part of the code, tax id or a legal or trade name (any language); the "
        "words of a legal name in any order, a word no customer has read as misspelled by one "
        "letter; or the exact tax id (spaces ignored)."
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
    """The records the `customers` query lists; with a search, the union of its ways."""
    queryset, ways = _filtered(access, filter)
    return _union([queryset.filter(way.indexed) for way in ways]) if ways else queryset


@dataclass(frozen=True)
class Way:
    """One way a record matches a search: as an index reads it, and the same test as the
    planner makes it row by row, in code order (no index matches it)."""

    indexed: Q
    walked: Q


# The search terms, written so that no index matches them: computed for the rows read.
_TERMS_ROW_BY_ROW = Func(
    Func(F("search_text"), template="(%(expressions)s || '')"),
    F("normalized_name"),
    function="customer_search_terms",
    output_field=SearchVectorField(),
)


def _filtered(
    access: Access, filter: dict[str, Any] | None
) -> tuple[QuerySet[models.Customer], list[Way]]:
    """The filtered records and, with a search, the ways of matching it."""
    access.require_some(Action.VIEW, CUSTOMER)
    group_id = access.business_unit.group_id
    records = models.Customer.objects.filter(group_id=group_id)
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
    if not search:
        return queryset, []
    return queryset, search_conditions(search, group_id)


def search_conditions(search: str, group_id: int) -> list[Way]:
    """The ways a record matches `search`, each read from its own index:

    - its search text (code, tax id, names in every language, normalized) contains the search;
    - every word of the search's normalized name is a word of the record's; a word that no
      record of the group has (a typo?) may differ by one character (identity.fuzzy_keys), a
      code-like word (identity.coded) need only be part of the search text;
    - its tax id is the search (spaces ignored).

    They are kept apart (and the records they match united) because an OR of them would be
    checked again row by row, which costs the search terms' function on every row.
    """
    key = identity.search_key(search)
    pairs = _pairs(key.split())
    if pairs:
        contains = _contains(key) & duplicates.matching(models.SEARCH_TERMS, " & ".join(pairs))
    else:
        contains = Q(search_text__contains=key)  # the trigram index
    ways = [Way(contains, _contains(key))]
    name_words = sorted(set(identity.normalized_name(search).split()))
    indexed = [word for word in name_words if not identity.coded(word)]
    if indexed:
        known = _known_words(indexed, group_id)
        query = " & ".join(
            identity.tsquery_term(word)
            if word in known
            else "("
            + " | ".join(map(identity.tsquery_term, sorted(identity.fuzzy_keys(word))))
            + ")"
            for word in indexed
        )
        cheap = Q()
        for word in name_words:
            if identity.coded(word):  # not indexed: part of the text, like a code
                cheap &= _contains(word)
            else:
                cheap &= _pieces(word, 2 if word in known else 3)
        ways.append(
            Way(
                cheap & duplicates.matching(models.SEARCH_TERMS, query),
                cheap & duplicates.matching(_TERMS_ROW_BY_ROW, query),
            )
        )
    if search.replace(" ", "").isalnum():
        tax_id = Q(tax_id=search.replace(" ", "").upper())
        ways.append(Way(tax_id, tax_id))
    return ways


def _contains(part: str) -> Q:
    return Q(GreaterThan(StrIndex("search_text", Value(part)), 0))


def _pieces(word: str, count: int) -> Q:
    """Search texts containing one of `count` pieces of `word`: true wherever the word's keys
    match (and cheap to test, unlike the terms' function, where the planner reads in code order).

    A word one character longer (the key of a known word) keeps one of two halves whole; one
    character left out of each (the keys of an unknown word), one of three thirds.
    """
    bounds = [round(i * len(word) / count) for i in range(count + 1)]
    parts = {word[a:b] for a, b in itertools.pairwise(bounds) if a < b}
    condition = Q()
    for part in sorted(parts):
        condition |= _contains(part)
    return condition


def _pairs(words: list[str]) -> list[str]:
    """tsquery terms true for every search text containing `words` (three or more) in a row.

    The words between the first and the last are whole words of the text, each followed by
    the next one; pairs of adjacent words are indexed (identity.coded words not as the first
    of a pair), far rarer than the trigrams of common words. Exact pairs if there are; else
    the last pair with its second word as a prefix (a prefix reads every pair it starts: as
    many as there are names with "Co., Ltd.", for "co ltd"); none for fewer than three words.
    """
    inner = [(a, b) for a, b in itertools.pairwise(words[1:-1]) if not identity.coded(a)]
    if inner:
        return [identity.tsquery_term(f"{a} {b}") for a, b in inner]
    if len(words) >= 3 and not identity.coded(words[-2]):
        return [identity.tsquery_term(f"{words[-2]} {words[-1]}") + ":*"]
    return []


def _known_words(words: list[str], group_id: int) -> set[str]:
    """Those of `words` that records of the group have (as keys: as words, or with one character
    more). Their one-character variants would match all the records that have the word too, and
    reading every variant's index entries costs as much as the word's many times over."""
    records = models.Customer.objects.filter(group_id=group_id).order_by()
    found = [
        records.filter(duplicates.matching(models.SEARCH_TERMS, identity.tsquery_term(word)))
        .annotate(word=Value(word))
        .values_list("word", flat=True)[:1]
        for word in words
    ]
    return set(found[0].union(*found[1:], all=True))


def _union(branches: list[QuerySet[models.Customer]]) -> QuerySet[models.Customer]:
    return branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]


def customer_page(
    access: Access, filter: dict[str, Any] | None, *, first: int | None, after: str | None
) -> Page[models.Customer]:
    """The page of the `customers` query: by code; a search through `search_page`."""
    queryset, ways = _filtered(access, filter)
    if ways:
        # One word often matches very many records; several rarely (see search_page).
        one_word = len(identity.search_key((filter or {})["search"]).split()) <= 1
        return search_page(
            queryset,
            ways,
            group_id=access.business_unit.group_id,
            first=first,
            after=after,
            walk=SEARCH_WALK if one_word else 0,
        )
    return keyset_page(queryset, kind="Customer", key="code", first=first, after=after)


def search_page(
    queryset: QuerySet[models.Customer],
    ways: list[Way],
    *,
    group_id: int,
    first: int | None,
    after: str | None,
    walk: int = 0,
) -> Page[models.Customer]:
    """One page of the records of `queryset` matching any of `ways`, by code, as keyset_page
    gives it.

    Which plan suits depends on how many records match, which the planner cannot estimate for
    such conditions. With `walk`, the next `walk` records in code order are tested row by row
    first: when matches are very many, the page is among them. The rest is read from the
    indexes (`_indexed_codes`), whose cost stays bounded for few and for many matches.
    """
    size = page_size(first)
    wanted = size + 1
    start = decode_cursor("Customer", after)[0] if after else ""
    codes: list[str] = []
    tested_all = False
    if walk:
        group_codes = models.Customer.objects.filter(group_id=group_id, code__gt=start)
        ends = group_codes.order_by("code").values_list("code", flat=True)
        end = next(iter(ends[walk - 1 : walk]), None)
        walked = reduce(or_, (way.walked for way in ways)) & Q(code__gt=start)
        if end is not None:
            walked &= Q(code__lte=end)
        rows = duplicates.fetch_rows(
            queryset.filter(walked).order_by("code").values_list("code")[:wanted], "code"
        )
        codes = [code for (code,) in rows]
        tested_all, start = end is None, end or start
    if len(codes) < wanted and not tested_all:
        codes += _indexed_codes(queryset, ways, start, wanted - len(codes))
    page_codes = codes[:wanted]
    records = list(
        models.Customer.objects.filter(group_id=group_id, code__in=page_codes).order_by("code")
    )
    return Page(
        records=records[:size],
        cursors=[encode_cursor("Customer", record.code) for record in records[:size]],
        has_next_page=len(records) > size,
        has_previous_page=bool(after),
        queryset=_union([queryset.filter(way.indexed) for way in ways]),
    )


def _indexed_codes(
    queryset: QuerySet[models.Customer], ways: list[Way], start: str, wanted: int
) -> list[str]:
    """The first `wanted` codes after `start` of records of `queryset` matching any of `ways`.

    First the codes of up to SEARCH_CAP matches of each way, in no particular order (its index,
    then that many rows). A way with fewer has given all its matches. The others have many:
    the codes wanted are among the smallest matching, no greater than the `wanted`-th smallest
    code read; those ways are read again up to that code, in code order, where their index
    meets the code index.
    """
    cap = max(SEARCH_CAP, wanted)
    after = [way.indexed & Q(code__gt=start) for way in ways]
    some = [queryset.filter(c).order_by().values_list("code")[: cap + 1] for c in after]
    found: list[list[str]] = [[] for _ in ways]
    for i, code in _fetch_each(some):
        found[i].append(code)
    codes = sorted({code for some in found for code in some})
    many = [c for c, some in zip(after, found, strict=True) if len(some) > cap]
    if many:
        bound = codes[wanted - 1]
        again = [
            queryset.filter(c & Q(code__lte=bound)).order_by("code").values_list("code")[:wanted]
            for c in many
        ]
        codes = sorted(
            {code for code in codes if code <= bound} | {code for _i, code in _fetch_each(again)}
        )
    return codes[:wanted]


def _fetch_each(querysets: list[QuerySet[Any]]) -> list[tuple[int, Any]]:
    """(i, value) for the rows of one-column querysets[i], all in one statement."""
    parts: list[str] = []
    params: list[Any] = []
    for i, queryset in enumerate(querysets):
        sql, part_params = queryset.query.sql_with_params()
        parts.append(f"(SELECT {i}, q.* FROM ({sql}) AS q)")  # noqa: S608 - Django's SQL
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return list(cursor.fetchall())


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
            page = customer_page(caller(info), filter, first=first, after=after)
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
