"""What replication looks like from this cell: per other cell, versions, pending and lag.

In the group's home cell: one line per target cell with what it acknowledged, what is pending
and the lag it reported with its last answer. In a replica: one line for this cell with what it
applied and its measured lag. Both: the incidents (refused batches) recorded here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from crm.replication.apply import LAG_WINDOW
from crm.replication.models import Delivery, Incident, ReplicaState, Stream
from crm.replication.transport import pending, targets
from crm.tenants.models import Group


@dataclass
class CellStatus:
    region: str
    acknowledged_version: int | None
    applied_version: int | None
    pending: int | None
    last_lag_us: int | None
    median_lag_us: int | None
    worst_lag_us: int | None
    failures: int = 0
    last_error: str = ""
    last_success_at: datetime.datetime | None = None
    next_attempt_at: datetime.datetime | None = None


@dataclass
class GroupStatus:
    group_id: int
    region: str
    home_region: str
    head_version: int | None
    cells: list[CellStatus] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.group_id

    @property
    def is_home(self) -> bool:
        return self.region == self.home_region


def lag_stats(group_id: int, source: str) -> tuple[int | None, int | None]:
    """Median and worst lag (microseconds) of the latest entries applied here."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY lag_us), max(lag_us) FROM ("
            " SELECT lag_us FROM public.replication_lagsample WHERE group_id = %s AND source = %s"
            " ORDER BY version DESC LIMIT %s) recent",
            [group_id, source, LAG_WINDOW],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (None, None)


def group_status(group: Group, *, incidents: int = 20) -> GroupStatus:
    status = GroupStatus(
        group_id=group.pk,
        region=settings.REGION,
        home_region=group.home_region_id,
        head_version=None,
    )
    if status.is_home:
        stream = Stream.objects.filter(group_id=group.pk).first()
        status.head_version = stream.last_version if stream else 0
        deliveries = {d.target: d for d in Delivery.objects.filter(group_id=group.pk)}
        for target in targets():
            delivery = deliveries.get(target.code)
            status.cells.append(
                CellStatus(
                    region=target.code,
                    acknowledged_version=delivery.acknowledged_version if delivery else 0,
                    applied_version=delivery.acknowledged_version if delivery else 0,
                    pending=pending(group.pk, target.code),
                    last_lag_us=delivery.last_lag_us if delivery else None,
                    median_lag_us=delivery.median_lag_us if delivery else None,
                    worst_lag_us=delivery.worst_lag_us if delivery else None,
                    failures=delivery.failures if delivery else 0,
                    last_error=delivery.last_error if delivery else "",
                    last_success_at=delivery.last_success_at if delivery else None,
                    next_attempt_at=delivery.next_attempt_at if delivery else None,
                )
            )
    else:
        state = ReplicaState.objects.filter(group_id=group.pk, source=group.home_region_id).first()
        median, worst = lag_stats(group.pk, group.home_region_id)
        status.cells.append(
            CellStatus(
                region=settings.REGION,
                acknowledged_version=None,
                applied_version=state.applied_version if state else 0,
                pending=None,
                last_lag_us=state.last_lag_us if state else None,
                median_lag_us=median,
                worst_lag_us=worst,
                last_success_at=state.applied_at if state else None,
            )
        )
    status.incidents = list(Incident.objects.filter(group_id=group.pk)[:incidents])
    return status
