"""A business unit's deals: creation, edits, stage moves with entry conditions, closing, the win
scorecard, products of interest and the account team.

Every write goes through the policy (`Access`), runs in one transaction, and either changes
everything it was asked to or nothing (a typed `CrmError` otherwise).

Stage moves. Entering a stage requires its entry conditions: the fields it lists (built-in deal
fields; `products` means at least one product of interest; any other name is a custom field
code), the fields the BU requires up to that stage (`FieldRequirement` rows and custom fields
"required from" a stage, through `missing_required`), at least one logged activity of the kinds
it lists (any one of them), and an approval when it requires one. Moving forward past several
stages checks every stage entered on the way; moving back (RETREAT) checks nothing. An approval
is used by the move that enters its stage: entering the stage again later needs a new one.

Probability. A deal scored on the scorecard takes the probability of the group's band for its
score; an unscored deal takes its stage's default probability. Won is 100 %, lost 0 %.

Amounts. `amount` is in the deal's currency; `amount_bu` and `amount_group` are that amount in
the BU's and the group's currency at the group's spot rate of the deal's FX date: the expected
close date while open, the close date once closed. The rate is the latest on or before that
date, and for a date still ahead the latest known today (its date is kept: `fx_rate_*_date`)
(`crm.masterdata.fx.rate_for`); the converted amount is computed at full precision and rounded
once to the target currency's minor units (`round_money`: half up). When no rate is found, the
deal is kept and the converted amount stays null (its `fx_rate_*` null too), so a report never
shows a number made up from a stale or guessed rate; it is filled in by `refresh_conversions`
once the rate is imported.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, cast

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from moneyed import Money

from crm.masterdata import fx
from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material
from crm.masterdata.sales.models import CloseReason, ProbabilityBand, ScoreCriterion, StageKind
from crm.platform.accounts.models import Membership, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency as known_currency
from crm.platform.core.money import round_money, valid_amount
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.automation import events
from crm.tenants.contacts.access import CONTACT
from crm.tenants.contacts.models import Activity, Contact
from crm.tenants.customfields.services import clean_custom, missing_required
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.access import OPPORTUNITY
from crm.tenants.opportunities.models import (
    DealClass,
    DealGrade,
    DealTeamMember,
    Opportunity,
    OpportunityEvent,
    OpportunityProduct,
    Pipeline,
    ScoreAnswer,
    Stage,
    StageApproval,
    TeamRole,
)

OBJECT = "opportunity"
Kind = OpportunityEvent.Kind

# Built-in deal fields a stage may require, by the name used in `required_fields`.
BUILT_IN_FIELDS = (
    "name",
    "amount",
    "currency",
    "expected_close",
    "primary_contact",
    "deal_class",
    "grade",
    "products",
)


# -- lookups --------------------------------------------------------------------------------


def deals(access: Access) -> QuerySet[Opportunity]:
    """The deals the principal may view, with what per-node permission checks need."""
    return access.visible(OPPORTUNITY, Opportunity.objects.all()).prefetch_related("team")


def get_deal(access: Access, pk: int, *, field: str = "id") -> Opportunity:
    """A deal the principal may view, or NOT_FOUND (also for deals of other BUs)."""
    deal = deals(access).filter(pk=pk).first()
    if deal is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=pk)
    return deal


def _locked(access: Access, deal: Opportunity) -> Opportunity:
    """The deal again, locked for the write, still visible to the principal."""
    locked = (
        access.visible(OPPORTUNITY, Opportunity.objects.all())
        .select_for_update(of=("self",))
        .filter(pk=deal.pk)
        .first()
    )
    if locked is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object=OBJECT, id=deal.pk)
    # Prefetch the team after the lock, for the policy's own scope.
    locked = Opportunity.objects.prefetch_related("team").get(pk=locked.pk)
    return locked


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_default=True, active=True).first()
    if pipeline is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="pipeline", object="pipeline", id="default")
    return pipeline


def stages_of(pipeline: Pipeline | int) -> list[Stage]:
    pipeline_id = pipeline if isinstance(pipeline, int) else pipeline.pk
    return list(Stage.objects.filter(pipeline_id=pipeline_id).order_by("position"))


def _first_open(stages: Sequence[Stage]) -> Stage:
    for stage in stages:
        if stage.kind == StageKind.OPEN:
            return stage
    raise CrmError(ErrorCode.INVALID_ARGUMENT, field="pipeline", reason="it has no open stage")


def _outcome_stage(stages: Sequence[Stage], kind: str) -> Stage:
    for stage in stages:
        if stage.kind == kind:
            return stage
    raise CrmError(
        ErrorCode.INVALID_ARGUMENT, field="outcome", reason=f"the pipeline has no {kind} stage"
    )


def _pipeline(pipeline: Pipeline | int | str | None) -> Pipeline:
    if pipeline is None:
        return default_pipeline()
    if isinstance(pipeline, Pipeline):
        return pipeline
    query = Pipeline.objects.filter(active=True)
    found = (
        query.filter(pk=pipeline).first()
        if isinstance(pipeline, int)
        else query.filter(code=pipeline).first()
    )
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="pipeline", object="pipeline", id=pipeline)
    return found


def _account(access: Access, account: LocalCustomer | int) -> LocalCustomer:
    if isinstance(account, LocalCustomer):
        return account
    found = access.visible(LOCAL_CUSTOMER, LocalCustomer.objects.all()).filter(pk=account).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="account", object="account", id=account)
    return found


def _contact(access: Access, contact: Contact | int | None) -> Contact | None:
    if contact is None or isinstance(contact, Contact):
        return contact
    found = access.visible(CONTACT, Contact.objects.all()).filter(pk=contact).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="primaryContact", object="contact", id=contact)
    return found


def bu_user(access: Access, user_id: int, *, field: str, what: str = OBJECT) -> User:
    """An active user holding a role in this business unit, or INVALID_ASSIGNEE."""
    user = User.objects.filter(pk=user_id, group_id=access.business_unit.group_id).first()
    if user is None or not user.is_active:
        raise CrmError(
            ErrorCode.INVALID_ASSIGNEE,
            field=field,
            object=what,
            user=user_id,
            reason="no active user of the group",
        )
    if not Membership.objects.filter(user=user, business_unit=access.business_unit).exists():
        raise CrmError(
            ErrorCode.INVALID_ASSIGNEE,
            field=field,
            object=what,
            user=user.username,
            reason="no role in this business unit",
        )
    return user


# -- values ---------------------------------------------------------------------------------


def _amount(value: Decimal | str | int | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, (float, bool)):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="amount", reason="a decimal number")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="amount", reason="a decimal number"
        ) from None
    if not valid_amount(amount):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="amount",
            reason="a number from 0 below 10^15, at most 4 decimal places",
        )
    return amount


def _choice(value: str, choices: Iterable[str], field: str) -> str:
    value = (value or "").strip().upper()
    allowed = list(choices)
    if value and value not in allowed:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason=f"one of {', '.join(allowed)}"
        )
    return value


def _name(value: str) -> str:
    name = (value or "").strip()
    if not name or len(name) > 300:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="name", reason="1 to 300 characters")
    return name


@dataclass(frozen=True)
class ConversionInfo:
    """How a deal's amount was converted: the date, and per target the rate and its date."""

    date: datetime.date | None
    bu_currency: str
    bu_rate: Decimal | None
    bu_rate_date: datetime.date | None
    group_currency: str
    group_rate: Decimal | None
    group_rate_date: datetime.date | None

    @property
    def complete(self) -> bool:
        return self.bu_rate is not None and self.group_rate is not None


