"""The stage funnel of a pipeline: per stage and per period, how many deals entered the stage,
how many of them went on to the next one, were won, were lost there, or are still there.

A deal *reaches* a stage when it moves into it or past it: the funnel is cumulative, so a deal
advanced from qualification straight to the quote stage (the policy allows skipping) has
reached needs analysis and solution too, at that moment, and a deal won from any stage has
reached every open stage and the won stage. Moving back and forward again does not reach a stage
twice; losing a deal reaches nothing. The stages are the pipeline's open stages in their order,
then its won stage.

Per stage, the deals that reached it in a period (the *cohort* of that period and stage):
`entered` counts them; `converted` those that reached the next stage (at any time up to now);
`won` those that are won now; `lost` those lost without getting further (they dropped out
here); `open` those still open that got no further. So entered = converted + lost + open at every
open stage (a reopened deal is open again).

The times come from each deal's trail (`OpportunityEvent`: moved, closed as won, reopened) and
its creation (every deal starts in the first stage); a deal loaded without a trail (an import)
counts as in its current stage since it entered it. Periods are calendar periods of the time
zone given (the BU's; HQ's for the group view); the range is of whole days in that zone.

It is one set-based statement: the deals that can count in the range joined to their moves and
aggregated per deal (the first moment each stage was reached), each deal's stages put into the
periods' buckets, and the deals counted per status, highest stage and buckets; the few hundred
groups are spread over periods and stages here (infra/bench_funnel.py: 50,000 deals and their
trails).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import QuerySet

from crm.masterdata.sales.models import StageKind
from crm.tenants.opportunities.models import Opportunity, OpportunityEvent, Stage
from crm.tenants.performance.periods import Period

# The SQL of the ids of the deals one may view, and its parameters.
Restriction = tuple[str, list[Any]]

HUNDRED = Decimal(100)
ONE_PLACE = Decimal("0.1")


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """`part` of `whole` in percent, one decimal place (half up); None for nothing of nothing."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def restriction(queryset: QuerySet[Any]) -> Restriction | None:
    """None when `queryset` (what the caller may view) is the whole table; else the SQL of its
    ids, to keep the statement to the records the caller may view."""
    if queryset.query.is_empty():
        return "SELECT NULL WHERE FALSE", []
    if not queryset.query.where.children:
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


@dataclass(frozen=True)
class FunnelStage:
    """A stage of the funnel: the pipeline's stage and its step (1 for the first open one)."""

    stage: Stage
    step: int

    @property
    def code(self) -> str:
        return self.stage.code


@dataclass
class StageFigures:
    entered: int = 0
    converted: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0

    @property
    def conversion_percent(self) -> Decimal | None:
        return percent(self.converted, self.entered)

    def add(self, other: StageFigures) -> None:
        self.entered += other.entered
        self.converted += other.converted
        self.won += other.won
        self.lost += other.lost
        self.open += other.open


@dataclass
class Funnel:
    start: datetime.date
    end: datetime.date
    granularity: str
    stages: list[FunnelStage]
    periods: list[Period]
    # (period start, step) -> figures; absent means nothing entered.
    figures: dict[tuple[datetime.date, int], StageFigures] = field(default_factory=dict)

    def of(self, period: Period, stage: FunnelStage) -> StageFigures:
        return self.figures.get((period.start, stage.step)) or StageFigures()

    def total(self, stage: FunnelStage) -> StageFigures:
        total = StageFigures()
        for period in self.periods:
            total.add(self.of(period, stage))
        return total


def funnel_stages(pipeline_id: int) -> list[FunnelStage]:
    """The pipeline's open stages in order, then its won stage."""
    stages = list(Stage.objects.filter(pipeline_id=pipeline_id).order_by("position"))
    ordered = [s for s in stages if s.kind == StageKind.OPEN]
    ordered += [s for s in stages if s.kind == StageKind.WON][:1]
    return [FunnelStage(stage, step) for step, stage in enumerate(ordered, start=1)]


def start_of(day: datetime.date, time_zone: str) -> datetime.datetime:
    """The first instant of `day` in `time_zone`."""
    return datetime.datetime.combine(day, datetime.time.min, ZoneInfo(time_zone))


