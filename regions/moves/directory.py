"""SWITCH: the one write that makes another region the business unit's home.

The BU directory is group master data: authoritative in the group's home cell, which replicates
it to every other cell (crm.replication); the other cells' copies refuse ordinary writes. So the
switch is written by `switch_business_unit_region` in the home cell (its outbox carries it to
every cell), and applied at once, as a replica applies a batch, in the move's source and target
cells, so that the move need not wait for the next replication push. The row written is the
same everywhere; the replicated batch that arrives later changes nothing.
"""

from __future__ import annotations

from django.db import connection, transaction

from crm.regions.models import Region
from crm.tenants.models import BusinessUnit


def switch_business_unit_region(*, business_unit: BusinessUnit, region: Region) -> bool:
    """In the group's home cell: make `region` the BU's home. True if it changed anything."""
    with transaction.atomic():
        changed = (
            BusinessUnit.objects.filter(pk=business_unit.pk)
            .exclude(region=region)
            .update(region=region)
        )
    return bool(changed)


def apply_switch_as_replica(*, business_unit: BusinessUnit, region: Region) -> bool:
    """In another cell: the same write, applied as replication applies the home cell's."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL crm.replicating = 'on'")
        changed = (
            BusinessUnit.objects.filter(pk=business_unit.pk)
            .exclude(region=region)
            .update(region=region)
        )
    return bool(changed)
