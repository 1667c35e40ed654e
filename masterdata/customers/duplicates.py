"""Finding records that may be the same company: same tax id, or a similar name in one country.

Names are compared with PostgreSQL's pg_trgm on the normalized name (a GIN trigram index keeps
this fast on a million records); `SIMILARITY` is the score from which a name counts as similar.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.search import TrigramDistance
from django.db import connection
from django.db.models import QuerySet

from crm.masterdata.customers.models import Customer, CustomerStatus

SIMILARITY = 0.6
LIMIT = 10


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
    pool = records.filter(country=country).exclude(status=CustomerStatus.MERGED)
    if exclude_pk is not None:
        pool = pool.exclude(pk=exclude_pk)
    found: dict[int, Candidate] = {}
    if tax_id:
        for customer in pool.filter(tax_id=tax_id)[:LIMIT]:
            found[customer.pk] = Candidate(customer, Decimal(1), "TAX_ID")
    if normalized_name:
        # Nearest names first (the `<->` distance), read from the GiST index on (group,
        # country, name) without scoring every record that shares a trigram; then the cut.
        nearest = pool.annotate(
            distance=TrigramDistance("normalized_name", normalized_name)
        ).order_by("distance", "code")[:LIMIT]
        for customer in nearest:
            score = Decimal(str(round(1 - customer.distance, 3)))
            if score >= Decimal(str(SIMILARITY)):
                found.setdefault(customer.pk, Candidate(customer, score, "NAME"))
    return sorted(found.values(), key=lambda c: (-c.score, c.customer.code))[:LIMIT]


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
