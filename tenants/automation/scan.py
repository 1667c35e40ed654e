"""Time-based rules: records whose `since` timestamp is at least `hours` old and that meet the
rule's conditions fire once per record and occurrence (`elapsed:<that timestamp>`).

The scan is set-based: for each TIME_ELAPSED rule one SQL query per batch selects the due
records that have no firing for that occurrence yet (NOT EXISTS on the firing's unique key),
in primary-key order; each batch is checked against the conditions in Python too (the
authority), then its firing rows and the actions' effects are written in one transaction.
A worker that dies mid-scan loses at most the batch in flight, which the next scan does again;
two scans at once insert the same firing rows, and the second waits for the first and then
inserts nothing (ON CONFLICT DO NOTHING), so no record fires twice.

A record that leaves the condition and comes back with a new timestamp (a follow-up logged,
then none for another 7 days) has a new occurrence, so it fires again; the same one never.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import CharField, DateTimeField, Exists, F, Func, OuterRef, Value
from django.db.models.functions import Coalesce, Concat

from crm.tenants.automation import clock, records
from crm.tenants.automation.engine import Context, Item, elapsed_occurrence, fire
from crm.tenants.automation.models import Firing, Rule, Trigger
from crm.tenants.automation.sql_conditions import to_q
from crm.tenants.leads import conditions as condition_rules
from crm.tenants.models import BusinessUnit

BATCH = 500
SINCE = "_automation_since"


class UtcStamp(Func):
    """A timestamp as `elapsed_occurrence` writes it: UTC, microseconds, a Z."""

    template = "to_char((%(expressions)s) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    output_field = CharField()


@dataclass
class RuleScan:
    rule: str
    candidates: int = 0
    fired: int = 0


def due_records(rule: Rule, now: datetime.datetime) -> Any:
    """The records due for `rule` at `now` with no firing for their occurrence: a queryset of
    (pk, since) rows, before the Python check of the conditions."""
    kind = records.kind_of(rule.record_type)
    parameters = rule.parameters or {}
    since: Any = F(parameters["since"])
    if parameters.get("fallback"):
        since = Coalesce(since, F(parameters["fallback"]), output_field=DateTimeField())
    cutoff = now - datetime.timedelta(hours=float(parameters["hours"]))
    fired = Firing.objects.filter(
        rule_id=rule.pk,
        record_type=kind.name,
        record_id=OuterRef("pk"),
        occurrence=Concat(Value("elapsed:"), UtcStamp(OuterRef(SINCE)), output_field=CharField()),
    )
    return (
        kind.model._default_manager.annotate(**{SINCE: since})
        .filter(**{f"{SINCE}__lte": cutoff})
        .filter(to_q(kind, rule.conditions))
        .filter(~Exists(fired))
    )


def scan_rule(
    business_unit: BusinessUnit, rule: Rule, now: datetime.datetime, *, batch: int = BATCH
) -> RuleScan:
    kind = records.kind_of(rule.record_type)
    result = RuleScan(rule=rule.code)
    queryset = due_records(rule, now)
    related = ["campaign"] if kind.name == "lead" else []
    context = Context(business_unit=business_unit, now=now, actor=f"automation:{rule.code}")
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", SINCE)[:batch])
        if not rows:
            return result
        last = rows[-1][0]
        result.candidates += len(rows)
        since_of = dict(rows)
        loaded = kind.model._default_manager.select_related(*related).in_bulk(list(since_of))
        items = [
            Item(record, elapsed_occurrence(since_of[pk]))
            for pk, record in sorted(loaded.items())
            if condition_rules.matches(kind.facts(record), rule.conditions)
        ]
        with transaction.atomic():
            result.fired += len(fire(context, rule, kind, items))
        if len(rows) < batch:
            return result


def scan_business_unit(
    business_unit: BusinessUnit, *, now: datetime.datetime | None = None, batch: int = BATCH
) -> list[RuleScan]:
    """Every active time-based rule of the BU whose schema is current, at `now` (the clock's by
    default; tests and the benchmark pass their own)."""
    at = now or clock.now()
    rules = Rule.objects.filter(active=True, trigger=Trigger.TIME_ELAPSED).order_by(
        "position", "id"
    )
    return [
        scan_rule(business_unit, rule, at, batch=batch)
        for rule in rules
        if records.kind_of(rule.record_type).available
    ]
