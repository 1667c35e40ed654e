"""The BU's marketing campaigns: a code, translated names, the lead source, dates and the cost
(Money, for the channel's return on investment)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from crm.masterdata.services import set_translations
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency as known_currency
from crm.platform.core.money import valid_amount
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible
from crm.tenants.leads.access import CAMPAIGN
from crm.tenants.leads.models import Campaign
from crm.tenants.leads.services import source_by_code

CODE = re.compile(r"[-a-zA-Z0-9_]{1,40}")
# Argument -> governed field.
GOVERNED = {
    "code": "code",
    "names": "name",
    "source": "source",
    "cost": "cost",
    "starts_on": "starts_on",
    "ends_on": "ends_on",
    "active": "code",
}


def campaign_save(access: Access, *, campaign_id: int | None = None, **changes: Any) -> Campaign:
    """Create (no `campaign_id`) or change a campaign; only the arguments given change."""
    governed = sorted({GOVERNED[name] for name in changes})
    with transaction.atomic():
        if campaign_id is None:
            access.require(Action.CREATE, CAMPAIGN, governed)
            for name in ("code", "names", "source"):
                if not changes.get(name):
                    raise CrmError(ErrorCode.INVALID_ARGUMENT, field=name, reason="required")
            campaign = Campaign(cost_currency=access.business_unit.currency)
        else:
            campaign = lock_visible(access, CAMPAIGN, Campaign.objects.all(), campaign_id)
            access.require(Action.EDIT, campaign, governed)
        if "code" in changes:
            code = str(changes["code"]).strip()
            if not CODE.fullmatch(code):
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="code",
                    reason="1 to 40 letters, digits, - or _",
                )
            if Campaign.objects.filter(code=code).exclude(pk=campaign.pk).exists():
                raise CrmError(
                    ErrorCode.ALREADY_EXISTS, field="code", object="campaign", value=code
                )
            campaign.code = code
        if "names" in changes:
            set_translations(campaign, "name", changes["names"], limit=200)
        if "source" in changes:
            campaign.source_id = source_by_code(access, str(changes["source"])).pk
        if "cost" in changes:
            _set_cost(campaign, changes["cost"])
        for name in ("starts_on", "ends_on"):
            if name in changes:
                value: datetime.date | None = changes[name]
                setattr(campaign, name, value)
        if "active" in changes:
            campaign.active = bool(changes["active"])
        if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="endsOn", reason="on or after the start"
            )
        campaign.save()
    return campaign


def _set_cost(campaign: Campaign, cost: Mapping[str, Any] | None) -> None:
    if cost is None:
        campaign.cost_amount = Decimal(0)
        return
    amount = Decimal(str(cost["amount"]))
    code = str(cost["currency"]).strip().upper()
    known_currency(code, field="cost")
    if not valid_amount(amount):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="cost",
            reason="an amount from 0 below 10^15, at most 4 decimal places",
        )
    campaign.cost_amount = amount
    campaign.cost_currency = code


def visible_campaigns(access: Access) -> Any:
    access.require_some(Action.VIEW, CAMPAIGN)
    return access.visible(CAMPAIGN, Campaign.objects.all())
