"""The database side of capture and read-only replicas: one trigger function, three triggers
per replicated table.

Why triggers: every write path (ORM save, `bulk_create`, `update()`, raw SQL, COPY imports) goes
through them, in the writing transaction, so an outbox entry exists exactly when the change
commits. Why statement-level with transition tables: one trigger call per statement, whatever
the number of rows; a COPY of tens of thousands of rows costs one `INSERT … SELECT` into the
outbox instead of one call per row.

Which cell is this: every application connection carries `crm.region` (set at connection start
from `settings.REGION`, see `platform/settings/database.py`). A session without it (psql,
maintenance scripts) is neither refused nor captured.

For each statement on a replicated table the function:
- does nothing while `crm.replicating` is on (the receiver applying a batch, `SET LOCAL`);
- refuses the statement (SQLSTATE `CRR01`, detail: group, home region, its endpoint) if a row
  belongs to a group homed in another region: this cell holds a read-only replica of it;
- otherwise writes the changed rows into the outbox (an UPDATE that changed nothing is skipped)
  and notifies channel `crm_replication` (delivered at commit) so the sender wakes up.

The triggers are installed by this app's migrations (`install`); raw SQL rather than
django-pgtrigger because they belong to other apps' tables and are generated from one registry.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from crm.replication.registry import REPLICATED, Replicated

READ_ONLY_SQLSTATE = "CRR01"
NOTIFY_CHANNEL = "crm_replication"
TRIGGER_PREFIX = "crm_replication"

FUNCTION = rf"""
CREATE OR REPLACE FUNCTION public.crm_replication_capture() RETURNS trigger
LANGUAGE plpgsql AS $function$
DECLARE
    cell text := current_setting('crm.region', true);
    model text := TG_ARGV[0];
    key_column text := TG_ARGV[1];
    joins text := TG_ARGV[2];
    group_expr text := TG_ARGV[3];
    home_expr text := TG_ARGV[4];
    source text;
    op text;
    changed text := '';
    foreign_group bigint;
    foreign_home text;
    endpoint text;
    captured bigint;
BEGIN
    IF coalesce(cell, '') = '' OR coalesce(current_setting('crm.replicating', true), '') = 'on'
    THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        source := 'old_rows';
        op := 'delete';
    ELSE
        source := 'new_rows';
        op := 'upsert';
    END IF;
    EXECUTE format(
        'SELECT %s, %s FROM %I r %s LEFT JOIN public.tenants_group g ON g.id = %s '
        'WHERE %s <> $1 LIMIT 1',
        group_expr, home_expr, source, joins, group_expr, home_expr
    ) INTO foreign_group, foreign_home USING cell;
    IF foreign_home IS NOT NULL THEN
        SELECT api_endpoint INTO endpoint FROM public.regions_region WHERE code = foreign_home;
        RAISE EXCEPTION 'READ_ONLY_REPLICA: % of group % is written only in region %',
            TG_TABLE_NAME, foreign_group, foreign_home
            USING ERRCODE = '{READ_ONLY_SQLSTATE}',
                  DETAIL = json_build_object(
                      'table', TG_TABLE_NAME, 'group', foreign_group,
                      'home_region', foreign_home, 'endpoint', coalesce(endpoint, '')
                  )::text;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        changed := format(
            'AND NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.%1$I = r.%1$I '
            'AND to_jsonb(o) = to_jsonb(r))',
            key_column
        );
    END IF;
    EXECUTE format(
        'INSERT INTO public.replication_outboxentry '
        '(group_id, model, object_pk, op, data, xid, created_at) '
        'SELECT %s, $1, r.%I::text, $2, to_jsonb(r), '
        'pg_current_xact_id()::text::bigint, clock_timestamp() '
        'FROM %I r %s LEFT JOIN public.tenants_group g ON g.id = %s '
        'WHERE %s = $3 %s',
        group_expr, key_column, source, joins, group_expr, home_expr, changed
    ) USING model, op, cell;
    GET DIAGNOSTICS captured = ROW_COUNT;
    IF captured > 0 THEN
        PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
    END IF;
    RETURN NULL;
END
$function$;
"""  # noqa: S608 - fixed text with two constants, no input

_EVENTS = {
    "ins": ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
    "upd": ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "del": ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def trigger_sql(item: Replicated) -> list[str]:
    """DROP and CREATE of the three statement triggers of one replicated table."""
    statements = []
    arguments = ", ".join(
        _literal(value) for value in (item.key, item.pk_column, item.join, item.group, item.home)
    )
    for suffix, (event, referencing) in _EVENTS.items():
        name = f"{TRIGGER_PREFIX}_{suffix}"
        statements.append(f'DROP TRIGGER IF EXISTS {name} ON public."{item.table}"')
        statements.append(
            f'CREATE TRIGGER {name} AFTER {event} ON public."{item.table}" {referencing} '
            f"FOR EACH STATEMENT EXECUTE FUNCTION public.crm_replication_capture({arguments})"
        )
    return statements


def install(connection: BaseDatabaseWrapper) -> None:
    """(Re)install the function and the triggers of every replicated table. Idempotent."""
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        for item in REPLICATED:
            for statement in trigger_sql(item):
                cursor.execute(statement)


def installed(connection: BaseDatabaseWrapper) -> set[tuple[str, str]]:
    """(table, trigger name) of every replication trigger in the public schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND t.tgname LIKE %s",
            [f"{TRIGGER_PREFIX}_%"],
        )
        return {(table, name) for table, name in cursor.fetchall()}
