"""Writing a replica's rows outside replication: for seeding a cell with rows identical to the
home cell's (the local demo, test harnesses), never for business writes.

Inside `replica_writes()` this process's writes to replicated tables are treated like applied
batches: the read-only guard lets them in and nothing is captured for shipping. The rows must be
the home cell's very rows (same primary keys), or later batches from the home cell will conflict
with them. The setting is per session; a connection opened meanwhile (e.g. by a schema
migration) gets it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection
from django.db.backends.signals import connection_created

ON = "SELECT set_config('crm.replicating', 'on', false)"
OFF = "SELECT set_config('crm.replicating', 'off', false)"


def _flag_new_connection(sender: Any, connection: Any, **_kwargs: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(ON)


@contextmanager
def replica_writes() -> Iterator[None]:
    connection_created.connect(_flag_new_connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(ON)
        yield
    finally:
        connection_created.disconnect(_flag_new_connection)
        try:
            with connection.cursor() as cursor:
                cursor.execute(OFF)
        except DatabaseError:
            connection.close()  # an aborted transaction: drop the session and its setting