def _plain(value: Decimal | None) -> Decimal | None:
    """`value` without trailing zeros, never in exponent notation."""
    if value is None:
        return None
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    return (
        normalized.quantize(Decimal(1))
        if isinstance(exponent, int) and exponent > 0
        else (normalized)
    )


def conversion_of(access: Access, deal: Opportunity) -> ConversionInfo:
    business_unit = access.business_unit
    return ConversionInfo(
        date=deal.fx_date,
        bu_currency=business_unit.currency,
        bu_rate=_plain(deal.fx_rate_bu),
        bu_rate_date=deal.fx_rate_bu_date,
        group_currency=business_unit.group.currency,
        group_rate=_plain(deal.fx_rate_group),
        group_rate_date=deal.fx_rate_group_date,
    )


RATE_PLACES = Decimal("0.000000000001")


RateCache = dict[tuple[str, str, datetime.date], fx.Rate | None]


def _rate(
    business_unit: BusinessUnit, source: str, target: str, day: datetime.date, cache: RateCache
) -> fx.Rate | None:
    key = (source, target, day)
    if key not in cache:
        try:
            cache[key] = fx.rate_for(group=business_unit.group, base=source, quote=target, on=day)
        except CrmError as error:
            if error.code != ErrorCode.RATE_NOT_FOUND:
                raise
            cache[key] = None
    return cache[key]


