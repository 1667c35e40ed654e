"""The residency scan's runtime for a cell with 100 business units.

Builds a fresh `crm_bench_residency` database as cell `eu`: a group homed in eu with 100 BUs
(schemas cloned from the template, 200 leads each), 10 people per BU with a role and a token,
a group-level admin, 100,000 audit entries and 10,000 history contexts spread over the BUs;
and, as a replica would hold them, another group's 40 BUs homed in cn and ap (directory rows
only). 1,000 task messages for the local BUs wait in a queue of the broker. Then it times
`scan_cell` (median and worst of the rounds) on the clean cell, and once more after polluting
it with one foreign schema, one foreign user and one foreign task, which must be found.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from crm.infra.bench import drop_database, fresh_database

DATABASE = "crm_bench_residency"
BUSINESS_UNITS = int(os.environ.get("BENCH_BUSINESS_UNITS", "100"))
FOREIGN_UNITS = 40
PEOPLE_PER_UNIT = 10
LEADS_PER_UNIT = 200
AUDIT_ENTRIES = 100_000
CONTEXTS = 10_000
MESSAGES = 1_000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
QUEUE = "crm-bench-residency"  # a queue of its own: no worker of a running cell takes these


def _regions() -> None:
    from crm.regions.models import Region

    for code, jurisdiction in (("cn", "PIPL"), ("eu", "GDPR"), ("ap", "APPI")):
        Region.objects.update_or_create(
            code=code,
            defaults={
                "name": code.upper(),
                "jurisdiction": jurisdiction,
                "api_endpoint": f"https://{code}.cells.example/graphql/",
            },
        )


def _provision() -> float:
    from django.db import connection, transaction

    from crm.platform.permissions.defaults import install_default_policy
    from crm.regions.models import Region
    from crm.tenants.models import BusinessUnit, BusinessUnitKind, Group
    from crm.tenants.provisioning import ensure_template_schema, provision_business_unit

    ensure_template_schema()
    eu = Region.objects.get(code="eu")
    group = Group.objects.create(
        code="bench", name="Bench", currency="EUR", default_language="en", home_region=eu
    )
    install_default_policy(group)
    started = time.perf_counter()
    for number in range(BUSINESS_UNITS):
        provision_business_unit(
            group=group,
            code=f"u{number:03d}",
            name=f"Unit {number}",
            kind=BusinessUnitKind.SUBSIDIARY,
            region=eu,
            language="en",
            currency="EUR",
            time_zone="Europe/Berlin",
        )
    provisioned = time.perf_counter() - started
    # Another group's BUs, homed elsewhere: directory rows only, as replication brings them.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL crm.replicating = 'on'")
        other = Group.objects.create(
            code="faraway",
            name="Far away",
            currency="CNY",
            default_language="en",
            home_region_id="cn",
        )
        BusinessUnit.objects.bulk_create(
            [
                BusinessUnit(
                    group=other,
                    code=f"f{number:03d}",
                    name=f"Far {number}",
                    kind=BusinessUnitKind.SUBSIDIARY,
                    region_id="cn" if number % 2 else "ap",
                    language="en",
                    currency="CNY",
                    time_zone="Asia/Shanghai",
                    schema_name=BusinessUnit.schema_name_for("faraway", f"f{number:03d}"),
                )
                for number in range(FOREIGN_UNITS)
            ]
        )
    return provisioned


def _load() -> None:
    """People, tokens, audit entries, contexts and leads: set-based INSERTs."""
    from django.db import connection

    from crm.tenants.models import BusinessUnit, Group

    group = Group.objects.get(code="bench")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, group_id, language)
            SELECT '!', false, 'bench.' || bu.code || '.p' || n, 'First', 'Last',
                   'p' || n || '@' || bu.code || '.example', false, true, now(), %s, ''
            FROM tenants_businessunit bu CROSS JOIN generate_series(1, %s) n
            WHERE bu.group_id = %s
            """,
            [group.pk, PEOPLE_PER_UNIT, group.pk],
        )
        cursor.execute(
            """
            INSERT INTO accounts_membership (group_id, user_id, role_id, business_unit_id)
            SELECT %s, u.id, r.id, bu.id
            FROM accounts_user u
            JOIN tenants_businessunit bu
              ON bu.group_id = %s AND u.username LIKE 'bench.' || bu.code || '.p%%'
            JOIN accounts_role r ON r.group_id = %s AND r.code = 'front_sales'
            """,
            [group.pk, group.pk, group.pk],
        )
        cursor.execute(
            """
            INSERT INTO accounts_usertoken (prefix, digest, created_at, user_id)
            SELECT substr(md5(u.id::text), 1, 8), md5(u.id::text) || md5(u.username), now(), u.id
            FROM accounts_user u WHERE u.group_id = %s
            """,
            [group.pk],
        )
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined, group_id, language)"
            " VALUES ('!', false, 'bench.admin', 'A', 'B', '', false, true, now(), %s, '')",
            [group.pk],
        )
        cursor.execute(
            "INSERT INTO accounts_membership (group_id, user_id, role_id, business_unit_id)"
            " SELECT %s, u.id, r.id, NULL FROM accounts_user u, accounts_role r"
            " WHERE u.username = 'bench.admin' AND r.group_id = %s AND r.code = 'group_admin'",
            [group.pk, group.pk],
        )
        cursor.execute(
            """
            INSERT INTO permissions_auditentry (group_id, business_unit_id, at, event, user_id,
                actor, action, object_type, object_ids, field, code, origin, user_agent, details)
            SELECT %s, m.business_unit_id, now() - n * interval '1 minute', 'PERSONAL_READ',
                   m.user_id, 'bench', 'view', 'lead', ARRAY[n::text], '', '', '', '', '{}'
            FROM generate_series(1, %s) n
            JOIN LATERAL (
                SELECT business_unit_id, user_id FROM accounts_membership
                WHERE business_unit_id IS NOT NULL
                OFFSET (n %% %s) LIMIT 1
            ) m ON true
            """,
            [group.pk, AUDIT_ENTRIES, BUSINESS_UNITS * PEOPLE_PER_UNIT],
        )
        cursor.execute(
            """
            INSERT INTO pghistory_context (id, created_at, updated_at, metadata)
            SELECT gen_random_uuid(), now(), now(),
                   jsonb_build_object('business_unit', 'bench.u' || lpad((n %% %s)::text, 3, '0'),
                                      'user_id', n %% 1000 + 1, 'operation', 'Bench')
            FROM generate_series(1, %s) n
            """,
            [BUSINESS_UNITS, CONTEXTS],
        )
    for business_unit in BusinessUnit.objects.filter(group=group):
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{business_unit.schema_name}".leads_lead (first_name, last_name,'  # noqa: S608
                " company_name, email, phone, country, region, industry, product_ids,"
                " product_line, message, tags, status, invalid_reason, invalid_note, overdue,"
                " channel, capture_digest, duplicates, custom, created_at, updated_at)"
                " SELECT 'F', 'Lead ' || n, 'Co', 'l' || n || '@x.example', '', 'DE', '', '',"
                " '{}', '', '', '{}', 'NEW', '', '', false, 'API', '', '[]', '{}', now(), now()"
                " FROM generate_series(1, %s) n",
                [LEADS_PER_UNIT],
            )


