"""`GET /metrics`: replication figures of this cell in the Prometheus text format.

- `crm_replication_applied_version{group,source}`: what this cell applied (replica);
- `crm_replication_lag_seconds{group,source,stat="last|median|worst"}`: applied time minus the
  home cell's capture time, over the latest entries (replica);
- `crm_replication_head_version{group}`, `crm_replication_acknowledged_version{group,target}`
  and `crm_replication_pending_entries{group,target}` (home cell, per target cell);
- `crm_replication_incidents_total{kind}`.

Group codes and region codes only: no personal data. Meant for the operator's scraper on the
internal network, like /healthz.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from crm.replication.models import Delivery, Incident, ReplicaState, Stream
from crm.replication.status import lag_stats
from crm.replication.transport import pending, targets
from crm.tenants.models import Group


def _labels(**labels: str) -> str:
    inner = ",".join(
        f'{name}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for name, value in labels.items()
    )
    return "{" + inner + "}"


def _seconds(microseconds: int | None) -> str:
    return "NaN" if microseconds is None else f"{microseconds / 1_000_000:.6f}"


def render() -> str:
    codes = dict(Group.objects.values_list("id", "code"))
    cell = settings.REGION

    def code(group_id: int) -> str:
        return str(codes.get(group_id, group_id))

    lines: list[str] = []

    def metric(name: str, kind: str, text: str) -> None:
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")

    states = list(ReplicaState.objects.order_by("group_id", "source"))
    metric("crm_replication_applied_version", "gauge", "Last version applied in this cell.")
    for state in states:
        labels = _labels(cell=cell, group=code(state.group_id), source=state.source)
        lines.append(f"crm_replication_applied_version{labels} {state.applied_version}")
    metric("crm_replication_lag_seconds", "gauge", "Applied time minus capture time at home.")
    for state in states:
        median, worst = lag_stats(state.group_id, state.source)
        for stat, value in (("last", state.last_lag_us), ("median", median), ("worst", worst)):
            labels = _labels(cell=cell, group=code(state.group_id), source=state.source, stat=stat)
            lines.append(f"crm_replication_lag_seconds{labels} {_seconds(value)}")

    streams = list(Stream.objects.order_by("group_id"))
    metric("crm_replication_head_version", "gauge", "Last version given out in the home cell.")
    for stream in streams:
        labels = _labels(cell=cell, group=code(stream.group_id))
        lines.append(f"crm_replication_head_version{labels} {stream.last_version}")
    deliveries = {(d.group_id, d.target): d for d in Delivery.objects.all()}
    others = [region.code for region in targets()]
    metric("crm_replication_acknowledged_version", "gauge", "Last version a target acknowledged.")
    for stream in streams:
        for target in others:
            delivery = deliveries.get((stream.group_id, target))
            acknowledged = delivery.acknowledged_version if delivery else 0
            labels = _labels(cell=cell, group=code(stream.group_id), target=target)
            lines.append(f"crm_replication_acknowledged_version{labels} {acknowledged}")
    metric("crm_replication_pending_entries", "gauge", "Entries a target has not acknowledged.")
    for stream in streams:
        for target in others:
            labels = _labels(cell=cell, group=code(stream.group_id), target=target)
            lines.append(
                f"crm_replication_pending_entries{labels} {pending(stream.group_id, target)}"
            )
    metric("crm_replication_incidents_total", "counter", "Batches refused or not applied.")
    for kind, count in (
        Incident.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")
    ):
        lines.append(f"crm_replication_incidents_total{_labels(cell=cell, kind=kind)} {count}")
    return "\n".join(lines) + "\n"


@require_GET
def metrics(_request: HttpRequest) -> HttpResponse:
    return HttpResponse(render(), content_type="text/plain; version=0.0.4; charset=utf-8")