def convert_amounts(
    business_unit: BusinessUnit, deal: Opportunity, cache: RateCache | None = None
) -> None:
    """Set the deal's BU and group amounts for its amount, currency and FX date (no save)."""
    cache = {} if cache is None else cache
    day = deal.closed_on if deal.status != StageKind.OPEN and deal.closed_on else None
    day = day or deal.expected_close
    deal.fx_date = day
    # A close date still ahead has no rate yet: the latest one known today stands in for it
    # (its date is kept with the amount), and each new day's rates convert it again.
    rate_day = min(day, business_unit.today()) if day is not None else None
    targets = (("bu", business_unit.currency), ("group", business_unit.group.currency))
    for name, target in targets:
        amount = rate_value = rate_date = None
        if deal.amount is not None and deal.currency and rate_day is not None:
            rate = _rate(business_unit, deal.currency, target, rate_day, cache)
            if rate is not None:
                amount = round_money(Money(deal.amount * rate.rate, target)).amount
                rate_value = rate.rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
                rate_date = rate.date
        setattr(deal, f"amount_{name}", amount)
        setattr(deal, f"fx_rate_{name}", rate_value)
        setattr(deal, f"fx_rate_{name}_date", rate_date)


CONVERTED_FIELDS = (
    "amount_bu",
    "amount_group",
    "fx_date",
    "fx_rate_bu",
    "fx_rate_bu_date",
    "fx_rate_group",
    "fx_rate_group_date",
)


def refresh_conversions(business_unit: BusinessUnit, *, since: datetime.date | None = None) -> int:
    """Convert again, in the current BU schema, the deals whose FX date a change of the rates
    of `since` can reach (that day and after: a later date, even one still ahead, may use that
    day's rate; every dated deal without `since`), e.g. after rates were imported or replaced.
    Returns how many changed."""
    queryset = Opportunity.objects.exclude(fx_date=None).exclude(amount=None)
    if since is not None:
        queryset = queryset.filter(fx_date__gte=since)
    cache: RateCache = {}
    changed: list[Opportunity] = []
    with transaction.atomic():
        for deal in queryset.select_for_update().order_by("pk"):
            before = [getattr(deal, name) for name in CONVERTED_FIELDS]
            convert_amounts(business_unit, deal, cache)
            if before != [getattr(deal, name) for name in CONVERTED_FIELDS]:
                changed.append(deal)
        Opportunity.objects.bulk_update(changed, CONVERTED_FIELDS, batch_size=500)
    return len(changed)


def _event(
    access: Access, deal: Opportunity, kind: str, *, reason: str = "", **fields: Any
) -> OpportunityEvent:
    return OpportunityEvent.objects.create(
        opportunity=deal,
        kind=kind,
        user_id=access.principal.user_id,
        actor=access.principal.label[:200],
        reason=(reason or "")[:500],
        **fields,
    )


def _default_probability(deal: Opportunity, stage: Stage, group_id: int) -> int:
    if stage.kind == StageKind.WON:
        return 100
    if stage.kind == StageKind.LOST:
        return 0
    if deal.score is not None:
        return band_probability(group_id, deal.score, default=stage.probability)
    return stage.probability


# -- create and update ----------------------------------------------------------------------


def create_opportunity(
    access: Access,
    *,
    name: str,
    account: LocalCustomer | int,
    owner_id: int | None = None,
    pipeline: Pipeline | int | str | None = None,
    amount: Decimal | str | int | None = None,
    currency: str | None = None,
    expected_close: datetime.date | None = None,
    primary_contact: Contact | int | None = None,
    lead_id: int | None = None,
    product_ids: Iterable[int] | Mapping[int, Decimal] = (),
    custom: Mapping[str, Any] | None = None,
    deal_class: str = "",
    grade: str = "",
) -> Opportunity:
    """A new open deal in the first stage of `pipeline` (the BU's default one without it).

    `owner_id` defaults to the calling user; naming someone else needs the ASSIGN action (API
    keys, acting for a system, may name any owner). `currency` defaults to the BU's. Products
    are golden material ids the caller may view (a mapping gives quantities, else 1 each).
    """
    given = ["name", "account", "pipeline"]
    for field_name, value in (
        ("amount", amount),
        ("expected_close", expected_close),
        ("primary_contact", primary_contact),
        ("custom_fields", custom),
        ("deal_class", deal_class),
        ("grade", grade),
    ):
        if value:
            given.append(field_name)
    products = _product_quantities(product_ids)
    if products:
        given.append("products")
    access.require(Action.CREATE, OPPORTUNITY, given)
    user_id = owner_id if owner_id is not None else access.principal.user_id
    if user_id is None:
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="owner", object=OBJECT)
    someone_else = access.principal.user_id is not None and user_id != access.principal.user_id
    if someone_else and not access.can(Action.ASSIGN, OPPORTUNITY):
        raise access.denied(Action.ASSIGN, OPPORTUNITY, "", field="owner")
    owner = bu_user(access, user_id, field="owner")
    deal_currency = known_currency(currency or access.business_unit.currency).code
    with transaction.atomic():
        chosen = _pipeline(pipeline)
        stages = stages_of(chosen)
        stage = _first_open(stages)
        deal = Opportunity(
            name=_name(name),
            account=_account(access, account),
            primary_contact=_contact(access, primary_contact),
            pipeline=chosen,
            stage=stage,
            stage_code=stage.code,
            status=StageKind.OPEN,
            owner=owner,
            deal_class=_choice(deal_class, DealClass.values, "dealClass"),
            grade=_choice(grade, DealGrade.values, "grade"),
            amount=cast(Decimal, _amount(amount)),
            currency=deal_currency,
            expected_close=expected_close,
            probability=stage.probability,
            lead_id=lead_id,
            custom=clean_custom(OBJECT, custom),
        )
        if deal.primary_contact is not None:
            _contact_of_account(deal.primary_contact, deal.account)
        convert_amounts(access.business_unit, deal)
        materials = _visible_materials(access, products)
        missing = _missing_fields(deal, stage, stages, product_count=len(materials))
        if missing:
            raise CrmError(
                ErrorCode.REQUIRED_FIELD_MISSING, field=argument(missing[0]), object=OBJECT
            )
        deal.save()
        OpportunityProduct.objects.bulk_create(
            OpportunityProduct(opportunity=deal, material_id=material_id, quantity=quantity)
            for material_id, quantity in materials.items()
        )
        _event(access, deal, Kind.CREATED, to_stage=stage.code, details={"lead": lead_id})
        events.record_created(access, OBJECT, deal)
    return deal