def _table(model: type[Any]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


# Per distinct (status, highest step reached, the bucket each step was first reached in): how
# many deals. The buckets are the periods' numbers (1 for the first), 0 before the range and
# one past the last after it, null for a step never reached.
Group = tuple[str, int, tuple[int | None, ...], int]


def reach_groups(
    pipeline_id: int,
    codes: list[str],
    thresholds: list[datetime.datetime],
    *,
    visible: Restriction | None = None,
) -> list[Group]:
    """The current BU schema's deals of the pipeline, grouped by status, the highest of the
    stages `codes` (open ones in order, then won) they reached, and per stage the bucket of
    `thresholds` (the instants where the periods start, then the end of the range) in which
    they first reached it."""
    deal, event = _table(Opportunity), _table(OpportunityEvent)
    extra, extra_params = (
        ("", []) if visible is None else (f" AND id IN ({visible[0]})", visible[1])
    )
    later = range(2, len(codes) + 1)
    # The first moment a move reached each later step (or one past it): stage moves, closing
    # as won, reopening; a deal's creation is its first step (every deal starts there).
    firsts = "".join(
        f", min(m.at) FILTER (WHERE m.reach >= {step}) AS first_{step}" for step in later
    )
    buckets = ", ".join(
        [
            "width_bucket(created_at, %s::timestamptz[])",
            # A deal without a trail (an import) is in its stage since it entered it.
            *(
                f"width_bucket(least(first_{step}, CASE WHEN reach >= {step} "
                f"THEN stage_entered_at END), %s::timestamptz[])"
                for step in later
            ),
        ]
    )
    sql = f"""
        WITH deals AS (
            SELECT id, status, created_at, stage_entered_at,
                   coalesce(array_position(%s::text[], stage_code::text), 1) AS reach
            FROM {deal}
            -- Only deals that may have reached a stage in the range: created before its end,
            -- and moved last (every move sets stage_entered_at, then writes its event) after
            -- its start, give or take the moment between the two writes.
            WHERE pipeline_id = %s AND created_at < %s
              AND stage_entered_at >= %s - interval '1 minute'{extra}
        ),
        reached AS (
            SELECT d.status, d.created_at, d.stage_entered_at, d.reach,
                   max(m.reach) AS final{firsts}
            FROM deals AS d
            LEFT JOIN (
                SELECT opportunity_id, at, array_position(%s::text[], to_stage::text) AS reach
                FROM {event} WHERE kind IN ('STAGE', 'CLOSED', 'REOPENED')
            ) AS m ON m.opportunity_id = d.id
            GROUP BY d.id, d.status, d.created_at, d.stage_entered_at, d.reach
        )
        SELECT status, greatest(reach, coalesce(final, 0)), {buckets}, count(*)
        FROM reached
        GROUP BY {", ".join(str(n) for n in range(1, len(codes) + 3))}
    """  # noqa: S608  (table names from the models, steps are numbers, values as parameters)
    params = [
        codes,
        pipeline_id,
        thresholds[-1],
        thresholds[0],
        *extra_params,
        codes,
        *([thresholds] * len(codes)),
    ]
    # A hash join and two hash aggregates: parallel workers would cost more than they save,
    # and the cores are shared with the other requests.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return [(row[0], row[1], tuple(row[2:-1]), row[-1]) for row in cursor.fetchall()]


def count_groups(groups: list[Group], periods: int) -> dict[tuple[int, int], StageFigures]:
    """(period number from 1, step) -> the figures of the deals that reached the step then."""
    figures: dict[tuple[int, int], StageFigures] = {}
    for status, final, buckets, deals in groups:
        for step, bucket in enumerate(buckets, start=1):
            if bucket is None or not 1 <= bucket <= periods:
                continue
            cell = figures.setdefault((bucket, step), StageFigures())
            cell.entered += deals
            if final > step:
                cell.converted += deals
            if status == StageKind.WON:
                cell.won += deals
            elif final == step:
                if status == StageKind.LOST:
                    cell.lost += deals
                elif status == StageKind.OPEN:
                    cell.open += deals
    return figures


def thresholds_of(
    periods: list[Period], start: datetime.date, end: datetime.date, time_zone: str
) -> list[datetime.datetime]:
    """Where each period's part of the range starts, then where the range ends."""
    return [
        start_of(start, time_zone),
        *(start_of(period.start, time_zone) for period in periods[1:]),
        start_of(end + datetime.timedelta(days=1), time_zone),
    ]


def compute_funnel(
    pipeline_id: int,
    *,
    periods: list[Period],
    start: datetime.date,
    end: datetime.date,
    time_zone: str,
    visible: Restriction | None = None,
) -> Funnel:
    """The funnel of the current BU schema's pipeline over the days `start` to `end` (in
    `time_zone`), per period of `periods` (which cover them), of the deals `visible` lets in."""
    stages = funnel_stages(pipeline_id)
    funnel = Funnel(
        start=start, end=end, granularity=periods[0].kind, stages=stages, periods=periods
    )
    if not stages:
        return funnel
    groups = reach_groups(
        pipeline_id,
        [s.code for s in stages],
        thresholds_of(periods, start, end, time_zone),
        visible=visible,
    )
    for (number, step), figures in count_groups(groups, len(periods)).items():
        funnel.figures[(periods[number - 1].start, step)] = figures
    return funnel
