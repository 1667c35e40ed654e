"""`make bench` (automation): the time-based scan over 200,000 open leads of one BU.

Builds the test world in a fresh `crm_bench_automation` database (cell `cn`), loads acme.hq's
schema with BENCH_AUTOMATION_LEADS open leads (default 200,000; set-based INSERT, history
triggers off for the load) of which 1% are new, never contacted and older than 24 hours, the
others new and younger or already contacted; the owners are a team with a manager. Then it
runs the shipped rule "new lead not contacted within 24 hours" through the scan twice at the
same time: the first run marks the due leads overdue and notifies the manager (one firing each),
the second finds nothing new. Prints both timings; the target is at most 5 s each.
"""

from __future__ import annotations

import os
import sys
import time

from crm.infra.bench import drop_database, fresh_database

DATABASE = "crm_bench_automation"
LEADS = int(os.environ.get("BENCH_AUTOMATION_LEADS", "200000"))
SELLERS = 10
TARGET_SECONDS = 5.0


def _team() -> list[int]:
    """Ten salespeople of acme.hq in a team managed by one manager (who is notified)."""
    from crm.platform.accounts.models import Membership, Role, Team, User
    from crm.tenants.models import BusinessUnit

    business_unit = BusinessUnit.objects.get(group__code="acme", code="hq")
    role = Role.objects.get(group=business_unit.group, code="front_sales")
    manager = User.objects.create_user(
        username="bench.manager", group=business_unit.group, email="m@bench.example"
    )
    team = Team.objects.create(
        group=business_unit.group, business_unit=business_unit, name="Bench", manager=manager
    )
    sellers = []
    for n in range(SELLERS):
        seller = User.objects.create_user(username=f"bench.seller{n}", group=business_unit.group)
        Membership.objects.create(
            group=business_unit.group, user=seller, role=role, business_unit=business_unit
        )
        team.members.add(seller)
        sellers.append(seller.pk)
    return sellers


def _load(sellers: list[int]) -> float:
    from django.db import connection
    from django_tenants.utils import schema_context

    owners = "ARRAY[" + ",".join(str(pk) for pk in sellers) + "]::bigint[]"
    started = time.perf_counter()
    with schema_context("bu_acme_hq"), connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no history rows for a load
        # i % 100 = 0: new, never contacted, 30 hours old (due). Otherwise (i % 2000) hours old:
        # new when younger than 24 hours, else contacted or qualified.
        cursor.execute(
            f"""
            INSERT INTO leads_lead (first_name, last_name, company_name, email, phone, country,
                region, industry, product_ids, product_line, message, source_id, tags, status,
                invalid_reason, invalid_note, overdue, owner_id, channel, duplicates, custom,
                created_at, updated_at, first_contacted_at)
            SELECT '', '', 'Firma ' || i, '', '', 'CN', '', 'MACHINERY', '{{}}', '', '', NULL,
                   '{{}}',
                   CASE WHEN i %% 100 = 0 OR i %% 2000 < 24 THEN 'NEW'
                        WHEN i %% 2 = 0 THEN 'CONTACTED' ELSE 'QUALIFIED' END,
                   '', '', false, ({owners})[1 + i %% {len(sellers)}], 'FORM', '[]', '{{}}',
                   t.created, t.created,
                   CASE WHEN i %% 100 = 0 OR i %% 2000 < 24 THEN NULL
                        ELSE t.created + interval '2 hours' END
            FROM generate_series(1, %s) AS i,
                 LATERAL (SELECT now() - (CASE WHEN i %% 100 = 0 THEN 30 ELSE i %% 2000 END
                                          || ' hours')::interval AS created) AS t
            """,  # noqa: S608 - numbers only
            [LEADS],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE leads_lead")
    return time.perf_counter() - started


def main() -> int:
    fresh_database(DATABASE, "cn")
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from crm.tenants.automation.models import Firing, Notification
    from crm.tenants.automation.scan import scan_business_unit
    from crm.tenants.models import BusinessUnit
    from crm.tests.fixtures.world import build_world

    try:
        build_world()
        load = _load(_team())
        business_unit = BusinessUnit.objects.select_related("group").get(schema_name="bu_acme_hq")
        print(f"{LEADS:,} open leads in acme.hq loaded in {load:.1f} s, 1% due")
        now = timezone.now()
        slowest = 0.0
        with schema_context(business_unit.schema_name):
            for label in ("first scan (1% due)", "second scan (nothing new)"):
                started = time.perf_counter()
                scans = scan_business_unit(business_unit, now=now)
                seconds = time.perf_counter() - started
                slowest = max(slowest, seconds)
                fired = sum(scan.fired for scan in scans)
                candidates = sum(scan.candidates for scan in scans)
                print(
                    f"  {label:28} {seconds:6.2f} s  ({candidates:,} candidates, {fired:,} fired)"
                )
            firings = Firing.objects.filter(rule__default_code="lead-not-contacted-24h").count()
            notices = Notification.objects.count()
        print(f"  {firings:,} firings, {notices:,} notifications (each due lead exactly once)")
        verdict = "met" if slowest <= TARGET_SECONDS else "MISSED"
        print(f"target: each scan at most {TARGET_SECONDS:.0f} s: {verdict}")
        return 0 if slowest <= TARGET_SECONDS else 1
    finally:
        connection.close()
        drop_database(DATABASE)


if __name__ == "__main__":
    sys.exit(main())
