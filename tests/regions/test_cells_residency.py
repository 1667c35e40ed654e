"""Residency between real cells: the scan on clean and polluted cells, and a BU moved eu → ap.

Each cell is its own database, gunicorn and broker (tests/fixtures/cells.py). The scan runs as
an operator runs it, `manage.py residency_scan` in the cell, and is judged by its exit code and
what it prints. The move runs as an operator runs it too (`move_business_unit`), interrupted
twice on purpose: once inside the target's import (which rolls back), once after the target
committed but before the source recorded it; each time it is resumed, and the end state is
checked in all three cells: the data is in ap only, nothing is duplicated, writes were refused
while the BU was frozen, and every cell's scan is clean again.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm.tests.fixtures.cells import Cell, Cells

pytestmark = pytest.mark.cells

MARK = "RESIDENCY-TEST:"
TEAM_CREATE = "mutation($n: String!) { teamCreate(name: $n) { team { name } errors { code } } }"


def in_cell(cell: Cell, code: str) -> Any:
    """Run `code` in the cell; it sets `result`, which comes back as JSON."""
    output = cell.python(f"import json\n{code}\nprint({MARK!r} + json.dumps(result, default=str))")
    lines = [line for line in output.splitlines() if line.startswith(MARK)]
    assert lines, output
    return json.loads(lines[-1][len(MARK) :])


def scan(cell: Cell) -> tuple[int, dict[str, Any]]:
    done = cell.manage("residency_scan", "--json", check=False)
    return done.returncode, json.loads(done.stdout)


def test_the_scan_is_clean_on_every_seeded_cell(cells: Cells) -> None:
    cells.seed_directory()
    for region, cell in cells.items():
        code, report = scan(cell)
        assert (code, report["clean"]) == (0, True), (region, report["findings"])
        assert report["region"] == region
        assert report["checked"]["schemas"] == 1  # its own BU's schema only
        assert report["checked"]["accounts.User"] >= 1


def test_a_polluted_cell_fails_the_scan_naming_each_finding(cells: Cells) -> None:
    directory = cells.seed_directory()
    ap = cells["ap"]
    ap.sql("CREATE SCHEMA bu_lumina_de")  # a schema of the eu BU in the ap cell
    intruder = in_cell(
        ap,
        "from crm.platform.accounts.models import Membership, Role, User\n"
        "from crm.tenants.models import BusinessUnit\n"
        "de = BusinessUnit.objects.get(group__code='lumina', code='de')\n"
        "user = User.objects.create(username='lumina.de.intruder', group=de.group)\n"
        "Membership.objects.create(group=de.group, user=user, business_unit=de,\n"
        "    role=Role.objects.get(group=de.group, code='front_sales'))\n"
        "result = user.pk\n",
    )
    de_id = directory.business_units["de"]
    ap.celery().send_task("crm.any", kwargs={"actor": {"business_unit_id": de_id}}, queue="crm-ap")
    try:
        done = ap.manage("residency_scan", check=False)

        assert done.returncode == 1, done.stdout
        lines = [line for line in done.stdout.splitlines() if line.startswith("FOUND")]
        assert len(lines) == 3, done.stdout
        assert "FOUND foreign_schema: schema bu_lumina_de [region eu]" in lines[0]
        assert lines[1].startswith("FOUND foreign_rows: public.accounts_user (accounts.User) [")
        assert f"[region eu] x1: personal data of region eu only e.g. {intruder}" in lines[1]
        assert lines[2].startswith("FOUND task: queue crm-ap [region eu] x1: task crm.any")
        assert "lumina.de.intruder" not in done.stdout  # ids, never the personal data
        # The other cells are untouched.
        assert scan(cells["eu"])[0] == 0
    finally:
        ap.sql("DROP SCHEMA IF EXISTS bu_lumina_de")
        ap.sql("DELETE FROM accounts_membership WHERE user_id = %s", [intruder])
        ap.sql("DELETE FROM accounts_user WHERE id = %s", [intruder])
        ap.purge_queue()
    assert scan(ap)[0] == 0


# -- moving a BU from eu to ap -------------------------------------------------------------------

CREATE_IN_HOME = """
from django.core import serializers
from crm.regions.models import Region
from crm.tenants.models import BusinessUnitKind, Domain, Group
from crm.tenants.provisioning import provision_business_unit
group = Group.objects.get(code='lumina')
bu = provision_business_unit(group=group, code='mv', name='Lumina MV',
    kind=BusinessUnitKind.SUBSIDIARY, region=Region.objects.get(code='eu'), language='de',
    currency='EUR', time_zone='Europe/Berlin', domains=['mv.lumina.localhost'])
