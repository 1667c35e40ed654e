"""Every query path stays inside the caller's group, even for a group admin who sees everything.

Each group gets one record of every kind the API lists; each group's admin then lists every kind
on its own BU and must find its own record and never the other group's.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

BU_OWNER = {"hq": "acme-only", "main": "rival-only"}
# kind -> (query, how to read the identifiers out of the reply)
LISTS: dict[str, tuple[str, Any]] = {
    "materials": (
        "{ materials(first: 100) { edges { node { code } } } }",
        lambda d: {e["node"]["code"] for e in d["materials"]["edges"]},
    ),
    "price lists": (
        "{ priceLists(first: 100) { edges { node { code } } } }",
        lambda d: {e["node"]["code"] for e in d["priceLists"]["edges"]},
    ),
    "exchange rates": (
        "{ exchangeRates(first: 100) { edges { node { source } } } }",
        lambda d: {e["node"]["source"] for e in d["exchangeRates"]["edges"]},
    ),
    "users": ("{ users { username } }", lambda d: {u["username"] for u in d["users"]}),
    "teams": ("{ teams { name } }", lambda d: {t["name"] for t in d["teams"]}),
    "api keys": ("{ apiKeys { name } }", lambda d: {k["name"] for k in d["apiKeys"]}),
    "memberships": ("{ memberships { user } }", lambda d: {m["user"] for m in d["memberships"]}),
    "roles": ("{ roles { code } }", lambda d: {r["code"] for r in d["roles"]}),
    "audit log": (
        "{ auditEntries(first: 100) { edges { node { objectType } } } }",
        lambda d: {e["node"]["objectType"] for e in d["auditEntries"]["edges"]},
    ),
    "customers": (
        "{ customers(first: 100) { edges { node { code } } } }",
        lambda d: {e["node"]["code"] for e in d["customers"]["edges"]},
    ),
    "customer duplicates": (
        "{ customerDuplicates { first { code } second { code } } }",
        lambda d: (
            {p["first"]["code"] for p in d["customerDuplicates"]}
            | {p["second"]["code"] for p in d["customerDuplicates"]}
        ),
    ),
    "change requests": (
        "{ changeRequests(first: 100) { edges { node { reason } } } }",
        lambda d: {e["node"]["reason"] for e in d["changeRequests"]["edges"]},
    ),
    "sales policies": (
        "{ salesPolicies { businessUnit maxDiscount } }",
        # Seeded for acme.hq and rival.main: the BU code says whose it is.
        lambda d: {BU_OWNER.get(p["businessUnit"], p["businessUnit"]) for p in d["salesPolicies"]},
    ),
    "policy history": (
        "{ policyVersions { note } }",
        lambda d: {v["note"] for v in d["policyVersions"]},
    ),
}


def seed(group_code: str, bu_code: str) -> str:
    """One record of every listed kind, each carrying the marker `<group>-only`."""
    from crm.masterdata.customers.models import Customer
    from crm.masterdata.governance.models import ChangeRequest
    from crm.masterdata.models import ExchangeRate, Material, PriceList, SalesPolicy
    from crm.platform.accounts.models import ApiKey, Membership, Role, Team, User
    from crm.platform.permissions.models import AuditEntry, PolicyVersion
    from crm.tenants.models import BusinessUnit, Group

    marker = f"{group_code}-only"
    group = Group.objects.get(code=group_code)
    unit = BusinessUnit.objects.get(group=group, code=bu_code)
    Material.objects.create(group=group, code=marker, unit="PCS", status="ACTIVE", name_en="x")
    PriceList.objects.create(
        group=group,
        code=marker,
        name_en="x",
        currency="USD",
        scope="GROUP",
        valid_from=datetime.date(2026, 1, 1),
        status="ACTIVE",
    )
    ExchangeRate.objects.create(
        group=group,
        base="EUR",
        quote="USD",
        date=datetime.date(2001, 1, 1),
        rate=Decimal("1.1"),
        source=marker,
    )
    person = User.objects.create_user(username=marker, group=group)
    role = Role.objects.get(group=group, code="front_sales")
    Membership.objects.create(group=group, user=person, role=role, business_unit=unit)
    Team.objects.create(group=group, business_unit=unit, name=marker)
    ApiKey.objects.create(
        group=group, role=role, name=marker, prefix=marker[:8], digest=marker.ljust(64, "0")
    )
    AuditEntry.objects.create(group=group, event="DENIED", actor="t", object_type=marker)
    version = PolicyVersion.objects.get(group=group, active=True)
    version.note = marker
    version.save(update_fields=["note"])
    customer = Customer.objects.create(
        group=group, code=marker, legal_name=f"{marker} Holding", country="DE"
    )
    Customer.objects.create(
        group=group, code=f"{marker}-2", legal_name=f"{marker} Holding AG", country="DE"
    )  # a look-alike, for the duplicate report
    ChangeRequest.objects.create(
        group=group,
        business_unit=unit,
        customer=customer,
        proposed={"grade": "A"},
        base={"grade": "C"},
        reason=marker,
    )
    SalesPolicy.objects.create(group=group, business_unit=unit, role=role, max_discount=5)
    return marker


@pytest.mark.parametrize("kind", list(LISTS))
def test_each_list_shows_only_its_own_group(world, graphql, kind):
    acme, rival = seed("acme", "hq"), seed("rival", "main")
    query, identifiers = LISTS[kind]
    for bu, own, other in (("acme.hq", acme, rival), ("rival.main", rival, acme)):
        reply = graphql(query, bu=bu)
        assert reply.errors == [], reply.errors
        found = identifiers(reply.data)
        if kind != "roles":  # both groups have the same role codes by default
            assert own in found, (bu, kind)
        assert other not in found, (bu, kind)


def test_roles_are_the_groups_own_rows(world, graphql):
    from crm.platform.accounts.models import Role

    Role.objects.create(group_id=world.rival_id, code="rival_only_role", name="x")
    assert "rival_only_role" in {
        r["code"] for r in graphql("{ roles { code } }", bu="rival.main").data["roles"]
    }
    assert "rival_only_role" not in {
        r["code"] for r in graphql("{ roles { code } }", bu="acme.hq").data["roles"]
    }
