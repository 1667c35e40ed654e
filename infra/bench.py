"""`make bench`: what the permission engine costs on a 50-node list query.

Builds the test world in a fresh `crm_bench` database, then times `materials(first: 50)` through
the whole Django stack (middleware, GraphQL view, resolvers; in-process, no network), as the
German BU's manager (BU scope, stage filter, one hidden field), in two modes:

- engine: as shipped (memberships and policy loaded per request, visible-set filter in SQL, the
  field middleware asking for every governed field of every node);
- baseline: the same request with the engine short-circuited (a prebuilt principal and policy,
  no visible-set filter, the field middleware passing through).

It prints the median and 95th percentile of each, the overhead, and the SQL statements per
request for 1 and for 50 nodes (they must be equal: no SQL per node).
"""

from __future__ import annotations

import atexit
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

DATABASE = "crm_bench"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
# Every field the BU manager may read: the same response with and without the engine.
QUERY = """
query($first: Int!) { materials(first: $first) { totalCount edges { node {
  code name description unit status price { amount { amount currency } } } } } }
"""
WITH_PERMISSIONS = QUERY.replace("status price", "status permissions { actions } price")
# Also a field hidden from the manager: one FIELD_FORBIDDEN error entry per node.
WITH_HIDDEN = QUERY.replace("status price", "status standardCost { amount } price")


_REPLICA_SEED: list[Any] = []


