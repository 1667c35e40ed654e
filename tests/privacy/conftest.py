"""Fixtures of the privacy tests: the EU cell, a second EU business unit, a privacy officer.

The test world keeps every region's business units in one database; a test acts as the EU
cell with `settings.REGION = "eu"` (the `eu` fixture), where acme.de is homed. `acme_fr` adds a
second EU business unit of acme inside the test's transaction (rolled back with it), so that a
request has two units of the same region to search, while acme.jp (ap) and acme.hq (cn) are
units of other regions that must not be touched.
"""

from __future__ import annotations

from typing import Any

import pytest

from crm.tests.fixtures.world import World


@pytest.fixture
def eu(world: World, settings: Any) -> World:
    settings.REGION = "eu"
    return world


@pytest.fixture
def acme_fr(eu: World) -> Any:
    from crm.regions.models import Region
    from crm.tenants.models import BusinessUnitKind, Group
    from crm.tenants.provisioning import provision_business_unit

    return provision_business_unit(
        group=Group.objects.get(code="acme"),
        code="fr",
        name="Acme France",
        kind=BusinessUnitKind.SUBSIDIARY,
        region=Region.objects.get(code="eu"),
        language="en",
        currency="EUR",
        time_zone="Europe/Paris",
    )


def member(username: str, role: str, group: str = "acme", bu: str | None = None) -> str:
    """A user of `group` holding `role` (at group level, or in BU `bu`)."""
    from crm.platform.accounts.models import Membership, Role, User
    from crm.tenants.models import BusinessUnit, Group

    owner = Group.objects.get(code=group)
    user = User.objects.create_user(username=username, password="pw", group=owner)
    Membership.objects.create(
        group=owner,
        user=user,
        role=Role.objects.get(group=owner, code=role),
        business_unit=BusinessUnit.objects.get(group=owner, code=bu) if bu else None,
    )
    return username


@pytest.fixture
def officer(world: World) -> str:
    """acme's data protection officer (a group-level role)."""
    return member("acme.dpo", "privacy_officer")
