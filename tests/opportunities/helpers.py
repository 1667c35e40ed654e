"""Quick creators of deals for tests: an account and a deal of acme.de (or another BU) in any
stage, with what that stage's entry conditions need already in place.

    from crm.tests.opportunities.helpers import access_of, make_account, make_deal

    with schema_context("bu_acme_de"):
        deal = make_deal(stage="quote")             # as acme.de.sales, in the default pipeline
        won = make_deal(stage="won", amount="100")  # closed as won (reason PRICE)
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from decimal import Decimal

from django_tenants.utils import schema_context

from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer
from crm.masterdata.models import Material
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.contacts.models import Activity, ActivityKind
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities import services
from crm.tenants.opportunities.models import Opportunity, Stage, StageApproval

_numbers = itertools.count(1)


def access_of(username: str, bu: str = "de") -> Access:
    user = User.objects.get(username=username)
    unit = BusinessUnit.objects.select_related("group").get(group_id=user.group_id, code=bu)
    return Access(user_principal(user), unit, load_policy(unit.group_id))


def schema_of(bu: str = "de", group: str = "acme") -> str:
    return BusinessUnit.schema_name_for(group, bu)


def make_account(access: Access, name: str = "") -> LocalCustomer:
    """A golden customer of the access's group and this BU's account for it (in its schema)."""
    number = next(_numbers)
    legal_name = name or f"Testkunde {number} GmbH"
    golden = Customer.objects.create(
        group_id=access.business_unit.group_id,
        code=f"T-{uuid.uuid4().hex[:12]}",
        legal_name=legal_name,
        normalized_name=normalized_name(legal_name),
        country="DE",
    )
    with schema_context(access.business_unit.schema_name):
        return LocalCustomer.objects.create(
            customer_id=golden.pk, local_code=f"K-{golden.pk}", local_name=legal_name
        )


def material_ids(access: Access, count: int = 1) -> list[int]:
    codes = [f"M-{n:03d}" for n in range(1, count + 1)]
    return list(
        Material.objects.filter(group_id=access.business_unit.group_id, code__in=codes)
        .order_by("code")
        .values_list("pk", flat=True)
    )


def log_activity(deal: Opportunity, kind: str = ActivityKind.VISIT) -> Activity:
    return Activity.objects.create(
        kind=kind, subject=f"{kind} for {deal.name}", opportunity=deal, account=deal.account
    )


def make_deal(
    *,
    stage: str = "qualification",
    as_: str = "acme.de.sales",
    bu: str = "de",
    name: str = "",
    amount: str | Decimal | None = "1000.00",
    currency: str | None = None,
    expected_close: datetime.date | None = None,
    account: LocalCustomer | None = None,
    approver: str = "acme.de.manager",
) -> Opportunity:
    """A deal of `bu` owned by `as_`, moved to `stage` (a code of the default pipeline; "won"
    and "lost" close it) with what each stage on the way needs: products, an expected close
    date, a visit, a manager's approval. Runs in the BU's schema itself."""
    access = access_of(as_, bu)
    with schema_context(access.business_unit.schema_name):
        deal = services.create_opportunity(
            access,
            name=name or f"Deal {next(_numbers)}",
            account=account or make_account(access),
            amount=amount,
            currency=currency,
            expected_close=expected_close or access.business_unit.today(),
            product_ids=material_ids(access),
        )
        if stage == "qualification":
            return deal
        stages = services.stages_of(deal.pipeline_id)
        codes = [s.code for s in stages]
        target = "negotiation" if stage == "won" else stage
        if stage != "lost":
            for each in stages:
                if each.kind != "OPEN" or each.position > stages[codes.index(target)].position:
                    continue
                if each.required_activities:
                    log_activity(deal, each.required_activities[0])
                if each.requires_approval and each.code != deal.stage_code:
                    manager = User.objects.get(username=approver)
                    StageApproval.objects.get_or_create(
                        opportunity=deal, stage=each, defaults={"approved_by": manager}
                    )
            if target != deal.stage_code:
                deal = services.advance(access, deal, target, "test set-up")
        if stage == "won":
            deal = services.close(access, deal, outcome="WON", reason_code="PRICE")
        elif stage == "lost":
            deal = services.close(access, deal, outcome="LOST", reason_code="PRICE")
        return deal


def stage(deal: Opportunity, code: str) -> Stage:
    return Stage.objects.get(pipeline_id=deal.pipeline_id, code=code)
