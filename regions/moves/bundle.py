"""EXPORT and IMPORT of a business unit: its schema's tables and its shared rows, as one bundle.

The bundle is JSON (gzip-compressed on disk and on the wire): each table of the BU's schema in
dependency order as the text of `COPY … TO STDOUT` with its column list, the schema's sequence
positions, the shared rows (see `people`), and the manifest: row count and checksum per table
as the source computed them.

IMPORT, in the target cell, is idempotent: a schema left by an earlier, interrupted import is
dropped and cloned again from the template; then, in one transaction, the cloned tables are
emptied, the shared rows written, every table loaded with `COPY … FROM STDIN`, user and team ids
translated to this cell's, and the sequences set. A failure anywhere rolls all of that back.
The cell refuses to import a BU homed in it (the switch already happened): nothing to redo.
"""

from __future__ import annotations

import gzip
import json
import os
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from crm.regions.moves import people
from crm.regions.moves.errors import MoveError
from crm.regions.moves.tables import checksums, q, tables_of, team_columns, user_columns
from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit

FORMAT = 1


def encode(bundle: dict[str, Any]) -> bytes:
    return gzip.compress(json.dumps(bundle, cls=DjangoJSONEncoder).encode(), compresslevel=5)


def decode(body: bytes) -> dict[str, Any]:
    try:
        bundle: dict[str, Any] = json.loads(gzip.decompress(body))
    except (OSError, ValueError) as error:
        raise MoveError(f"not a business unit bundle: {error}") from error
    if bundle.get("format") != FORMAT:
        raise MoveError(f"bundle format {bundle.get('format')!r} is not {FORMAT}")
    return bundle


def fault(point: str) -> None:
    """Fault injection for the resumability tests: CRM_REGION_MOVE_FAULT names the point."""
    if os.environ.get("CRM_REGION_MOVE_FAULT") == point:
        raise MoveError(f"injected fault at {point}")


def export_business_unit(business_unit: BusinessUnit) -> dict[str, Any]:
    """The BU's data as one consistent snapshot (a repeatable-read transaction)."""
    schema = business_unit.schema_name
    if not schema_exists(schema):
        raise MoveError(f"schema {schema} does not exist in this cell")
    tenant_connection().set_schema_to_public()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # one snapshot for every table (inside a caller's transaction: its own)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        tables = tables_of(schema)
        raw = connection.connection
        dumped = []
        with raw.cursor() as cursor:
            for table in tables:
                columns = ", ".join(q(column) for column in table.columns)
                statement = f"COPY {q(schema)}.{q(table.name)} ({columns}) TO STDOUT"
                with cursor.copy(statement) as copy:
                    text = b"".join(bytes(chunk) for chunk in copy).decode()
                dumped.append({"name": table.name, "columns": list(table.columns), "copy": text})
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s",
                [schema],
            )
            sequences = {str(name): value for name, value in cursor.fetchall()}
        shared = people.export_people(business_unit)
        manifest = checksums(schema)
    return {
        "format": FORMAT,
        "business_unit": {
            "group": business_unit.group.code,
            "code": business_unit.code,
            "schema": schema,
        },
        "source_region": business_unit.region_id,
        "tables": dumped,
        "sequences": sequences,
        "people": shared,
        "manifest": manifest,
    }


def business_unit_of(bundle: dict[str, Any]) -> BusinessUnit:
    named = bundle["business_unit"]
    found: BusinessUnit | None = (
        BusinessUnit.objects.select_related("group")
        .filter(group__code=named["group"], code=named["code"])
        .first()
    )
    if found is None:
        raise MoveError(f"business unit {named['group']}.{named['code']} is not in the directory")
    if found.schema_name != named["schema"]:
        raise MoveError(f"business unit {found.handle} has schema {found.schema_name} here")
    return found


def import_business_unit(bundle: dict[str, Any]) -> dict[str, Any]:
    """Load the bundle into this cell. Returns this cell's checksums of the loaded schema."""
    business_unit = business_unit_of(bundle)
    schema = business_unit.schema_name
    if business_unit.region_id == settings.REGION:
        # Switched already: the schema here is the BU's live data; never overwrite it.
        return {"already_home": True, "checksums": checksums(schema)}
    tenant_connection().set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
    business_unit.create_schema(check_if_exists=False, verbosity=0)
    tenant_connection().set_schema_to_public()
    with transaction.atomic():
        _load(bundle, business_unit)
        loaded = checksums(schema)
    return {"already_home": False, "checksums": loaded}


def _load(bundle: dict[str, Any], business_unit: BusinessUnit) -> None:
    schema = business_unit.schema_name
    here = {table.name: table for table in tables_of(schema)}
    exported = bundle["tables"]
    mismatched = sorted(
        {row["name"] for row in exported if row["name"] not in here}
        | {name for name in here if name not in {row["name"] for row in exported}}
        | {
            row["name"]
            for row in exported
            if row["name"] in here and set(row["columns"]) != set(here[row["name"]].columns)
        }
    )
    if mismatched:
        raise MoveError(
            "the two cells' schemas differ (run the same release in both): " + ", ".join(mismatched)
        )
    with connection.cursor() as cursor:
        if here:
            names = ", ".join(f"{q(schema)}.{q(name)}" for name in here)
            cursor.execute(f"TRUNCATE {names}")
    user_map, team_map = people.load_people(bundle["people"], business_unit)
    raw = connection.connection
    with raw.cursor() as cursor:
        for index, row in enumerate(exported):
            if index == len(exported) // 2:
                fault("import")
            columns = ", ".join(q(column) for column in row["columns"])
            statement = f"COPY {q(schema)}.{q(row['name'])} ({columns}) FROM STDIN"
            with cursor.copy(statement) as copy:
                copy.write(row["copy"].encode())
    with connection.cursor() as cursor:
        _translate(cursor, schema, user_columns(schema), user_map, "users")
        _translate(cursor, schema, team_columns(schema), team_map, "teams")
        for name, value in bundle["sequences"].items():
            sequence = f"{q(schema)}.{q(name)}"
            if value is None:
                cursor.execute("SELECT setval(%s::regclass, 1, false)", [sequence])
            else:
                cursor.execute("SELECT setval(%s::regclass, %s, true)", [sequence, value])


def _translate(
    cursor: Any, schema: str, columns: set[tuple[str, str]], mapping: dict[int, int], name: str
) -> None:
    """Replace the source cell's ids by this cell's in every column that holds one."""
    changed = {old: new for old, new in mapping.items() if old != new}
    if not changed:
        return
    temp = f"region_move_{name}"
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{temp}")
    cursor.execute(f"CREATE TEMP TABLE {temp} (old bigint PRIMARY KEY, new bigint) ON COMMIT DROP")
    cursor.execute(
        f"INSERT INTO {temp} (old, new) SELECT * FROM unnest(%s::bigint[], %s::bigint[])",  # noqa: S608
        [list(changed), list(changed.values())],
    )
    for table, column in sorted(columns):
        cursor.execute(
            f"UPDATE {q(schema)}.{q(table)} t SET {q(column)} = m.new FROM {temp} m "  # noqa: S608
            f"WHERE t.{q(column)} = m.old"
        )
