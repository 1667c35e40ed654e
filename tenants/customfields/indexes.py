"""Expression indexes for range filters on custom fields, in the business unit's own schema.

Equality and containment filters (`custom @> {...}`) are served by each record table's GIN
index (jsonb_path_ops). A range filter (`min`/`max`) on a NUMBER or DATE field marked
`filterable` compares one expression, and that expression has a B-tree index of its own:

    NUMBER: CREATE INDEX cf_lead_budget ON leads_lead (((custom ->> 'budget')::numeric))
    DATE:   CREATE INDEX cf_lead_visit  ON leads_lead ((custom ->> 'visit'))

Dates are stored as ISO text (YYYY-MM-DD), whose text order is the date order, and a cast to
`date` is not immutable, so dates are indexed and compared as text. `filters.range_expression`
builds exactly the same expressions for the queries, so the planner can use the index.

When: saving a definition schedules `sync_index` on commit, in a Celery task (tasks.py) that
runs in the BU's schema in autocommit mode, so the index is built with CREATE INDEX
CONCURRENTLY and the table stays writable while it is built. `sync_index` reconciles: it reads
the definition as committed and creates or drops the index, so tasks arriving out of order or
twice do no harm; an index left invalid by an interrupted concurrent build is rebuilt. Called
inside a transaction (tests, the installer run by `migrate_cell`), it uses plain CREATE INDEX /
DROP INDEX, which take part in the transaction. The BU installer `sync_all_indexes` repairs
anything a lost message left behind.

Safety: the index name and the JSON key come from the definition's code, which is validated
(`CODE_PATTERN`: lower-case letters, digits and underscores, starting with a letter) and
checked again here; identifiers are quoted by the database backend.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.db import connection

from crm.tenants.customfields.models import FieldDefinition, FieldKind
from crm.tenants.db import tenant_connection

CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
INDEX_PREFIX = "cf_"
RANGE_KINDS = (FieldKind.NUMBER, FieldKind.DATE)

MODELS = {
    "lead": "leads.Lead",
    "contact": "contacts.Contact",
    "local_customer": "localcustomers.LocalCustomer",
    "opportunity": "opportunities.Opportunity",
}


def table_of(record_type: str) -> str:
    table: str = apps.get_model(MODELS[record_type])._meta.db_table
    return table


def index_name(record_type: str, code: str) -> str:
    """At most 3 + 14 + 1 + 40 = 58 characters: within PostgreSQL's 63."""
    return f"{INDEX_PREFIX}{record_type}_{code}"


def _checked(record_type: str, code: str) -> None:
    if record_type not in MODELS or not CODE_PATTERN.fullmatch(code):
        raise ValueError(f"not an indexable custom field: {record_type}.{code}")


def expression_sql(kind: str, code: str) -> str:
    """The indexed expression, as `filters.range_expression` writes it in queries."""
    if not CODE_PATTERN.fullmatch(code):
        raise ValueError(f"not a custom field code: {code}")
    text = f"(\"custom\" ->> '{code}')"
    return f"({text})::numeric" if kind == FieldKind.NUMBER else text


def wanted(definition: FieldDefinition | None) -> bool:
    return bool(
        definition is not None
        and definition.active
        and definition.filterable
        and definition.kind in RANGE_KINDS
    )


def _schema() -> str:
    schema: str = tenant_connection().schema_name
    return schema


def existing(record_type: str) -> dict[str, bool]:
    """The custom-field indexes of a record type's table in this schema: name -> valid."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, x.indisvalid
              FROM pg_index x
              JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class t ON t.oid = x.indrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = %s AND t.relname = %s AND i.relname LIKE %s
            """,
            [_schema(), table_of(record_type), f"{INDEX_PREFIX}{record_type}\\_%"],
        )
        return {str(name): bool(valid) for name, valid in cursor.fetchall()}


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # As Django's schema editor does: rows written earlier in this transaction may
            # have deferred constraint checks pending, which PostgreSQL refuses DDL under.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute(sql)


def _drop(name: str, concurrently: bool) -> None:
    quote = connection.ops.quote_name
    how = "CONCURRENTLY " if concurrently else ""
    _execute(f"DROP INDEX {how}IF EXISTS {quote(_schema())}.{quote(name)}")


def sync_index(record_type: str, code: str) -> bool:
    """Create or drop the range index of one field to match its committed definition; True
    when the index exists afterwards. Runs in the current BU schema."""
    _checked(record_type, code)
    definition = FieldDefinition.objects.filter(record_type=record_type, code=code).first()
    name = index_name(record_type, code)
    concurrently = not connection.in_atomic_block
    present = existing(record_type)
    if not wanted(definition):
        if name in present:
            _drop(name, concurrently)
        return False
    assert definition is not None
    if present.get(name):
        return True
    if name in present:  # left invalid by an interrupted concurrent build
        _drop(name, concurrently)
    quote = connection.ops.quote_name
    how = "CONCURRENTLY " if concurrently else ""
    _execute(
        f"CREATE INDEX {how}IF NOT EXISTS {quote(name)} "
        f"ON {quote(_schema())}.{quote(table_of(record_type))} "
        f"(({expression_sql(definition.kind, code)}))"
    )
    return True


def sync_all_indexes() -> list[str]:
    """Every record type of the current schema: build missing indexes, drop orphaned ones.
    Returns the names of the indexes that exist afterwards."""
    kept: list[str] = []
    for record_type in MODELS:
        codes = set(
            FieldDefinition.objects.filter(record_type=record_type).values_list("code", flat=True)
        )
        for name in existing(record_type):
            code = name[len(index_name(record_type, "")) :]
            if code not in codes and CODE_PATTERN.fullmatch(code):
                _drop(name, not connection.in_atomic_block)
        for code in sorted(codes):
            if CODE_PATTERN.fullmatch(code) and sync_index(record_type, code):
                kept.append(index_name(record_type, code))
    return kept


def install_indexes(_business_unit: object) -> None:
    """The BU installer (tenants/setup.py): runs in the BU's schema on provisioning and on
    every cell migration."""
    sync_all_indexes()