def _contact_of_account(contact: Contact, account: LocalCustomer) -> None:
    contact_account = getattr(contact, "account_id", None)
    if contact_account is not None and contact_account != account.pk:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="primaryContact",
            reason="the contact belongs to another account",
        )


UNSET: Any = object()


def update_opportunity(
    access: Access,
    deal: Opportunity,
    *,
    name: str = UNSET,
    account: LocalCustomer | int = UNSET,
    owner_id: int = UNSET,
    amount: Decimal | str | int | None = UNSET,
    currency: str = UNSET,
    expected_close: datetime.date | None = UNSET,
    primary_contact: Contact | int | None = UNSET,
    custom: Mapping[str, Any] | None = UNSET,
    deal_class: str = UNSET,
    grade: str = UNSET,
    reason: str = "",
) -> Opportunity:
    """Change the given fields of an open deal (closed deals: RECORD_CLOSED until reopened).

    A field required in a stage the deal has reached cannot be emptied (REQUIRED_FIELD_MISSING).
    Changing the owner needs the ASSIGN action.
    """
    with transaction.atomic():
        deal = _locked(access, deal)
        _require_open(deal)
        given = {
            "name": name,
            "account": account,
            "amount": amount,
            "currency": currency,
            "expected_close": expected_close,
            "primary_contact": primary_contact,
            "custom_fields": custom,
            "deal_class": deal_class,
            "grade": grade,
        }
        fields = [key for key, value in given.items() if value is not UNSET]
        # The currency is part of the amount for the policy.
        governed = ["amount" if key == "currency" else key for key in fields]
        access.require(Action.EDIT, deal, governed)
        if owner_id is not UNSET and not access.can(Action.ASSIGN, deal):
            raise access.denied(Action.ASSIGN, OPPORTUNITY, str(deal.pk), field="owner")
        before = {
            "name": deal.name,
            "account": deal.account_id,
            "owner": deal.owner_id,
            "amount": deal.amount,
            "currency": deal.currency,
            "expected_close": deal.expected_close,
            "primary_contact": deal.primary_contact_id,
            "deal_class": deal.deal_class,
            "grade": deal.grade,
        }
        # Only what this change empties is refused: a requirement the BU added after the deal
        # passed its stage does not block unrelated edits.
        stages = stages_of(deal.pipeline_id)
        product_count = deal.products.count()
        missing_before = set(
            _missing_fields(deal, deal.stage, stages, product_count=product_count, reached=True)
        )
        if name is not UNSET:
            deal.name = _name(name)
        if account is not UNSET:
            deal.account = _account(access, account)
        if owner_id is not UNSET:
            deal.owner = bu_user(access, owner_id, field="owner")
        if amount is not UNSET:
            deal.amount = cast(Decimal, _amount(amount))
        if currency is not UNSET:
            deal.currency = known_currency(currency).code
        if expected_close is not UNSET:
            deal.expected_close = expected_close
        if primary_contact is not UNSET:
            deal.primary_contact = _contact(access, primary_contact)
        if deal.primary_contact is not None and (
            primary_contact is not UNSET or account is not UNSET
        ):
            _contact_of_account(deal.primary_contact, deal.account)
        if custom is not UNSET:
            deal.custom = clean_custom(OBJECT, custom, current=deal.custom)
        if deal_class is not UNSET:
            deal.deal_class = _choice(deal_class, DealClass.values, "dealClass")
        if grade is not UNSET:
            deal.grade = _choice(grade, DealGrade.values, "grade")
        missing = [
            name
            for name in _missing_fields(
                deal, deal.stage, stages, product_count=product_count, reached=True
            )
            if name not in missing_before
        ]
        if missing:
            raise CrmError(
                ErrorCode.REQUIRED_FIELD_MISSING, field=argument(missing[0]), object=OBJECT
            )
        convert_amounts(access.business_unit, deal)
        deal.updated_at = timezone.now()
        deal.save()
        after = {
            "name": deal.name,
            "account": deal.account_id,
            "owner": deal.owner_id,
            "amount": deal.amount,
            "currency": deal.currency,
            "expected_close": deal.expected_close,
            "primary_contact": deal.primary_contact_id,
            "deal_class": deal.deal_class,
            "grade": deal.grade,
        }
        changes = {key: (before[key], after[key]) for key in before}
        if custom is not UNSET and custom:
            for code in custom:
                changes[f"customFields.{code}"] = (None, deal.custom.get(code))
        events.fields_changed(access, OBJECT, deal, changes)
    return deal