def _queue(broker_url: str) -> None:
    """Messages as tenant-schemas-celery sends them, for the local BUs."""
    import redis

    from crm.platform.celery_app import app
    from crm.tenants.models import BusinessUnit

    schemas = list(
        BusinessUnit.objects.filter(group__code="bench").values_list("schema_name", flat=True)
    )
    redis.Redis.from_url(broker_url).delete(QUEUE)
    with app.producer_or_acquire() as producer:
        for number in range(MESSAGES):
            app.send_task(
                "crm.bench.task",
                kwargs={"record_id": number},
                queue=QUEUE,
                headers={"_schema_name": schemas[number % len(schemas)]},
                producer=producer,
            )


def _time_scan(broker_url: str) -> tuple[list[float], object]:
    from crm.regions.residency import scan_cell

    seconds = []
    report = None
    for _round in range(ROUNDS):
        started = time.perf_counter()
        report = scan_cell(region="eu", broker_url=broker_url, queue=QUEUE)
        seconds.append(time.perf_counter() - started)
    return seconds, report


def _pollute(broker_url: str) -> None:
    from django.db import connection

    from crm.platform.celery_app import app

    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA bu_faraway_f000")
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined, group_id, language)"
            " SELECT '!', false, 'far.person', 'F', 'P', '', false, true, now(), id, ''"
            " FROM tenants_group WHERE code = 'faraway'"
        )
        cursor.execute(
            "INSERT INTO accounts_membership (group_id, user_id, role_id, business_unit_id)"
            " SELECT g.id, u.id, r.id, bu.id FROM tenants_group g"
            " JOIN accounts_user u ON u.username = 'far.person'"
            " JOIN tenants_businessunit bu ON bu.group_id = g.id AND bu.code = 'f000'"
            " JOIN accounts_role r ON r.group_id = (SELECT id FROM tenants_group"
            "   WHERE code = 'bench') AND r.code = 'front_sales'"
            " WHERE g.code = 'faraway'"
        )
    app.send_task("crm.bench.task", queue=QUEUE, headers={"_schema_name": "bu_faraway_f001"})


def main() -> int:
    started = time.perf_counter()
    fresh_database(DATABASE, "eu")
    from django.conf import settings

    broker_url = settings.CELERY_BROKER_URL
    _regions()
    provisioned = _provision()
    _load()
    _queue(broker_url)
    print(
        f"built in {time.perf_counter() - started:.1f} s ({BUSINESS_UNITS} BUs provisioned in "
        f"{provisioned:.1f} s): {BUSINESS_UNITS * PEOPLE_PER_UNIT + 1:,} people, "
        f"{AUDIT_ENTRIES:,} audit entries, {CONTEXTS:,} contexts, "
        f"{BUSINESS_UNITS * LEADS_PER_UNIT:,} leads, {FOREIGN_UNITS} BUs of other regions in "
        f"the directory, {MESSAGES:,} queued tasks"
    )
    try:
        seconds, report = _time_scan(broker_url)
        clean = getattr(report, "clean", False)
        checked = getattr(report, "checked", {})
        print(f"checked: {checked}")
        print(f"last round, seconds per part: {getattr(report, 'timings', {})}")
        print(
            f"residency scan, clean cell of {BUSINESS_UNITS} BUs: median "
            f"{statistics.median(seconds) * 1000:.0f} ms, worst {max(seconds) * 1000:.0f} ms "
            f"over {ROUNDS} rounds; clean={clean}"
        )
        if not clean:
            print(getattr(report, "findings", None))
            return 1
        _pollute(broker_url)
        polluted, dirty = _time_scan(broker_url)
        findings = getattr(dirty, "findings", [])
        print(
            f"residency scan, polluted: median {statistics.median(polluted) * 1000:.0f} ms, "
            f"{len(findings)} findings: " + "; ".join(finding.line() for finding in findings)
        )
        if len(findings) != 3:
            return 1
    finally:
        import redis

        redis.Redis.from_url(broker_url).delete(QUEUE)
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
