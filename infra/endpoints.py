"""Where the local services listen and which cell gets which port and broker database.

One place for these numbers, read by the settings, the local runner and the tests alike.
Everything is overridable from the environment.
"""

from __future__ import annotations

import os

PG_HOST = os.environ.get("CRM_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CRM_PG_PORT", "54329"))
PG_USER = os.environ.get("CRM_PG_USER", "postgres")

REDIS_HOST = os.environ.get("CRM_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("CRM_REDIS_PORT", "63790"))

# The demo's cells: region code -> (HTTP port, Redis database number of its broker).
CELLS: dict[str, tuple[int, int]] = {
    "cn": (8000, 0),
    "eu": (8001, 1),
    "ap": (8002, 2),
    "us": (8003, 3),
}
CELL_HOST = os.environ.get("CRM_CELL_HOST", "127.0.0.1")


def database_url(database: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def redis_url(db: int) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"


def cell_database(region: str) -> str:
    return f"crm_{region}"


def cell_url(region: str) -> str:
    return f"http://localhost:{CELLS[region][0]}/graphql/"