def _require_open(deal: Opportunity) -> None:
    if deal.status != StageKind.OPEN:
        raise CrmError(
            ErrorCode.RECORD_CLOSED,
            object=OBJECT,
            status=StageKind(deal.status).label.lower(),
        )


# -- entry conditions -----------------------------------------------------------------------


def argument(name: str) -> str:
    """The API's name of a deal field (`expected_close` -> `expectedClose`)."""
    if name.startswith("customFields."):
        return name
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _field_missing(deal: Opportunity, name: str, product_count: int) -> str | None:
    if name == "products":
        return None if product_count > 0 else "products"
    if name in BUILT_IN_FIELDS:
        return name if _empty(getattr(deal, name, None)) else None
    code = name.removeprefix("customFields.")
    return None if not _empty((deal.custom or {}).get(code)) else f"customFields.{code}"


def _missing_fields(
    deal: Opportunity,
    stage: Stage,
    stages: Sequence[Stage],
    *,
    product_count: int,
    reached: bool = False,
) -> list[str]:
    """The fields `deal` lacks to be in `stage`: the stage's own (and, with `reached`, those of
    every open stage up to it) and what the BU requires up to that stage."""
    path = [s for s in stages if s.position <= stage.position]
    missing: list[str] = []
    for each in path if reached else [stage]:
        for name in each.required_fields:
            found = _field_missing(deal, name, product_count)
            if found and found not in missing:
                missing.append(found)
    for name in missing_required(OBJECT, deal, stage=stage.code, stages=[s.code for s in path]):
        if name not in missing:
            missing.append(name)
    return missing


def _unmet(
    deal: Opportunity,
    stage: Stage,
    stages: Sequence[Stage],
    *,
    product_count: int,
    activity_kinds: set[str],
    approved: set[int],
) -> list[str]:
    missing = _missing_fields(deal, stage, stages, product_count=product_count)
    if stage.required_activities and not activity_kinds.intersection(stage.required_activities):
        missing.append("activity:" + "|".join(stage.required_activities))
    if stage.requires_approval and stage.pk not in approved:
        missing.append("approval")
    return missing


def _check_entry(deal: Opportunity, entering: Sequence[Stage], stages: Sequence[Stage]) -> None:
    """STAGE_CONDITIONS_NOT_MET for the first stage in `entering` whose conditions fail."""
    product_count = deal.products.count()
    activity_kinds = set(
        Activity.objects.filter(opportunity=deal).values_list("kind", flat=True).distinct()
    )
    approved = set(
        StageApproval.objects.filter(opportunity=deal).values_list("stage_id", flat=True)
    )
    for stage in entering:
        missing = _unmet(
            deal,
            stage,
            stages,
            product_count=product_count,
            activity_kinds=activity_kinds,
            approved=approved,
        )
        if missing:
            error = CrmError(
                ErrorCode.STAGE_CONDITIONS_NOT_MET,
                field="toStage",
                object=OBJECT,
                stage=stage.code,
                missing=", ".join(missing),
            )
            error.payload = {"blocked_stage": stage.code, "missing": missing}
            raise error


def unmet_conditions(deal: Opportunity, stage: Stage) -> list[str]:
    """What `deal` lacks to enter `stage` (for display; the move checks again)."""
    stages = stages_of(deal.pipeline_id)
    return _unmet(
        deal,
        stage,
        stages,
        product_count=deal.products.count(),
        activity_kinds=set(
            Activity.objects.filter(opportunity=deal).values_list("kind", flat=True)
        ),
        approved=set(
            StageApproval.objects.filter(opportunity=deal).values_list("stage_id", flat=True)
        ),
    )


# -- stage moves ----------------------------------------------------------------------------


