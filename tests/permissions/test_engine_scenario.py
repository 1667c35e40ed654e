"""The engine expresses the seed scenario before its record types exist.

Opportunities, contracts and contacts arrive in later issues; here a stand-in `deal` and
`contact` type (plain objects, no tables) are governed by rules written as data, and the
engine must answer the scenario: each person's permission differs at each stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from crm.platform.accounts.models import Team, User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import Grant, Policy, Principal, Rule
from crm.platform.permissions.registry import REGISTRY, GovernedField, ObjectType
from crm.platform.permissions.vocabulary import Action, FieldMode, Scope
from crm.tenants.models import BusinessUnit

STAGES = ("lead", "qualify", "solution", "negotiation", "signed")
COMMERCIAL = ("amount", "discount")


@dataclass
class Deal:
    pk: int
    stage: str
    owner_id: int


@dataclass
class Contact:
    pk: int
    owner_id: int


DEAL = ObjectType(
    name="deal",
    model=Deal,  # type: ignore[arg-type]
    graphql_type="ScenarioDeal",
    fields=tuple(
        GovernedField(name)
        for name in (
            *COMMERCIAL,
            "solution",
            "quote_lines",
            "margin",
            "contract_terms",
            "payment_terms",
        )
    ),
    stages=STAGES,
    stage_field="stage",
    group_field=None,  # a record of the BU's own schema
    owner_field="owner",
)
CONTACT = ObjectType(
    name="contact",
    model=Contact,  # type: ignore[arg-type]
    graphql_type="ScenarioContact",
    fields=(GovernedField("company"), GovernedField("email", personal=True)),
    group_field=None,
    owner_field="owner",
)

SALES, SUPPORT, LEGAL, FINANCE, MANAGER, DIRECTOR = 1, 2, 3, 4, 5, 6
_ids = iter(range(1, 10_000))


def rule(
    object_type: ObjectType,
    role: int,
    scope: Scope,
    actions: tuple[str, ...],
    stage: str = "",
    default: FieldMode = FieldMode.READ,
    **modes: FieldMode,
) -> Rule:
    return Rule(
        next(_ids), object_type.name, role, stage, scope, frozenset(actions), default, modes
    )


H, R, W = FieldMode.HIDDEN, FieldMode.READ, FieldMode.WRITE
V, E, ADV = Action.VIEW, Action.EDIT, Action.ADVANCE
OWN, TEAM, BU, GROUP = Scope.OWN, Scope.TEAM, Scope.BUSINESS_UNIT, Scope.GROUP

SCENARIO = [
    # Front-end sales edit their own deals until negotiation, then only read them.
    *[rule(DEAL, SALES, OWN, (V, E, ADV), s, W, margin=H) for s in STAGES[:3]],
    *[rule(DEAL, SALES, OWN, (V,), s, R, margin=H) for s in STAGES[3:]],
    # Back-end support edits solution and quote lines from "solution" on; never sees margin.
    *[
        rule(DEAL, SUPPORT, BU, (V, E), s, R, solution=W, quote_lines=W, margin=H)
        for s in STAGES[2:]
    ],
    # Legal edits contract terms in negotiation only.
    rule(DEAL, LEGAL, BU, (V, E), "negotiation", R, contract_terms=W, margin=H),
    rule(DEAL, LEGAL, BU, (V,), "signed", R, margin=H),
    # Finance reads every deal, payment fields only from "signed".
    rule(DEAL, FINANCE, BU, (V,), "", R, payment_terms=H),
    rule(DEAL, FINANCE, BU, (V,), "signed", R),
    # A BU manager sees the deals of the teams they manage, and below.
    rule(DEAL, MANAGER, TEAM, (V, Action.ASSIGN), "", R),
    # HQ directors read every BU's pipeline, contacts' personal data only in their own BU.
    rule(DEAL, DIRECTOR, GROUP, (V,), "", R),
    rule(CONTACT, DIRECTOR, GROUP, (V,), "", R, email=H),
    rule(CONTACT, DIRECTOR, BU, (V,), "", R),
]


def policy() -> Policy:
    rules: dict[tuple[str, int], list[Rule]] = {}
    for r in SCENARIO:
        rules.setdefault((r.object_type, r.role_id), []).append(r)
    return Policy(version_id=None, number=1, rules={k: tuple(v) for k, v in rules.items()})


def access(
    bu: BusinessUnit, *grants: tuple[int, BusinessUnit | None], user_id: int = 100
) -> Access:
    principal = Principal(
        group_id=bu.group_id,
        label="scenario",
        grants=tuple(Grant(role, str(role), unit.pk if unit else None) for role, unit in grants),
        user_id=user_id,
    )
    return Access(principal, bu, policy())


@pytest.fixture(autouse=True)
def scenario_types(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered for these tests only, so the API's schema and matrix never see them."""
    monkeypatch.setitem(REGISTRY, DEAL.name, DEAL)
    monkeypatch.setitem(REGISTRY, CONTACT.name, CONTACT)


