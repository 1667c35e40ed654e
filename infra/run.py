"""`make run`: the whole group CRM on this machine, one cell per demo region.

Starts PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL name others), gives each cell its
own database, migrates it, loads the demo group, then runs each cell's GraphQL server and Celery
worker under honcho. Running it again reuses what exists; Ctrl-C stops everything it started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
from honcho.manager import Manager
from honcho.printer import Printer

from crm.infra import demo_q2c, endpoints, services

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PYTHON = sys.executable
BIN = Path(sys.executable).parent


def ensure_database(name: str) -> None:
    url = os.environ.get("DATABASE_URL") or endpoints.database_url("postgres")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def cell_environment(region: str) -> dict[str, str]:
    env = dict(os.environ)
    env["REGION"] = region
    database = endpoints.cell_database(region)
    shared_url = os.environ.get("DATABASE_URL")
    if shared_url:  # another server: each cell still gets its own database on it
        env["DATABASE_URL"] = f"{shared_url.rsplit('/', 1)[0]}/{database}"
    else:
        env["DATABASE_NAME"] = database
    if not os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = endpoints.redis_url(endpoints.CELLS[region][1])
    env.setdefault("DJANGO_SETTINGS_MODULE", "crm.platform.settings")
    # Rate files dropped in .local/fx-drop/<group>/<day>.csv are imported every morning.
    env.setdefault("FX_RATE_SOURCE", "crm.masterdata.fx_sources.DropFolderSource")
    env.setdefault("FX_RATE_SOURCE_OPTIONS", json.dumps({"folder": str(LOCAL / "fx-drop")}))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def prepare_cell(region: str) -> None:
    ensure_database(endpoints.cell_database(region))
    env = cell_environment(region)
    for command in (["migrate_cell"], ["load_demo"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True)


def main() -> int:
    started_postgres = not os.environ.get("DATABASE_URL") and not services.pg_is_ready()
    started_redis = not os.environ.get("REDIS_URL") and not services.redis_is_ready()
    services.postgres_up()
    services.redis_up()
    try:
        for region in endpoints.CELLS:
            print(f"Preparing cell '{region}'…", flush=True)
            prepare_cell(region)
        manager = Manager(Printer(sys.stdout))
        for region, (port, _broker_db) in endpoints.CELLS.items():
            env = cell_environment(region)
            manager.add_process(
                f"web-{region}",
                f"{BIN / 'gunicorn'} crm.platform.web.wsgi:application "
                f"--bind {endpoints.CELL_HOST}:{port} --workers 2 --threads 4 "
                "--access-logfile - --no-control-socket",
                env=env,
                cwd=str(ROOT),
            )
            manager.add_process(
                f"worker-{region}",
                f"{BIN / 'celery'} -A crm.platform.celery_app worker "
                f"--queues crm-{region} --concurrency 1 --loglevel INFO "
                f"--hostname worker-{region}@%h "
                # Each cell's scheduled work (e.g. the morning FX fetch) runs with its worker.
                f"--beat --schedule {LOCAL / f'celerybeat-{region}'}",
                env=env,
                cwd=str(ROOT),
            )
        print("\nThe demo group 'lumina' is up. GraphQL (with GraphiQL) per cell:", flush=True)
        for region, (port, _db) in endpoints.CELLS.items():
            print(f"  {region}: http://localhost:{port}/graphql/", flush=True)
        print(
            "Choose a business unit with the header X-Business-Unit: lumina.hq | lumina.de | "
            "lumina.jp | lumina.us,\nor by host: http://de.lumina.localhost:8001/graphql/ . "
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        # The quote-to-cash demo goes through the API, so it runs once the cells answer.
        threading.Thread(target=demo_q2c.main, name="demo-q2c", daemon=True).start()
        manager.loop()
        return manager.returncode or 0
    finally:
        if started_redis:
            services.redis_down()
        if started_postgres:
            services.postgres_down()


if __name__ == "__main__":
    raise SystemExit(main())