def _stage(stages: Sequence[Stage], code: str, field: str) -> Stage:
    for stage in stages:
        if stage.code == code:
            return stage
    raise CrmError(ErrorCode.NOT_FOUND, field=field, object="stage", id=code)


def _move(
    access: Access,
    deal: Opportunity,
    target: Stage,
    kind: str,
    reason: str,
    **details: Any,
) -> OpportunityEvent:
    origin = deal.stage_code
    deal.stage = target
    deal.stage_code = target.code
    deal.status = target.kind
    deal.stage_entered_at = timezone.now()
    deal.updated_at = deal.stage_entered_at
    deal.probability = _default_probability(deal, target, access.business_unit.group_id)
    convert_amounts(access.business_unit, deal)
    deal.save()
    event = _event(
        access,
        deal,
        kind,
        reason=reason,
        from_stage=origin,
        to_stage=target.code,
        details=details,
    )
    events.stage_changed(access, OBJECT, deal, origin, target.code, occurrence=str(event.pk))
    return event


def _consume_approvals(deal: Opportunity, entered: Sequence[Stage]) -> None:
    StageApproval.objects.filter(
        opportunity=deal, stage_id__in=[s.pk for s in entered if s.requires_approval]
    ).delete()


def advance(access: Access, deal: Opportunity, to_stage_code: str, reason: str = "") -> Opportunity:
    """Move an open deal to another open stage of its pipeline: forward (ADVANCE, checking the
    entry conditions of every stage entered) or back (RETREAT). Closing is `close`."""
    with transaction.atomic():
        deal = _locked(access, deal)
        _require_open(deal)
        stages = stages_of(deal.pipeline_id)
        target = _stage(stages, to_stage_code, "toStage")
        current = deal.stage
        if target.kind != StageKind.OPEN:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                field="toStage",
                object=OBJECT,
                stage=current.code,
                direction=f"to {target.code} (close the deal as won or lost instead)",
            )
        if target.position == current.position:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                field="toStage",
                object=OBJECT,
                stage=current.code,
                direction="to the stage it is in",
            )
        if target.position > current.position:
            access.require(Action.ADVANCE, deal)
            entering = [
                s
                for s in stages
                if current.position < s.position <= target.position and s.kind == StageKind.OPEN
            ]
            _check_entry(deal, entering, stages)
            _consume_approvals(deal, entering)
            _move(access, deal, target, Kind.STAGE, reason, direction="forward")
        else:
            access.require(Action.RETREAT, deal)
            _move(access, deal, target, Kind.STAGE, reason, direction="back")
    return deal


def close(
    access: Access,
    deal: Opportunity,
    *,
    outcome: str,
    reason_code: str,
    note: str = "",
) -> Opportunity:
    """Close an open deal as WON (entry conditions of every stage still ahead and of the won
    stage apply) or LOST (from any stage), with a close reason of that kind."""
    outcome = (outcome or "").upper()
    if outcome not in (StageKind.WON, StageKind.LOST):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="outcome", reason="WON or LOST")
    code = (reason_code or "").strip().upper()
    if not code:
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="closeReason", object=OBJECT)
    with transaction.atomic():
        deal = _locked(access, deal)
        _require_open(deal)
        access.require(Action.ADVANCE, deal)
        known = list(CloseReason.objects.filter(group_id=access.business_unit.group_id, code=code))
        matching = next((r for r in known if r.kind == outcome), None)
        if matching is None:
            why = f"not a reason for a {outcome.lower()} deal" if known else "no such close reason"
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="closeReason", reason=why)
        stages = stages_of(deal.pipeline_id)
        target = _outcome_stage(stages, outcome)
        if outcome == StageKind.WON:
            entering = [
                s
                for s in stages
                if s.position > deal.stage.position
                and (s.kind == StageKind.OPEN or s.pk == target.pk)
            ]
            _check_entry(deal, entering, stages)
            _consume_approvals(deal, entering)
        else:
            _check_entry(deal, [target], stages)
        deal.closed_on = access.business_unit.today()
        deal.close_reason_id = matching.pk
        deal.close_note = (note or "").strip()[:1000]
        _move(access, deal, target, Kind.CLOSED, note, close_reason=matching.code)
    return deal