@pytest.fixture
def units(world: Any) -> dict[str, BusinessUnit]:
    return {bu.code: bu for bu in BusinessUnit.objects.filter(group__code="acme")}


def test_front_sales_edit_own_deals_until_negotiation_then_only_read(units):
    de = units["de"]
    sales = access(de, (SALES, de), user_id=100)
    for stage in STAGES[:3]:
        deal = Deal(1, stage, owner_id=100)
        assert sales.can(E, deal, "amount"), stage
        assert sales.can(ADV, deal)
        assert not sales.can(V, deal, "margin")
    for stage in STAGES[3:]:
        deal = Deal(1, stage, owner_id=100)
        assert not sales.can(E, deal), stage
        assert all(sales.can(V, deal, field) for field in COMMERCIAL)
        assert not sales.can(E, deal, "amount")
    # Somebody else's deal is out of the own scope: nothing at all.
    other = sales.on_record(DEAL, Deal(2, "lead", owner_id=999))
    assert other.actions == frozenset()
    assert other.mode("amount") == H


def test_back_support_edits_solution_and_quote_lines_from_solution_on_never_margin(units):
    de = units["de"]
    support = access(de, (SUPPORT, de))
    assert not support.can(V, Deal(1, "qualify", owner_id=7))
    for stage in STAGES[2:]:
        deal = Deal(1, stage, owner_id=7)
        assert support.can(E, deal, "solution")
        assert support.can(E, deal, "quote_lines")
        assert support.can(V, deal, "amount")
        assert not support.can(E, deal, "amount")
        assert support.on_record(DEAL, deal).mode("margin") == H


def test_legal_edits_contract_terms_only_in_negotiation(units):
    de = units["de"]
    legal = access(de, (LEGAL, de))
    assert legal.can(E, Deal(1, "negotiation", 7), "contract_terms")
    assert not legal.can(E, Deal(1, "signed", 7), "contract_terms")
    assert legal.can(V, Deal(1, "signed", 7), "contract_terms")
    assert not legal.can(V, Deal(1, "solution", 7))


def test_finance_sees_payment_fields_from_signed(units):
    de = units["de"]
    finance = access(de, (FINANCE, de))
    for stage in STAGES[:4]:
        assert finance.on_record(DEAL, Deal(1, stage, 7)).mode("payment_terms") == H, stage
    assert finance.on_record(DEAL, Deal(1, "signed", 7)).mode("payment_terms") == R


def test_a_person_with_two_roles_gets_the_wider_of_both(units):
    de = units["de"]
    both = access(de, (SALES, de), (FINANCE, de), user_id=100)
    signed_own = both.on_record(DEAL, Deal(1, "signed", owner_id=100))
    assert signed_own.mode("payment_terms") == R  # from finance
    assert signed_own.mode("margin") == R  # finance reads margin; sales alone would not
    assert both.on_record(DEAL, Deal(1, "lead", owner_id=100)).mode("amount") == W  # sales


def test_team_scope_reaches_the_managers_teams_and_the_teams_below(units):
    de = units["de"]
    manager = User.objects.create_user(username="scenario.manager")
    member = User.objects.create_user(username="scenario.member")
    below = User.objects.create_user(username="scenario.below")
    outsider = User.objects.create_user(username="scenario.outsider")
    sales_team = Team.objects.create(
        group_id=de.group_id, business_unit=de, name="Sales DACH", manager=manager
    )
    sales_team.members.add(member)
    Team.objects.create(
        group_id=de.group_id, business_unit=de, name="Sales Austria", parent=sales_team
    ).members.add(below)
    boss = access(de, (MANAGER, de), user_id=manager.pk)
    assert boss.can(Action.ASSIGN, Deal(1, "lead", owner_id=member.pk))
    assert boss.can(V, Deal(2, "lead", owner_id=below.pk))
    assert boss.can(V, Deal(3, "lead", owner_id=manager.pk))
    assert not boss.can(V, Deal(4, "lead", owner_id=outsider.pk))


def test_hq_director_reads_every_bu_but_personal_data_only_in_their_own(units):
    hq, de = units["hq"], units["de"]
    grants = ((DIRECTOR, None), (DIRECTOR, hq))
    at_hq = access(hq, *grants)
    at_de = access(de, *grants)
    assert at_de.can(V, Deal(1, "negotiation", 7), "amount")
    assert not at_de.can(E, Deal(1, "negotiation", 7))  # group scope: read only
    assert at_hq.on_record(CONTACT, Contact(1, 7)).mode("email") == R
    assert at_de.on_record(CONTACT, Contact(1, 7)).mode("email") == H
    assert at_de.on_record(CONTACT, Contact(1, 7)).mode("company") == R
