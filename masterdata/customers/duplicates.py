"""Finding records that may be the same company: same tax id, or a similar name in one country.

Names are compared with PostgreSQL's pg_trgm `similarity` on the normalized name; `SIMILARITY`
is the score (rounded to three decimals) from which a name counts as similar.

Among a million names, the index must already discard nearly every name that cannot reach the
score, also when every trigram of the name is common. Migration 0007 indexes each name's
trigrams under keys "country:n:trigram", n being the name's number of trigrams. A name of n
trigrams sharing c of the q trigrams of the described name scores c / (q + n - c), so it can
reach the score only if n lies in a narrow range around q and c is large enough for that n
(`_buckets`); one tsquery per such n asks for that many shared trigrams, and the exact score
is then computed for the few names found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import BooleanField, DecimalField, Expression, Func, Q, QuerySet
from django.db.models.functions import Round

from crm.masterdata.customers.identity import tsquery_term
from crm.masterdata.customers.models import NAME_TRIGRAMS, Customer, CustomerStatus

SIMILARITY = 0.6
LIMIT = 10
# Below every similarity that rounds to SIMILARITY (0.5995 does), with room for float4 rounding.
_FLOOR = 0.5995 - 1e-6
# Names with more trigrams make long tsqueries: pg_trgm's `%` on its GIN index finds them.
MAX_TRIGRAMS = 60
# Similar names read at once; if there are that many, they are read a few lengths at a time,
# from the best possible score down (_best_by_length).
CANDIDATES = 300
LENGTHS_AT_ONCE = 4


@dataclass(frozen=True)
class Candidate:
    customer: Customer
    score: Decimal  # 1 for the same tax id; the name similarity otherwise
    reason: str  # "TAX_ID" or "NAME"


def candidates(
    records: QuerySet[Customer],
    *,
    country: str,
    normalized_name: str,
    tax_id: str,
    exclude_pk: int | None = None,
) -> list[Candidate]:
    """Existing, unmerged records of `records` that look like the described company."""
    pool = records.exclude(status=CustomerStatus.MERGED)
    if exclude_pk is not None:
        pool = pool.exclude(pk=exclude_pk)
    found: dict[int, Candidate] = {}
    if tax_id:
        for customer in pool.filter(country=country, tax_id=tax_id).order_by("code")[:LIMIT]:
            found[customer.pk] = Candidate(customer, Decimal(1), "TAX_ID")
    if normalized_name:
        for customer, score in _similar_names(pool, country, normalized_name):
            found.setdefault(customer.pk, Candidate(customer, score, "NAME"))
    return sorted(found.values(), key=lambda c: (-c.score, c.customer.code))[:LIMIT]


def _similar_names(
    pool: QuerySet[Customer], country: str, name: str
) -> list[tuple[Customer, Decimal]]:
    """The LIMIT records of `pool` in `country` with the names most similar to `name` (from
    SIMILARITY on), with their scores."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT show_trgm(%s)", [name])
        (trigrams,) = cursor.fetchone()
    if not trigrams:
        return []
    similarity = TrigramSimilarity("normalized_name", name)
    numeric = Func(similarity, template="(%(expressions)s)::numeric", output_field=DecimalField())
    scored = pool.annotate(score=Round(numeric, 3)).filter(score__gte=Decimal(str(SIMILARITY)))
    if len(trigrams) > MAX_TRIGRAMS:
        with transaction.atomic(), similarity_threshold(_FLOOR):
            similar = scored.filter(country=country, normalized_name__trigram_similar=name)
            found = list(similar.order_by("-score", "code")[:LIMIT])
        return [(customer, customer.score) for customer in found]
    buckets = _buckets(country, _in_order(name, trigrams))
    if not buckets:
        return []
    # The country is in the keys: a filter on it could only make the planner combine them
    # with the (group, country, tax id) index, a bitmap of the whole country.
    rows_of = scored.order_by().values_list("id", "code", "score")
    every_length = matching(NAME_TRIGRAMS, *(query for _best, query in buckets))
    rows = fetch_rows(rows_of.filter(every_length)[:CANDIDATES], "id", "code", "score")
    if len(rows) >= CANDIDATES:
        rows = _best_by_length(rows_of, buckets)
    best = sorted(rows, key=lambda row: (-row[2], row[1]))[:LIMIT]
    customers = Customer.objects.order_by().in_bulk([pk for pk, _code, _score in best])
    return [(customers[pk], score) for pk, _code, score in best]