def reopen(
    access: Access, deal: Opportunity, *, to_stage_code: str = "", reason: str = ""
) -> Opportunity:
    """A manager reopens a closed deal (APPROVE action): into `to_stage_code` or the open stage
    it was closed from; its close date and reason are cleared."""
    with transaction.atomic():
        deal = _locked(access, deal)
        if deal.status == StageKind.OPEN:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                field="id",
                object=OBJECT,
                stage=deal.stage_code,
                direction="back to open: it is open",
            )
        access.require(Action.APPROVE, deal)
        stages = stages_of(deal.pipeline_id)
        if to_stage_code:
            target = _stage(stages, to_stage_code, "toStage")
        else:
            last = (
                OpportunityEvent.objects.filter(opportunity=deal, kind=Kind.CLOSED)
                .order_by("-at", "-id")
                .values_list("from_stage", flat=True)
                .first()
            )
            codes = {s.code: s for s in stages if s.kind == StageKind.OPEN}
            target = codes.get(last or "") or _first_open(stages)
        if target.kind != StageKind.OPEN:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="toStage", reason="an open stage")
        deal.closed_on = None
        deal.close_reason_id = None
        deal.close_note = ""
        _move(access, deal, target, Kind.REOPENED, reason)
    return deal


def approve_stage(
    access: Access, deal: Opportunity, stage_code: str, note: str = ""
) -> StageApproval:
    """Approve an open deal's entry into a later stage that requires approval."""
    with transaction.atomic():
        deal = _locked(access, deal)
        _require_open(deal)
        access.require(Action.APPROVE, deal)
        stages = stages_of(deal.pipeline_id)
        stage = _stage(stages, stage_code, "stage")
        if not stage.requires_approval:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="stage", reason="the stage needs no approval"
            )
        if stage.position <= deal.stage.position:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="stage",
                reason="a stage the deal has not reached yet",
            )
        if StageApproval.objects.filter(opportunity=deal, stage=stage).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="stage", object="approval", value=stage.code
            )
        if access.principal.user_id is None:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="id", reason="approvals are given by a person"
            )
        approval = StageApproval.objects.create(
            opportunity=deal,
            stage=stage,
            approved_by_id=access.principal.user_id,
            note=(note or "").strip()[:500],
        )
        _event(access, deal, Kind.APPROVAL, reason=note, to_stage=stage.code)
    return approval


# -- products -------------------------------------------------------------------------------


def _product_quantities(
    products: Iterable[int] | Mapping[int, Decimal],
) -> dict[int, Decimal]:
    if isinstance(products, Mapping):
        return {int(k): Decimal(str(v)) for k, v in products.items()}
    return {int(material_id): Decimal(1) for material_id in products}


QUANTITY = Decimal("0.001")


def _visible_materials(access: Access, wanted: Mapping[int, Decimal]) -> dict[int, Decimal]:
    if not wanted:
        return {}
    for material_id, quantity in wanted.items():
        if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal(10) ** 11:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="products",
                reason=f"quantity of {material_id}: a positive number below 10^11",
            )
        if quantity != quantity.quantize(QUANTITY):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="products",
                reason=f"quantity of {material_id}: at most 3 decimal places",
            )
    visible = set(
        access.visible(
            MATERIAL,
            Material.objects.filter(group_id=access.business_unit.group_id, pk__in=list(wanted)),
        ).values_list("pk", flat=True)
    )
    unknown = [pk for pk in wanted if pk not in visible]
    if unknown:
        raise CrmError(ErrorCode.NOT_FOUND, field="products", object="material", id=unknown[0])
    return dict(wanted)


def set_products(access: Access, deal: Opportunity, products: Mapping[int, Decimal]) -> Opportunity:
    """Replace the deal's products of interest (golden material id -> quantity)."""
    with transaction.atomic():
        deal = _locked(access, deal)
        _require_open(deal)
        access.require(Action.EDIT, deal, ["products"])
        wanted = _visible_materials(access, _product_quantities(products))
        stages = stages_of(deal.pipeline_id)
        missing = _missing_fields(deal, deal.stage, stages, product_count=len(wanted), reached=True)
        if "products" in missing:
            raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="products", object=OBJECT)
        current = {p.material_id: p for p in OpportunityProduct.objects.filter(opportunity=deal)}
        OpportunityProduct.objects.filter(opportunity=deal).exclude(
            material_id__in=list(wanted)
        ).delete()
        for material_id, quantity in wanted.items():
            existing = current.get(material_id)
            if existing is None:
                OpportunityProduct.objects.create(
                    opportunity=deal, material_id=material_id, quantity=quantity
                )
            elif existing.quantity != quantity:
                existing.quantity = quantity
                existing.save(update_fields=["quantity"])
        deal.updated_at = timezone.now()
        deal.save(update_fields=["updated_at"])
        events.fields_changed(
            access,
            OBJECT,
            deal,
            {"products": (sorted(current), sorted(wanted))},
        )
    return deal


# -- scorecard ------------------------------------------------------------------------------


def band_probability(group_id: int, score: int, *, default: int) -> int:
    band = (
        ProbabilityBand.objects.filter(group_id=group_id, min_score__lte=score)
        .order_by("-min_score")
        .values_list("probability", flat=True)
        .first()
    )
    return default if band is None else band