def fresh_database(name: str, region: str, *, replica_seed: bool = False) -> None:
    """Start PostgreSQL, (re)create database `name`, set Django up on it as cell `region`,
    and migrate the shared schema. Benchmarks run in their own database, dropped after.

    `replica_seed`: the benchmark measures a cell that is not its groups' home (the test world's
    groups are homed in cn), so its loads of group master data are what replication would have
    brought: written as replica rows for the rest of the process (see replication/seeding.py)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.platform.settings")
    os.environ["REGION"] = region
    os.environ["DATABASE_NAME"] = name
    os.environ["DATABASE_CONN_MAX_AGE"] = "600"
    from crm.infra import services
    from crm.infra.run import ensure_database

    services.postgres_up()
    drop_database(name)
    ensure_database(name)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    if replica_seed:
        from crm.replication.seeding import replica_writes

        # Entered for the whole benchmark process (kept referenced: a dropped context manager's
        # generator is closed at once, which would switch the setting off again).
        seeding = replica_writes()
        seeding.__enter__()
        _REPLICA_SEED.append(seeding)
        atexit.register(seeding.__exit__, None, None, None)  # before the interpreter tears down


def _prepare() -> None:
    fresh_database(DATABASE, "eu", replica_seed=True)
    from crm.tests.fixtures.world import build_world

    build_world()


def steward_access() -> Any:
    """A group `bench` with its HQ in cell cn, the default policy, and the `Access` of its
    master-data steward: who the master-data benchmarks act as."""
    from crm.platform.accounts.authentication import user_principal
    from crm.platform.accounts.models import Membership, Role, User
    from crm.platform.permissions.defaults import install_default_policy
    from crm.platform.permissions.engine import Access
    from crm.platform.permissions.policy_data import load_policy
    from crm.regions.models import Region
    from crm.tenants.models import BusinessUnit, BusinessUnitKind, Group

    region = Region.objects.create(code="cn", name="CN", jurisdiction="PIPL", api_endpoint="-")
    group = Group.objects.create(
        code="bench", name="Bench", currency="CNY", default_language="en", home_region=region
    )
    hq = BusinessUnit.objects.create(
        group=group,
        code="hq",
        name="HQ",
        kind=BusinessUnitKind.HEADQUARTERS,
        region=region,
        language="en",
        currency="CNY",
        time_zone="UTC",
        schema_name="bu_bench_hq",
    )
    install_default_policy(group)
    steward = User.objects.create_user(username="bench.steward", group=group)
    Membership.objects.create(
        group=group, user=steward, role=Role.objects.get(group=group, code="hq_steward")
    )
    return Access(user_principal(steward), hq, load_policy(group.pk))


def drop_database(name: str) -> None:
    import psycopg

    from crm.infra import endpoints

    with psycopg.connect(endpoints.database_url("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _client() -> Callable[[str, int], Any]:
    from django.test import Client

    from crm.platform.accounts.authentication import issue_user_token
    from crm.platform.accounts.models import User

    token, _record = issue_user_token(User.objects.get(username="acme.de.manager"))
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_BUSINESS_UNIT="acme.de", HTTP_HOST="localhost"
    )

    def ask(query: str, first: int) -> Any:
        response = client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": {"first": first}}),
            content_type="application/json",
        )
        body = json.loads(response.content)
        edges = body["data"]["materials"]["edges"]
        if len(edges) != first:
            raise SystemExit(f"expected {first} nodes, got {len(edges)}: {body.get('errors')}")
        return body

    return ask


@contextmanager
def _baseline() -> Iterator[None]:
    """The engine short-circuited: what the same request costs without permission checks."""
    from crm.graphql.core.permissions import FieldPolicyMiddleware
    from crm.platform.accounts import authentication
    from crm.platform.accounts.models import User
    from crm.platform.permissions import engine, policy_data
    from crm.platform.web import middleware

    principal = authentication.user_principal(User.objects.get(username="acme.de.manager"))
    policy = policy_data.load_policy(principal.group_id)

    def passthrough(_self: Any, next_: Any, root: Any, info: Any, **args: Any) -> Any:
        return next_(root, info, **args)

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(FieldPolicyMiddleware, "resolve", passthrough))
        stack.enter_context(mock.patch.object(engine.Access, "visible", lambda _s, _t, qs: qs))
        stack.enter_context(mock.patch.object(engine.Access, "require_some", return_value=None))
        stack.enter_context(mock.patch.object(middleware, "policy_for", return_value=policy))
        stack.enter_context(
            mock.patch.object(authentication, "user_principal", return_value=principal)
        )
        yield


def _interleaved(ask: Callable[[str, int], Any]) -> dict[str, list[float]]:
    """Rounds alternate between the modes, so drift on the machine hits both alike."""
    modes: dict[str, tuple[str, bool]] = {
        "baseline": (QUERY, True),
        "engine": (QUERY, False),
        "engine + permissions field": (WITH_PERMISSIONS, False),
        "engine, one hidden field": (WITH_HIDDEN, False),
    }
    samples: dict[str, list[float]] = {name: [] for name in modes}
    for round_ in range(ROUNDS + 20):
        for name, (query, baseline) in modes.items():
            with _baseline() if baseline else ExitStack():
                start = time.perf_counter()
                ask(query, 50)
                elapsed = (time.perf_counter() - start) * 1000
            if round_ >= 20:  # the first rounds warm caches and connections
                samples[name].append(elapsed)
    return samples


def _sql_count(ask: Callable[[str, int], Any], first: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        ask(QUERY, first)
    return len(queries)


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> int:
    _prepare()
    ask = _client()
    ask(QUERY, 1)  # records the token's first use, outside the counts
    samples = _interleaved(ask)
    # 40 and 50 nodes both include prices converted from the group list (one rate lookup).
    sql_40, sql_50 = _sql_count(ask, 40), _sql_count(ask, 50)
    baseline = statistics.median(samples["baseline"])
    print(f"materials(first: 50) as acme.de.manager, {ROUNDS} rounds each, in-process HTTP")
    for name, values in samples.items():
        median = statistics.median(values)
        change = (median - baseline) / baseline * 100
        print(f"  {name:28} median {median:6.2f} ms  p95 {_p95(values):6.2f} ms  {change:+6.1f} %")
    print("  target: engine <= +10 % over baseline")
    print(f"  SQL statements per request: first: 40 -> {sql_40}, first: 50 -> {sql_50}")
    from django.db import connections

    connections.close_all()
    drop_database(DATABASE)
    return 0 if sql_40 == sql_50 else 1


def graphql_client(username: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """Posts queries to acme.de's GraphQL endpoint in-process, signed in as `username`; any
    error entry ends the benchmark (a benchmark of refusals measures nothing)."""
    from django.test import Client

    from crm.platform.accounts.authentication import issue_user_token
    from crm.platform.accounts.models import User

    token, _record = issue_user_token(User.objects.get(username=username))
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_BUSINESS_UNIT="acme.de", HTTP_HOST="localhost"
    )

    def ask(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables}),
            content_type="application/json",
        )
        body: dict[str, Any] = json.loads(response.content)
        if body.get("errors") or not body.get("data"):
            raise SystemExit(f"{query[:60]}…: {body.get('errors')}")
        return body

    return ask


if __name__ == "__main__":
    sys.exit(main())