result = json.loads(serializers.serialize('json', [bu, *Domain.objects.filter(tenant=bu)]))
"""

LOAD_REPLICA = """
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, transaction
from crm.tenants.models import BusinessUnit, Domain
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL crm.replicating = 'on'")
    for found in serializers.deserialize('json', json.dumps(DUMP)):
        found.save()
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [BusinessUnit, Domain]):
            cursor.execute(statement)
result = True
"""

SEED_SOURCE = """
from django_tenants.utils import schema_context
from crm.platform.accounts.authentication import issue_user_token
from crm.platform.accounts.models import Membership, Role, Team, User
from crm.platform.permissions.models import AuditEntry
from crm.tenants.leads.models import Lead
from crm.tenants.models import BusinessUnit
from crm.tenants.setup import set_up_business_unit
mv = BusinessUnit.objects.select_related('group').get(group__code='lumina', code='mv')
de = BusinessUnit.objects.get(group__code='lumina', code='de')
mv.create_schema(check_if_exists=True, verbosity=0)
set_up_business_unit(mv)
group = mv.group
role = lambda code: Role.objects.get(group=group, code=code)
tokens = {}
for name, roles in [('lumina.mv.manager', [('bu_manager', mv)]),
                    ('lumina.mv.sales', [('front_sales', mv)]),
                    ('lumina.mv.both', [('front_sales', mv), ('front_sales', de)])]:
    user = User.objects.create(username=name, group=group, first_name='Personal')
    for code, unit in roles:
        Membership.objects.create(group=group, user=user, role=role(code), business_unit=unit)
    tokens[name] = issue_user_token(user)[0]
manager = User.objects.get(username='lumina.mv.manager')
team = Team.objects.create(group=group, business_unit=mv, name='MV sales', manager=manager)
team.members.add(User.objects.get(username='lumina.mv.sales'))
with schema_context(mv.schema_name):
    for number in range(7):
        Lead.objects.create(last_name=f'Kunde {number}', email=f'k{number}@example.de',
            owner=manager, team_id=team.pk)
AuditEntry.objects.create(group=group, business_unit=mv, event='DENIED', actor='t',
    user=manager)
result = tokens
"""

# ap numbers its own users: take the ids the moved users have in eu, so they must be translated.
CROWD_TARGET = """
from crm.platform.accounts.models import User
from crm.tenants.models import Group
group = Group.objects.get(code='lumina')
result = [User.objects.create(username=f'lumina.ap.local{n}', group=group).pk for n in range(4)]
"""

STATE = """
from django_tenants.utils import schema_context, schema_exists
from crm.platform.accounts.models import Membership, Team, User, UserToken
from crm.platform.permissions.models import AuditEntry
from crm.regions.models import RegionMove
from crm.tenants.leads.models import Lead
from crm.tenants.models import BusinessUnit
mv = BusinessUnit.objects.get(group__code='lumina', code='mv')
result = {'region': mv.region_id, 'schema': schema_exists(mv.schema_name),
    'users': sorted(User.objects.filter(username__startswith='lumina.mv.')
                    .values_list('username', flat=True)),
    'memberships': Membership.objects.filter(business_unit=mv).count(),
    'teams': list(Team.objects.filter(business_unit=mv).values_list('name', flat=True)),
    'audit': AuditEntry.objects.filter(business_unit=mv).count(),
    'tokens': UserToken.objects.filter(user__username__startswith='lumina.mv.').count()}
if result['schema']:
    with schema_context(mv.schema_name):
        leads = list(Lead.objects.values_list('owner__username', 'team_id'))
    team = Team.objects.filter(business_unit=mv, name='MV sales').first()
    result['leads'] = len(leads)
    result['lead_owners'] = sorted({owner for owner, _team in leads})
    result['lead_teams_ok'] = bool(team) and {t for _o, t in leads} == {team.pk}
move = RegionMove.objects.filter(business_unit=mv).first()
if move:
    result['move'] = {'id': move.pk, 'status': move.status, 'step': move.step,
        'frozen': move.frozen, 'error': move.error,
        'log': [(e['step'], e['outcome']) for e in move.log]}