def compute_score(criteria: Sequence[ScoreCriterion], ratings: Mapping[int, int]) -> int:
    """Σ(weight × rating / max rating) / Σ weight × 100 over `criteria`, unanswered = 0,
    rounded half up to a whole number."""
    total_weight = sum(c.weight for c in criteria)
    if total_weight == 0:
        return 0
    points = sum(
        Decimal(c.weight) * Decimal(ratings.get(c.pk, 0)) / Decimal(c.max_rating) for c in criteria
    )
    score = (points / Decimal(total_weight) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(score)


@dataclass(frozen=True)
class Answer:
    criterion: str
    rating: int
    note: str = ""


def score(access: Access, deal: Opportunity, answers: Sequence[Answer]) -> Opportunity:
    """Rate the deal on criteria of the group's scorecard; the score and the probability follow
    (a SCORE event records both moves)."""
    with transaction.atomic():
        deal = _locked(access, deal)
        _require_open(deal)
        access.require(Action.EDIT, deal, ["scorecard"])
        criteria = list(
            ScoreCriterion.objects.filter(group_id=access.business_unit.group_id, active=True)
        )
        by_code = {c.code: c for c in criteria}
        seen: set[str] = set()
        for index, answer in enumerate(answers):
            code = (answer.criterion or "").strip().upper()
            field = f"answers.{index}"
            criterion = by_code.get(code)
            if criterion is None:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field=f"{field}.criterion",
                    reason="an active criterion of the scorecard",
                )
            if code in seen:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field=f"{field}.criterion",
                    reason="each criterion once",
                )
            seen.add(code)
            if not 0 <= answer.rating <= criterion.max_rating:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field=f"{field}.rating",
                    reason=f"from 0 to {criterion.max_rating}",
                )
            ScoreAnswer.objects.update_or_create(
                opportunity=deal,
                criterion_id=criterion.pk,
                defaults={"rating": answer.rating, "note": (answer.note or "").strip()[:500]},
            )
        ratings = dict(
            ScoreAnswer.objects.filter(opportunity=deal).values_list("criterion_id", "rating")
        )
        new_score = compute_score(criteria, ratings)
        new_probability = band_probability(
            access.business_unit.group_id, new_score, default=deal.stage.probability
        )
        old_score, old_probability = deal.score, deal.probability
        deal.score = new_score
        deal.probability = new_probability
        deal.updated_at = timezone.now()
        deal.save(update_fields=["score", "probability", "updated_at"])
        _event(
            access,
            deal,
            Kind.SCORE,
            from_score=old_score,
            to_score=new_score,
            from_probability=old_probability,
            to_probability=new_probability,
            details={"answers": {a.criterion.upper(): a.rating for a in answers}},
        )
        events.fields_changed(
            access,
            OBJECT,
            deal,
            {"score": (old_score, new_score), "probability": (old_probability, new_probability)},
        )
    return deal


# -- account team ---------------------------------------------------------------------------


def _require_team_change(access: Access, deal: Opportunity) -> None:
    """A manager (ASSIGN) or the deal's owner (who may edit it) changes its account team."""
    if access.can(Action.ASSIGN, deal):
        return
    access.require(Action.EDIT, deal)
    if deal.owner_id != access.principal.user_id:
        raise access.denied(Action.ASSIGN, OPPORTUNITY, str(deal.pk), field="team")


def team_add(access: Access, deal: Opportunity, user_id: int, role: str) -> DealTeamMember:
    chosen = (role or "").strip().upper()
    if chosen not in TeamRole.values:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="role", reason=f"one of {', '.join(TeamRole.values)}"
        )
    with transaction.atomic():
        deal = _locked(access, deal)
        _require_team_change(access, deal)
        user = bu_user(access, user_id, field="user", what="deal team role")
        if DealTeamMember.objects.filter(opportunity=deal, user=user, role=chosen).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS,
                field="user",
                object="team member",
                value=f"{user.username} ({chosen})",
            )
        member = DealTeamMember.objects.create(opportunity=deal, user=user, role=chosen)
        _event(access, deal, Kind.TEAM, details={"added": user.pk, "role": chosen})
    return member


def team_remove(access: Access, deal: Opportunity, user_id: int, role: str = "") -> int:
    """Remove the user from the deal's team (in `role`, or in every role); NOT_FOUND if absent."""
    chosen = (role or "").strip().upper()
    with transaction.atomic():
        deal = _locked(access, deal)
        _require_team_change(access, deal)
        members = DealTeamMember.objects.filter(opportunity=deal, user_id=user_id)
        if chosen:
            members = members.filter(role=chosen)
        removed, _ = members.delete()
        if not removed:
            raise CrmError(ErrorCode.NOT_FOUND, field="user", object="team member", id=user_id)
        _event(access, deal, Kind.TEAM, details={"removed": user_id, "role": chosen})
    return removed
