"""`make bench`: the German BU's daily lists at scale, and the 360° view of a large account.

Builds the test world in a fresh `crm_bench_sales` database (cell `eu`), then loads the acme.de
schema with 200,000 leads, 50,000 accounts (each the BU's view of its own golden customer),
100,000 contacts, 50,000 opportunities spread over the pipeline's stages and 100,000 activities
(set-based INSERTs, history triggers off for the load; leads one a minute and deals one every
five minutes back from now, as a BU's records come, not all at one instant). Then, through the
whole Django stack in-process (middleware, GraphQL view, policy engine), it times 50-node pages
of `leads`, `accounts`, `contacts` and `opportunities` as the BU manager and as a salesperson
(own scope), first pages and pages deep in the list, and counts the SQL statements of the 360°
view of the largest account. Prints median and p95 per query; the target is p95 ≤ 50 ms,
360° ≤ 15 SQL.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from crm.infra.bench import drop_database, fresh_database, graphql_client

DATABASE = "crm_bench_sales"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
LEADS = int(os.environ.get("BENCH_LEADS", "200000"))
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "50000"))
CONTACTS = 2 * ACCOUNTS
OPPORTUNITIES = ACCOUNTS
ACTIVITIES = 2 * ACCOUNTS
SELLERS = 20


def _sellers() -> list[int]:
    """The BU's sales force: 20 front-end salespeople besides the fixture's people."""
    from crm.platform.accounts.models import Membership, Role, User
    from crm.tenants.models import BusinessUnit

    business_unit = BusinessUnit.objects.get(group__code="acme", code="de")
    role = Role.objects.get(group=business_unit.group, code="front_sales")
    ids = [User.objects.get(username="acme.de.sales").pk]
    for number in range(1, SELLERS):
        user = User.objects.create_user(
            username=f"acme.de.seller{number}", password=None, group=business_unit.group
        )
        Membership.objects.create(
            group=business_unit.group, user=user, role=role, business_unit=business_unit
        )
        ids.append(user.pk)
    return ids


def _load(sellers: list[int]) -> dict[str, float]:
    """Set-based INSERTs into the shared schema (golden customers) and acme.de's schema."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from crm.tenants.models import BusinessUnit, Group
    from crm.tenants.opportunities.models import Pipeline

    group = Group.objects.get(code="acme")
    business_unit = BusinessUnit.objects.get(group=group, code="de")
    owners = "ARRAY[" + ",".join(str(pk) for pk in sellers) + "]::bigint[]"
    owner = f"({owners})[1 + (i %% {len(sellers)})]"
    account_owner = f"({owners})[1 + (c.id %% {len(sellers)})]"
    timings: dict[str, float] = {}

    def timed(label: str, sql: str, *params: Any) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        timings[label] = timings.get(label, 0.0) + time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no history rows for a load
    timed(
        "golden customers",
        """
        INSERT INTO customers_customer (group_id, code, legal_name, trade_name, normalized_name,
            search_text, country, tax_id, industry, size, classification, grade, status,
            created_at, updated_at)
        SELECT %s, 'B' || lpad(i::text, 8, '0'), 'Kunde ' || i || ' GmbH', '', 'kunde ' || i,
               'kunde ' || i, 'DE', '', 'MACHINERY', '', 'NORMAL', 'C', 'ACTIVE', now(), now()
        FROM generate_series(1, %s) AS i
        """,
        group.pk,
        ACCOUNTS,
    )
    with schema_context(business_unit.schema_name):
        pipeline = Pipeline.objects.prefetch_related("stages").get(is_default=True)
        stages = list(pipeline.stages.all())
        stage_ids = "ARRAY[" + ",".join(str(s.pk) for s in stages) + "]::bigint[]"
        stage_codes = "ARRAY[" + ",".join(f"'{s.code}'" for s in stages) + "]"
        stage_kinds = "ARRAY[" + ",".join(f"'{s.kind}'" for s in stages) + "]"
        stage_probabilities = "ARRAY[" + ",".join(str(s.probability) for s in stages) + "]"
        pick = f"1 + (i %% {len(stages)})"
        timed(
            "accounts",
            f"""
            INSERT INTO localcustomers_localcustomer (customer_id, local_code, local_name,
                payment_terms, sales_owner_id, former_codes, classification, notes,
                last_follow_up_at, custom, created_at, updated_at)
            SELECT c.id, 'DE-' || substr(c.code, 2), c.legal_name, '30 days', {account_owner},
                   '{{}}', (ARRAY['A','B','C','D'])[1 + c.id %% 4], '',
                   now() - ((c.id %% 30) || ' days')::interval, '{{}}', now(), now()
            FROM (SELECT id, code, legal_name FROM customers_customer
                  WHERE group_id = %s AND code LIKE 'B%%') AS c
            """,  # noqa: S608 - ids and codes from the database
            group.pk,
        )
        timed(
            "contacts",
            """
            INSERT INTO contacts_contact (account_id, first_name, last_name, first_name_latin,
                last_name_latin, job_title, buying_role, email, phone, mobile, language,
                consent_email, consent_phone, owner_id, custom, created_at, updated_at)
            SELECT a.id, 'Vorname' || i, 'Nachname' || i, '', '', 'Einkauf',
                   'COMMERCIAL_BUYER', 'kontakt' || i || '@example.de', '+49301234' || i, '',
                   'de', i %% 3 = 0, false, a.sales_owner_id, '{}', now(), now()
            FROM (SELECT id, sales_owner_id, row_number() OVER (ORDER BY id) AS n
                  FROM localcustomers_localcustomer) AS a,
                 LATERAL (SELECT a.n * 2 - k AS i FROM generate_series(0, 1) AS k) AS numbers
            """,
        )
        timed(
            "leads",
            f"""
            INSERT INTO leads_lead (first_name, last_name, company_name, email, phone, country,
                region, industry, product_ids, product_line, message, source_id, tags, status,
                invalid_reason, invalid_note, overdue, owner_id, channel, duplicates, custom,
                created_at, updated_at)
            SELECT 'Interessent' || i, 'Name' || i, 'Firma ' || i, 'lead' || i || '@example.de',
                   '+4940555' || i, 'DE', '', 'MACHINERY', '{{}}', '', '', NULL, '{{}}',
                   (ARRAY['NEW','CONTACTED','QUALIFIED','INVALID','CONVERTED'])[1 + i %% 5],
                   CASE WHEN i %% 5 = 3 THEN 'SPAM' ELSE '' END, '', false, {owner}, 'FORM',
                   '[]', '{{}}', now() - make_interval(mins => i::int), now()
            FROM generate_series(1, %s) AS i
            """,  # noqa: S608
            LEADS,
        )
        timed(
            "opportunities",
            f"""
            INSERT INTO opportunities_opportunity (name, account_id, pipeline_id, stage_id,
                stage_code, status, owner_id, deal_class, grade, amount, currency, amount_bu,
                amount_group, fx_date, expected_close, close_note, probability, custom,
                created_at, updated_at, stage_entered_at)
            SELECT 'Projekt ' || i, a.id, %s, ({stage_ids})[{pick}], ({stage_codes})[{pick}],
                   ({stage_kinds})[{pick}], a.sales_owner_id, 'NEW_BUSINESS', 'B',
                   1000 + i, 'EUR', 1000 + i, round((1000 + i) / 0.128, 2), current_date,
                   current_date + (i %% 180)::int, '', ({stage_probabilities})[{pick}], '{{}}',
                   now() - make_interval(mins => 5 * i::int), now(), now()
            FROM (SELECT id, sales_owner_id, row_number() OVER (ORDER BY id) AS i
                  FROM localcustomers_localcustomer) AS a
            """,  # noqa: S608
            pipeline.pk,
        )
        timed(
            "activities",
            """
            INSERT INTO contacts_activity (kind, subject, body, occurred_at, owner_id, account_id,
                contact_id, created_at)
            SELECT (ARRAY['CALL','VISIT','EMAIL','MEETING','NOTE'])[1 + c.id %% 5],
                   'Gespräch ' || c.id, '', now() - ((c.id %% 60) || ' days')::interval,
                   c.owner_id, c.account_id, c.id, now()
            FROM contacts_contact AS c
            """,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            for table in (
                "leads_lead",
                "contacts_contact",
                "contacts_activity",
                "localcustomers_localcustomer",
                "opportunities_opportunity",
            ):
                cursor.execute(f"ANALYZE {table}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    return timings


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def _time(
    ask: Callable[[str, dict[str, Any]], Any], query: str, variables: dict[str, Any]
) -> list[float]:
    samples = []
    for round_ in range(ROUNDS + 10):
        started = time.perf_counter()
        ask(query, variables)
        if round_ >= 10:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


LIST_FIELDS = {
    "leads": "id companyName lastName email status tags overdue owner { username } "
    "source { code name } createdAt permissions { actions }",
    "accounts": "id localCode localName classification lastFollowUpAt salesOwner { username } "
    "customer { code legalName country }",
    "contacts": "id firstName lastName email buyingRole account { localCode }",
    "opportunities": "id name stage { code name } status owner { username } "
    "amount { amount currency } amountGroup { amount currency } expectedClose probability "
    "account { localCode }",
}
PAGE = """query($first: Int!, $after: String) { %s(first: $first, after: $after) {
  pageInfo { endCursor } edges { node { %s } } } }"""
ACCOUNT_360 = """query($id: ID!) { account(id: $id) {
  localCode localName classification lastFollowUpAt salesOwner { username }
  customer { code legalName country taxId industry grade creditLimit { amount currency } }
  contacts(first: 20) { id firstName lastName email buyingRole }
  activities(first: 20) { id kind subject occurredAt }
  openOpportunities(first: 20) { id name stage { code name } amount { amount currency }
    team { role user { username } } }
  closedOpportunities(first: 20) { id name status closedOn }
  tasks(first: 20) { id title dueAt status }
  customFields { code } permissions { actions } } }"""


def _deep_cursor(ask: Callable[[str, dict[str, Any]], dict[str, Any]], name: str) -> str:
    """A cursor 20 pages into the list: deep pages must cost what the first one does."""
    query = PAGE % (name, "id")
    after = None
    for _ in range(20):
        body = ask(query, {"first": 50, "after": after})
        after = body["data"][name]["pageInfo"]["endCursor"]
    return str(after)


def _statements(ask: Callable[[str, dict[str, Any]], Any], query: str, variables: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        ask(query, variables)
    return len(queries)


def main() -> int:
    started = time.perf_counter()
    fresh_database(DATABASE, "eu", replica_seed=True)
    from graphql_relay import to_global_id

    from crm.tests.fixtures.world import build_world

    build_world()
    sellers = _sellers()
    timings = _load(sellers)
    print(
        f"loaded in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timings.items())
    )
    print(
        f"{LEADS:,} leads, {ACCOUNTS:,} accounts, {CONTACTS:,} contacts, "
        f"{OPPORTUNITIES:,} opportunities, {ACTIVITIES:,} activities; {ROUNDS} rounds each"
    )
    results: list[tuple[str, float, float]] = []
    for username in ("acme.de.manager", "acme.de.sales"):
        ask = graphql_client(username)
        for name, fields in LIST_FIELDS.items():
            query = PAGE % (name, fields)
            first = _time(ask, query, {"first": 50})
            results.append(
                (f"{name}(first: 50) as {username}", statistics.median(first), _p95(first))
            )
            after = _deep_cursor(ask, name)
            deep = _time(ask, query, {"first": 50, "after": after})
            results.append(
                (f"{name}(first: 50, page 21) as {username}", statistics.median(deep), _p95(deep))
            )
    for label, median, p95 in results:
        print(f"{label:55s} median {median:6.1f} ms  p95 {p95:6.1f} ms")
    worst = max(p95 for _label, _median, p95 in results)

    # The 360° view of the account with the most contacts, activities and deals.
    from django.db import connection
    from django_tenants.utils import schema_context

    from crm.tenants.models import BusinessUnit

    de = BusinessUnit.objects.get(group__code="acme", code="de")
    with schema_context(de.schema_name), connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id FROM contacts_activity GROUP BY account_id "
            "ORDER BY count(*) DESC, account_id LIMIT 1"
        )
        (account_id,) = cursor.fetchone()
    manager = graphql_client("acme.de.manager")
    variables = {"id": to_global_id("Account", account_id)}
    manager(ACCOUNT_360, variables)
    statements = _statements(manager, ACCOUNT_360, variables)
    view = _time(manager, ACCOUNT_360, variables)
    print(
        f"{'account 360° view as acme.de.manager':55s} median {statistics.median(view):6.1f} ms"
        f"  p95 {_p95(view):6.1f} ms  {statements} SQL statements"
    )
    print(
        f"worst list p95 {worst:.1f} ms (target ≤ 50 ms); 360° view {statements} statements "
        "(target ≤ 15)"
    )
    drop_database(DATABASE)
    return 0 if worst <= 50 and statements <= 15 else 1


if __name__ == "__main__":
    sys.exit(main())