"""


def _set_up_moving_bu(cells: Cells) -> dict[str, str]:
    cells.seed_directory()
    dump = in_cell(cells["cn"], CREATE_IN_HOME)
    for region in ("eu", "ap"):
        in_cell(cells[region], f"DUMP = {dump!r}\n{LOAD_REPLICA}")
    tokens: dict[str, str] = in_cell(cells["eu"], SEED_SOURCE)
    in_cell(cells["ap"], CROWD_TARGET)
    return tokens


def test_a_bu_moves_from_eu_to_ap_resuming_after_two_interruptions(cells: Cells) -> None:
    eu, ap, cn = cells["eu"], cells["ap"], cells["cn"]
    tokens = _set_up_moving_bu(cells)
    before = in_cell(eu, STATE)
    assert before["leads"] == 7
    assert before["users"] == ["lumina.mv.both", "lumina.mv.manager", "lumina.mv.sales"]
    manager = tokens["lumina.mv.manager"]
    # Before the move: served in eu, refused in ap.
    assert (
        eu.graphql(TEAM_CREATE, {"n": "Before"}, bu="lumina.mv", token=manager).data["teamCreate"][
            "errors"
        ]
        == []
    )
    assert ap.graphql("{ businessUnit { handle } }", bu="lumina.mv", token=manager).codes == [
        "WRONG_REGION"
    ]

    # 1. The target fails inside its import: it rolls back; the source stops at IMPORT.
    ap.extra_env["CRM_REGION_MOVE_FAULT"] = "import"
    ap.restart()
    try:
        first = eu.manage("move_business_unit", "lumina.mv", "ap", "--run", check=False)
    finally:
        del ap.extra_env["CRM_REGION_MOVE_FAULT"]
        ap.restart()
    assert first.returncode == 1, first.stdout + first.stderr
    assert "injected fault at import" in first.stderr
    state = in_cell(eu, STATE)
    move_id = state["move"]["id"]
    assert state["move"]["status"] == "FAILED"
    assert (state["move"]["step"], state["move"]["frozen"]) == ("IMPORT", True)
    assert [tuple(entry) for entry in state["move"]["log"]] == [
        ("FREEZE", "done"),
        ("EXPORT", "done"),
        ("IMPORT", "failed"),
    ]
    assert in_cell(ap, STATE)["users"] == []  # nothing of the import stayed

    # While frozen: writes refused, reads served, in the source; the target still says eu.
    refused = eu.graphql(TEAM_CREATE, {"n": "During"}, bu="lumina.mv", token=manager)
    assert refused.codes == ["BUSINESS_UNIT_MOVING"]
    assert refused.errors[0]["extensions"]["region"] == "ap"
    read = eu.graphql("{ businessUnit { handle } }", bu="lumina.mv", token=manager)
    assert read.data == {"businessUnit": {"handle": "lumina.mv"}}
    assert (
        eu.graphql(
            TEAM_CREATE,
            {"n": "Elsewhere"},
            bu="lumina.de",
            token=cells.seed_directory().token("eu"),
        ).data["teamCreate"]["errors"]
        == []
    )

    # 2. Resumed, the target commits the import, then the source dies before recording it.
    eu.extra_env["CRM_REGION_MOVE_FAULT"] = "after-import"
    try:
        second = eu.manage("move_business_unit", "--resume", str(move_id), check=False)
    finally:
        del eu.extra_env["CRM_REGION_MOVE_FAULT"]
    assert second.returncode == 1
    assert in_cell(ap, STATE)["leads"] == 7  # the target has it all, the source does not know

    # 3. Resumed again: imports again (idempotent), verifies, switches, purges.
    third = eu.manage("move_business_unit", "--resume", str(move_id), check=False)
    assert third.returncode == 0, third.stdout + third.stderr

    source, target = in_cell(eu, STATE), in_cell(ap, STATE)
    home = in_cell(cn, STATE)
    assert source["move"]["status"] == "DONE"
    assert [tuple(entry) for entry in source["move"]["log"][-5:]] == [
        ("IMPORT", "done"),
        ("VERIFY", "done"),
        ("SWITCH", "done"),
        ("PURGE", "done"),
        ("UNFREEZE", "done"),
    ]
    assert (source["region"], target["region"], home["region"]) == ("ap", "ap", "ap")
    # The data is in ap only, once.
    assert target["schema"]
    assert not source["schema"]
    assert target["leads"] == 7
    assert target["lead_owners"] == ["lumina.mv.manager"]
    assert target["lead_teams_ok"]
    assert target["users"] == ["lumina.mv.both", "lumina.mv.manager", "lumina.mv.sales"]
    assert target["memberships"] == 3  # manager, sales, both: their roles in mv
    assert sorted(target["teams"]) == ["Before", "MV sales"]
    assert target["audit"] >= 1  # the BU's audit entries moved with it
    assert target["tokens"] == 3
    # In eu: the BU's people are gone, except who still works in de (without the mv role).
    assert source["users"] == ["lumina.mv.both"]
    assert (source["memberships"], source["teams"], source["audit"]) == (0, [], 0)

    # Served in ap now (the eu token's digest moved with its user), refused in eu.
    served = ap.graphql(TEAM_CREATE, {"n": "After"}, bu="lumina.mv", token=manager)
    assert served.data["teamCreate"]["errors"] == [], served.body
    moved = eu.graphql("{ businessUnit { handle } }", bu="lumina.mv", token=manager)
    assert moved.codes == ["WRONG_REGION"]
    assert moved.errors[0]["extensions"]["region"] == "ap"

    # And every cell is clean.
    for region, cell in cells.items():
        code, report = scan(cell)
        assert code == 0, (region, report["findings"])
