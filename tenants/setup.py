"""What a new group and a new business unit start with, from every area that brings defaults.

Areas register their installers when their app is ready (the default pipeline of a BU, its
default automation rules, the group's sales setup). Installers are idempotent: `migrate_cell`
runs them for every group and every local BU on each deployment, so a release that brings a
new default gives it to existing tenants too, without touching what they changed.
"""

from __future__ import annotations

from collections.abc import Callable

from django_tenants.utils import schema_context

from crm.tenants.models import BusinessUnit, Group

GroupInstaller = Callable[[Group], None]
BusinessUnitInstaller = Callable[[BusinessUnit], None]

_GROUP_INSTALLERS: dict[str, GroupInstaller] = {}
_BU_INSTALLERS: dict[str, BusinessUnitInstaller] = {}


def on_new_group(name: str, installer: GroupInstaller) -> None:
    """Run `installer(group)` for each group (in the shared schema)."""
    _GROUP_INSTALLERS[name] = installer


def on_new_business_unit(name: str, installer: BusinessUnitInstaller) -> None:
    """Run `installer(business_unit)` inside each local BU's schema, after its group's."""
    _BU_INSTALLERS[name] = installer


def set_up_group(group: Group) -> None:
    for installer in _GROUP_INSTALLERS.values():
        installer(group)


def set_up_business_unit(business_unit: BusinessUnit) -> None:
    with schema_context(business_unit.schema_name):
        for installer in _BU_INSTALLERS.values():
            installer(business_unit)
