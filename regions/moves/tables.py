"""A business unit's schema as tables: their order, their columns, and their checksums.

The checksums are what VERIFY compares between the two cells. Users and teams are rows of the
shared schema whose ids differ from cell to cell (each cell numbers its own), so a column that
points at one is summed as the user's name or the team's name: the same data in both cells
sums the same although its ids were translated on import.

A column points at a user or a team either by a foreign key to the shared table (found in the
catalog, or in the models for a key declared without a database constraint) or by naming
convention for the plain id columns of tenant models (`*user_id`, `*owner_id`; `team_id`).
`tests/regions/test_moves.py` lists them, so a new one is seen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models

from crm.platform.core.placement import Schema, placement_of

SKIPPED_TABLES = frozenset({"django_migrations"})  # structure, not data: made by cloning


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]


def q(name: str) -> str:
    return str(connection.ops.quote_name(name))


def tables_of(schema: str) -> list[Table]:
    """The schema's tables in dependency order (a table after the tables it points at)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, array_agg(a.attname ORDER BY a.attnum)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
            GROUP BY c.relname
            """,
            [schema],
        )
        columns = {name: tuple(cols) for name, cols in cursor.fetchall()}
        cursor.execute(
            """
            SELECT c.relname, f.relname
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_class f ON f.oid = k.confrelid
            WHERE k.contype = 'f' AND c.relnamespace = %s::regnamespace
              AND f.relnamespace = c.relnamespace AND f.oid <> c.oid
            """,
            [schema],
        )
        depends: dict[str, set[str]] = defaultdict(set)
        for table, target in cursor.fetchall():
            depends[table].add(target)
    ordered: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: frozenset[str]) -> None:
        if name in done or name in path:  # a cycle: its foreign keys are deferred anyway
            return
        for target in sorted(depends.get(name, ())):
            visit(target, path | {name})
        done.add(name)
        ordered.append(name)

    for name in sorted(columns):
        visit(name, frozenset())
    return [Table(name, columns[name]) for name in ordered if name not in SKIPPED_TABLES]


def _tenant_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if (placement := placement_of(model)) is not None and placement.schema == Schema.TENANT
    ]


def _plain_columns(*, suffixes: tuple[str, ...], names: tuple[str, ...]) -> set[tuple[str, str]]:
    found = set()
    for model in _tenant_models():
        for field in model._meta.concrete_fields:
            if field.is_relation or not isinstance(field, models.IntegerField):
                continue
            column = str(field.column)
            if column in names or column.endswith(suffixes):
                found.add((model._meta.db_table, column))
    return found


def _foreign_keys_to(schema: str, table: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, a.attname
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
            WHERE k.contype = 'f' AND c.relnamespace = %s::regnamespace
              AND k.confrelid = %s::regclass
            """,
            [schema, f"public.{table}"],
        )
        return {(str(name), str(column)) for name, column in cursor.fetchall()}


def _unconstrained_keys_to(table: str) -> set[tuple[str, str]]:
    """Foreign keys of tenant models declared without a database constraint (so the catalog
    does not list them) to the shared table `table`, e.g. a target's team."""
    return {
        (model._meta.db_table, str(field.column))
        for model in _tenant_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and not getattr(field, "db_constraint", True)
        and getattr(getattr(field.related_model, "_meta", None), "db_table", None) == table
    }


def user_columns(schema: str) -> set[tuple[str, str]]:
    """(table, column) of the schema that hold a user's id."""
    plain = _plain_columns(suffixes=("user_id", "owner_id"), names=())
    return (
        _foreign_keys_to(schema, "accounts_user") | plain | _unconstrained_keys_to("accounts_user")
    )


def team_columns(schema: str) -> set[tuple[str, str]]:
    """(table, column) of the schema that hold a team's id."""
    return (
        _foreign_keys_to(schema, "accounts_team")
        | _plain_columns(suffixes=(), names=("team_id",))
        | _unconstrained_keys_to("accounts_team")
    )


def checksums(schema: str) -> dict[str, dict[str, object]]:
    """Per table: row count and an MD5 over its rows (users and teams by name), one query."""
    tables = tables_of(schema)
    if not tables:
        return {}
    users = user_columns(schema)
    teams = team_columns(schema)
    parts = []
    # Identifiers below come from the catalog and are quoted; no value is put into the text.
    for table in tables:
        values = []
        for column in table.columns:
            if (table.name, column) in users:
                value = (
                    f"(SELECT u.username FROM public.accounts_user u WHERE u.id = t.{q(column)})"  # noqa: S608
                )
            elif (table.name, column) in teams:
                value = f"(SELECT m.name FROM public.accounts_team m WHERE m.id = t.{q(column)})"  # noqa: S608
            else:
                value = f"t.{q(column)}"
            values.append(value)
        parts.append(
            f"SELECT {_literal(table.name)} AS name, count(*) AS rows, "  # noqa: S608
            "coalesce(md5(string_agg(h, '' ORDER BY h)), '') "
            f"FROM (SELECT md5(ROW({', '.join(values)})::text) AS h "
            f"FROM {q(schema)}.{q(table.name)} t) x"
        )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {
            str(name): {"rows": int(rows), "checksum": str(digest)}
            for name, rows, digest in cursor.fetchall()
        }


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