def _best_by_length(
    rows_of: QuerySet[Any], buckets: list[tuple[float, str]]
) -> list[tuple[int, str, Decimal]]:
    """The LIMIT best (id, code, score) of `rows_of` among many similar names: a few lengths
    at a time, best possible score first, until no other length can beat or tie the LIMIT-th
    score found."""
    markers = [f"\x00query {i}" for i in range(LENGTHS_AT_ONCE)]
    matches = matching(NAME_TRIGRAMS, *markers)
    sql, params = _sql(rows_of.filter(matches), "id", "code", "score")
    values = list(params)
    at = [values.index(marker) for marker in markers]
    found: list[tuple[int, str, Decimal]] = []
    with connection.cursor() as cursor:
        for first in range(0, len(buckets), LENGTHS_AT_ONCE):
            # Rounded to three decimals, no name of these lengths scores above best + 0.0005.
            best = buckets[first][0]
            if len(found) >= LIMIT and found[LIMIT - 1][2] > best + 0.0006:
                break
            queries = [query for _best, query in buckets[first : first + LENGTHS_AT_ONCE]]
            for i, index in enumerate(at):
                values[index] = queries[min(i, len(queries) - 1)]
            cursor.execute(sql, values)
            found = sorted(found + cursor.fetchall(), key=lambda row: (-row[2], row[1]))[:LIMIT]
    return found


def _in_order(name: str, trigrams: list[str]) -> list[str]:
    """pg_trgm's (sorted) trigrams of `name` in the order they occur in it, as far as they are
    spelled out (others, hashed, last): dealt into groups in this order, each group takes
    trigrams of several words, which few names have together."""
    position: dict[str, int] = {}
    for word in name.split():
        padded = f"  {word} "
        for i in range(len(padded) - 2):
            position.setdefault(padded[i : i + 3], len(position))
    return sorted(trigrams, key=lambda trigram: position.get(trigram, len(position)))


def _buckets(country: str, trigrams: list[str]) -> list[tuple[float, str]]:
    """(best possible score, tsquery over customer_name_trigrams) for each name length n (in
    trigrams) that can reach the score, best first; each tsquery is true for every name of
    `country` of that length that can.

    With q trigrams to match and c shared, similarity c / (q + n - c) >= t needs
    n in [t·q, q/t] (as c <= min(q, n)) and c >= t·(q + n) / (1 + t); at best it is
    min(q, n) / max(q, n). A name sharing at least c misses at most q - c of the q trigrams:
    dealt into q - c + 1 groups, at least one group lies entirely in the name, and the query
    asks for any one whole group.
    """
    q = len(trigrams)
    buckets = []
    for n in range(math.ceil(_FLOOR * q), math.floor(q / _FLOOR) + 1):
        shared = math.ceil(_FLOOR * (q + n) / (1 + _FLOOR))
        if shared > min(q, n):
            continue
        groups = q - shared + 1
        prefix = f"{country}:{n}:"
        query = " | ".join(
            "(" + " & ".join(tsquery_term(prefix + t) for t in trigrams[i::groups]) + ")"
            for i in range(groups)
        )
        buckets.append((min(q, n) / max(q, n), query))
    return sorted(buckets, key=lambda bucket: -bucket[0])


def fetch_rows(queryset: QuerySet[Any], *columns: str) -> list[tuple[Any, ...]]:
    """The `columns` of a values queryset's rows, as plain tuples: without the per-row cost of
    the model's (modeltranslation) queryset iterator, which exceeds the query's for many rows."""
    sql, params = _sql(queryset, *columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _sql(queryset: QuerySet[Any], *columns: str) -> tuple[str, tuple[Any, ...]]:
    # Django may order a values queryset's columns otherwise than asked: select them by name.
    sql, params = queryset.query.sql_with_params()
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    return f"SELECT {names} FROM ({sql}) AS found", params  # noqa: S608 - Django's SQL


class Matching(Expression):
    """`terms @@ query1 OR terms @@ query2 …`: an indexed tsvector expression of the record
    against tsqueries in their text form (one bitmap index scan each)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, terms: Func, queries: list[str]) -> None:
        super().__init__()
        self.terms = terms
        self.queries = queries

    def get_source_expressions(self) -> list[Any]:
        return [self.terms]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.terms,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.terms)
        matches = " OR ".join(f"{sql} @@ %s::tsquery" for _ in self.queries)
        return f"({matches})", [p for query in self.queries for p in (*params, query)]


def matching(terms: Func, *queries: str) -> Q:
    """Records whose `terms` (models.SEARCH_TERMS, models.NAME_TRIGRAMS) match any of `queries`."""
    return Q(Matching(terms, list(queries)))


class similarity_threshold:  # noqa: N801 - used like a function, as a context manager
    """`%` (trigram_similar) matches from `value` on, inside the current transaction.

    With the threshold at the score that counts, the GIN index itself discards weak matches,
    instead of the database scoring every row that shares one trigram.
    """

    def __init__(self, value: float) -> None:
        self.value = value
        self.previous = ""

    def __enter__(self) -> None:
        with connection.cursor() as cursor:
            # NULL until pg_trgm is first used in the session: then it is the default, 0.3.
            cursor.execute("SELECT current_setting('pg_trgm.similarity_threshold', true)")
            (previous,) = cursor.fetchone()
            self.previous = previous or "0.3"
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(self.value)]
            )

    def __exit__(self, *_exc: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [self.previous]
            )
