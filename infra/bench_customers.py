"""`make bench` (second part): duplicate check and name search among a million golden customers.

Loads BENCH_CUSTOMERS (default 1,000,000) customers of one group into a fresh `crm_bench_cust`
database with one INSERT … SELECT (names built from word lists, so that many share words, as
real company names do; history triggers are off during the load), then times, for 200 company
names each:

- the duplicate check a create runs (`duplicates.candidates`: same tax id, or a similar name
  in the country, by the trigram keys of migration 0007);
- the name search of the `customers` query (`customer_page` with `search`, first 20), as the
  steward sees it, through the permission engine.

It prints the median and 95th percentile of each; the targets are p95 ≤ 50 ms. For information
(not part of the target) it also times searches for one word of the lists (very many matches)
and for names with one letter wrong or two swapped.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from crm.infra.bench import drop_database, fresh_database, steward_access

DATABASE = "crm_bench_cust"
COUNT = int(os.environ.get("BENCH_CUSTOMERS", "1000000"))
PROBES = 200
FIRST = [
    "Nord",
    "Süd",
    "West",
    "Ost",
    "Alpha",
    "Beta",
    "Global",
    "Precision",
    "Dynamic",
    "Euro",
    "Asia",
    "Pacific",
    "Atlantic",
    "Rhein",
    "Main",
    "Elbe",
    "Donau",
    "Alpen",
    "Hanse",
    "Bavaria",
    "Saxonia",
    "Nova",
    "Prime",
    "United",
    "Royal",
    "Smart",
    "Green",
    "Blue",
    "Red",
    "Silver",
    "Golden",
    "Iron",
    "Steel",
    "Crystal",
    "Quantum",
    "Vector",
    "Delta",
    "Omega",
    "Sigma",
    "Apex",
]
SECOND = [
    "Maschinenbau",
    "Elektronik",
    "Display",
    "Optik",
    "Automotive",
    "Logistik",
    "Technik",
    "Systems",
    "Solutions",
    "Components",
    "Instruments",
    "Medical",
    "Energy",
    "Robotics",
    "Software",
    "Panels",
    "Glas",
    "Sensorik",
    "Antriebe",
    "Werkzeuge",
    "Kunststoff",
    "Chemie",
    "Pharma",
    "Textil",
    "Papier",
    "Holz",
    "Metall",
    "Handel",
    "Bau",
    "Motoren",
]
FORMS = ["GmbH", "AG", "KG", "SE", "GmbH & Co. KG", "Ltd.", "Inc.", "S.A.", "B.V.", "Co., Ltd."]


def _load(group_id: int) -> float:
    """COUNT customers in one statement; returns the seconds it took.

    The normalized name and the search text are those `Customer.save` would store (legal form
    dropped from the one, punctuation from the other), built from the same parts in SQL.
    """
    from django.db import connection

    from crm.masterdata.customers import identity

    def array(words: list[str]) -> str:
        return "ARRAY[" + ",".join("'" + w.replace("'", "''") + "'" for w in words) + "]"

    first = f"({array(FIRST)})[1 + (i * 7) %% {len(FIRST)}]"
    second = f"({array(SECOND)})[1 + (i * 13) %% {len(SECOND)}]"
    third = f"({array(FIRST)})[1 + (i / 1200) %% {len(FIRST)}]"
    form = f"({array(FORMS)})[1 + (i * 3) %% {len(FORMS)}]"
    form_key = f"({array([identity.search_key(f) for f in FORMS])})[1 + (i * 3) %% {len(FORMS)}]"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no history rows for a load
        cursor.execute(
            f"""
            INSERT INTO customers_customer (group_id, code, legal_name, trade_name,
                normalized_name, search_text, country, tax_id, industry, size, classification,
                grade, status, created_at, updated_at)
            SELECT %s, code, words || ' ' || form || ' ' || number, '',
                   lower(words || ' ' || number),
                   lower(concat_ws(' ', code, nullif(tax_id, ''), words, form_key, number)),
                   (ARRAY['DE','FR','CN','JP','US','IT','ES','NL'])[1 + i %% 8],
                   tax_id, '', '', 'NORMAL', 'C', 'ACTIVE', now(), now()
            FROM (
                SELECT i, 'C' || lpad(i::text, 8, '0') AS code,
                       {first} || ' ' || {second} || ' ' || {third} AS words,
                       {form} AS form, {form_key} AS form_key, (i %% 997)::text AS number,
                       CASE WHEN i %% 8 = 0 THEN 'DE' || lpad((i * 37 %% 999999999)::text, 9, '0')
                            ELSE '' END AS tax_id
                FROM generate_series(1, %s) AS i
            ) AS names
            """,  # noqa: S608 - built from the word lists above
            [group_id, COUNT],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE customers_customer")
    return time.perf_counter() - started


def _misspelled(generator: random.Random, name: str) -> str:
    """`name` with, in its first two words, one letter replaced or two neighbours swapped."""
    words = name.split(" ")
    i = generator.randrange(2)
    word = words[i]
    at = generator.randrange(1, len(word) - 1)
    if generator.random() < 0.5:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    else:
        word = word[:at] + generator.choice("aeiou") + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def _time(probe: Callable[[str], Any], names: list[str]) -> list[float]:
    for name in names[:10]:
        probe(name)
    samples = []
    for name in names:
        start = time.perf_counter()
        probe(name)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _report(label: str, samples: list[float]) -> float:
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"  {label:34} median {statistics.median(samples):6.2f} ms  p95 {p95:6.2f} ms")
    return p95


def main() -> int:
    fresh_database(DATABASE, "cn")
    from crm.graphql.customers.queries import customer_page
    from crm.masterdata.customers import duplicates, identity
    from crm.masterdata.customers.access import CUSTOMER
    from crm.masterdata.customers.models import Customer

    access = steward_access()
    group = access.business_unit.group

    seconds = _load(group.pk)
    print(f"{COUNT:,} golden customers loaded in {seconds:.1f} s")
    generator = random.Random(7)  # noqa: S311 - sample names, not secrets
    names = [
        f"{generator.choice(FIRST)} {generator.choice(SECOND)} {generator.choice(FORMS)}"
        for _ in range(PROBES)
    ]
    records = Customer.objects.filter(group=group)

    def duplicate_check(name: str) -> Any:
        # As customer_create runs it: among the records the steward may view.
        return duplicates.candidates(
            access.visible(CUSTOMER, records),
            country="DE",
            normalized_name=identity.normalized_name(name),
            tax_id="DE000000000",
        )

    def search(name: str) -> Any:
        return customer_page(access, {"search": name}, first=20, after=None).records

    print(f"{PROBES} names each, as the group's steward:")
    worst = max(
        _report("duplicate check on create", _time(duplicate_check, names)),
        _report("name search (first 20)", _time(search, names)),
    )
    print("  target: p95 <= 50 ms")
    print("for information:")
    words = [generator.choice(SECOND) for _ in range(PROBES // 4)]
    _report("search for one word", _time(search, words))
    _report(
        "search for a misspelled name", _time(search, [_misspelled(generator, n) for n in names])
    )
    from django.db import connections

    connections.close_all()
    drop_database(DATABASE)
    return 0 if worst <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
