"""The credit check on order confirmation in one cell: exposure from every BU of the group
(here all homed in this cell), the order's own amount, the limit; blocks change nothing but
leave a hold for finance; finance's release lets the order through for the amount released."""

from __future__ import annotations

import socket
from decimal import Decimal

from django.forms.models import model_to_dict
from django_tenants.utils import schema_context

from crm.masterdata.customers.models import Customer, CustomerStatus
from crm.platform.core.errors import ErrorCode
from crm.tenants.creditcontrol import holds
from crm.tenants.creditcontrol.exposure import latest_business_date
from crm.tenants.creditcontrol.models import CreditHold, CreditRelease, HoldReason, HoldStatus
from crm.tenants.ledger import orders
from crm.tenants.ledger.models import IntegrationEvent, Invoice, Order
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit
from crm.tests.creditcontrol.helpers import (
    DE,
    account_in,
    confirm,
    credit_customer,
    new_order,
    one_cell,
    open_invoice,
    open_order,
    refused,
    set_limit,
)
from crm.tests.ledger.helpers import finance, manager, pay
from crm.tests.relationships.helpers import business_unit, golden, schema_of

d = Decimal


def _exposure(*orders: Order) -> Decimal:
    """What the documents behind `orders` add to the exposure, as the ledger stored it."""
    return sum((order.total_group for order in orders), d(0))


def _state(order: Order) -> dict[str, object]:
    with schema_context(DE):
        return model_to_dict(Order.objects.get(pk=order.pk))


def _events(order: Order) -> int:
    with schema_context(DE):
        return IntegrationEvent.objects.filter(record_type="Order", record_id=order.pk).count()


def _hold(order: Order) -> CreditHold:
    with schema_context(DE):
        return CreditHold.objects.get(order_id=order.pk, status=HoldStatus.WAITING)


def test_a_customer_without_a_credit_limit_is_not_checked(world):
    one_cell()
    customer = credit_customer()
    order = new_order(customer, "1000000")
    assert confirm(order).confirmed is True
    with schema_context(DE):
        assert not CreditHold.objects.filter(order_id=order.pk).exists()


def test_exposure_in_every_bu_of_the_cell_and_the_order_itself_count(world):
    one_cell()
    customer = credit_customer()
    in_japan = open_order("acme.jp", customer, "10000")  # JPY, open order value
    at_hq = open_invoice("acme.hq", customer, "500.00")  # CNY, open receivable
    in_germany = open_order("acme.de", customer, "10.00")  # EUR, open order value
    exposure = _exposure(in_japan, at_hq, in_germany)
    assert in_germany.total_group == d("78.13")
    assert at_hq.total_group == d("500.00")
    order = new_order(customer, "100")  # 781.25 CNY
    assert order.total_group == d("781.25")
    set_limit(customer, exposure + order.total_group)  # exactly at the limit: passes
    assert confirm(order).confirmed is True
    # One cent more of another order is over it.
    another = new_order(customer, "0.01")
    error = refused(lambda: confirm(another))
    assert error.code == ErrorCode.CREDIT_LIMIT_EXCEEDED
    total = exposure + order.total_group
    assert error.params["exposure"] == f"{total:.2f}"
    assert error.params["amount"] == "0.08"
    assert error.params["limit"] == f"{total:.2f}"
    assert error.params["currency"] == "CNY"
    assert error.params["customer"] == customer.code
    hold = _hold(another)
    assert (hold.exposure, hold.amount, hold.credit_limit) == (total, d("0.08"), total)
    assert hold.reason == HoldReason.LIMIT_EXCEEDED
    assert hold.missing_cells == []


def test_an_order_alone_over_the_limit_is_blocked_and_nothing_changes(world):
    one_cell()
    customer = credit_customer(limit="781.24")
    order = new_order(customer, "100")
    before = _state(order)
    error = refused(lambda: confirm(order))
    assert error.code == ErrorCode.CREDIT_LIMIT_EXCEEDED
    assert (error.params["exposure"], error.params["amount"]) == ("0.00", "781.25")
    assert _state(order) == before
    assert _events(order) == 0
    hold = _hold(order)
    assert hold.attempts == 1
    assert hold.customer_id == customer.pk
    assert hold.blocked_by_label
    # Tried again: the same hold, counted.
    assert refused(lambda: confirm(order, finance())).code == ErrorCode.CREDIT_LIMIT_EXCEEDED
    again = _hold(order)
    assert (again.pk, again.attempts) == (hold.pk, 2)
    assert again.last_blocked_at >= hold.last_blocked_at
    with schema_context(DE):
        assert CreditHold.objects.filter(order_id=order.pk).count() == 1
    assert _state(order) == before


def test_a_limit_of_zero_holds_every_order(world):
    one_cell()
    customer = credit_customer(limit="0")
    order = new_order(customer, "0.01")
    assert refused(lambda: confirm(order)).code == ErrorCode.CREDIT_LIMIT_EXCEEDED


def test_paid_invoices_cancelled_and_invoiced_orders_do_not_count(world):
    one_cell()
    customer = credit_customer()
    open_invoice("acme.de", customer, "100.00")  # 781.25 receivable, its order invoiced
    paid = open_invoice("acme.de", customer, "50.00")
    cancelled = new_order(customer, "70")
    with schema_context(DE):
        account = account_in("acme.de", customer)
        invoice = Invoice.objects.get(order_id=paid.pk)
        pay(account, "50.00", [(invoice, "50.00")])
        orders.order_cancel(manager(), cancelled)
    order = new_order(customer, "100")
    set_limit(customer, d("1562.50"))  # the open invoice and this order, exactly
    assert confirm(order).confirmed is True


def test_another_groups_data_never_counts(world):
    """A rival BU's documents for a customer with the same code, or even an account of the
    rival pointing at acme's customer id, are not acme's exposure."""
    one_cell("acme")
    one_cell("rival")
    customer = credit_customer(limit="781.25")
    rival_unit = business_unit("rival.main")
    twin = golden(rival_unit.group_id, customer.code, "Rival twin Ltd")
    with schema_context(schema_of("rival.main")):
        for customer_id, code in ((twin.pk, "TWIN"), (customer.pk, "STRAY")):
            account = LocalCustomer.objects.create(customer_id=customer_id, local_code=code)
            Order.objects.create(
                number=f"RIVAL-{code}",
                account=account,
                order_date=rival_unit.today(),
                confirmed=True,
                total=d("999999.00"),
                net_total=d("999999.00"),
                total_group=d("999999.00"),
                currency="USD",
                group_currency="USD",
                fx_date=rival_unit.today(),
                fx_rate=d(1),
                fx_rate_date=rival_unit.today(),
                fx_rate_type="SPOT",
            )
    order = new_order(customer, "100")
    assert confirm(order).confirmed is True


def test_finance_releases_a_blocked_order_which_then_confirms(world):
    one_cell()
    customer = credit_customer()
    in_japan = open_order("acme.jp", customer, "10000")
    set_limit(customer, "500.00")
    order = new_order(customer, "100")
    assert refused(lambda: confirm(order)).code == ErrorCode.CREDIT_LIMIT_EXCEEDED
    with schema_context(DE):
        release = holds.order_credit_release(
            finance(), order, comment="  Zahlungszusage liegt vor  "
        )
    assert release.comment == "Zahlungszusage liegt vor"
    assert (release.amount, release.currency) == (d("781.25"), "CNY")
    assert (release.exposure, release.credit_limit) == (in_japan.total_group, d("500.00"))
    assert release.missing_cells == []
    assert release.released_by_label
    assert release.used_at is None
    with schema_context(DE):
        assert CreditHold.objects.get(pk=release.hold_id).status == HoldStatus.RELEASED
    confirmed = confirm(order)
    assert confirmed.confirmed is True
    with schema_context(DE):
        used = CreditRelease.objects.get(pk=release.pk)
    assert used.used_at is not None
    assert _events(order) == 1


def test_a_release_covers_only_the_amount_released(world):
    one_cell()
    customer = credit_customer(limit="100.00")
    order = new_order(customer, "100")
    refused(lambda: confirm(order))
    with schema_context(DE):
        release = holds.order_credit_release(finance(), order, comment="Kunde zahlt vorab")
        # The order grew (in whatever way): the release does not cover the new total.
        Order.objects.filter(pk=order.pk).update(total_group=d("781.26"))
        order.refresh_from_db()
    error = refused(lambda: confirm(order))
    assert error.code == ErrorCode.CREDIT_LIMIT_EXCEEDED
    with schema_context(DE):
        assert CreditRelease.objects.get(pk=release.pk).used_at is None
        states = list(
            CreditHold.objects.filter(order_id=order.pk)
            .order_by("id")
            .values_list("status", "amount")
        )
    assert states == [(HoldStatus.RELEASED, d("781.25")), (HoldStatus.WAITING, d("781.26"))]


def test_a_check_that_passes_later_clears_the_waiting_hold(world):
    one_cell()
    customer = credit_customer(limit="700.00")
    order = new_order(customer, "100")
    refused(lambda: confirm(order))
    set_limit(customer, "1000.00")  # HQ raised the limit
    assert confirm(order).confirmed is True
    with schema_context(DE):
        hold = CreditHold.objects.get(order_id=order.pk)
    assert hold.status == HoldStatus.CLEARED
    assert hold.cleared_at is not None
    with schema_context(DE):
        assert list(holds.holds(finance(), waiting=True).filter(order_id=order.pk)) == []


def test_an_account_of_a_merged_record_is_checked_against_the_survivor(world):
    one_cell()
    survivor = credit_customer(limit="100.00", handles=())
    merged = credit_customer(handles=("acme.de",))
    Customer.objects.filter(pk=merged.pk).update(status=CustomerStatus.MERGED, merged_into=survivor)
    order = new_order(merged, "100")
    error = refused(lambda: confirm(order))
    assert (error.code, error.params["customer"]) == (
        ErrorCode.CREDIT_LIMIT_EXCEEDED,
        survivor.code,
    )


def test_a_cell_that_does_not_answer_makes_the_check_fail_safe(world, settings):
    """acme.jp stays in ap, whose endpoint refuses connections: no exposure figure, no
    confirmation, the reason names the region; finance's release then lets it through
    without asking the cells again."""
    one_cell()
    BusinessUnit.objects.filter(pk=business_unit("acme.jp").pk).update(region_id="ap")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CELL_ENDPOINTS = {"ap": f"http://127.0.0.1:{port}"}
    customer = credit_customer(limit="1000000.00")
    order = new_order(customer, "100")
    before = _state(order)
    error = refused(lambda: confirm(order))
    assert error.code == ErrorCode.CREDIT_CHECK_UNAVAILABLE
    assert error.params["regions"] == "ap"
    assert "ap (UNREACHABLE" in error.params["reason"]
    assert _state(order) == before
    hold = _hold(order)
    assert hold.reason == HoldReason.CHECK_UNAVAILABLE
    assert [(c["region"], c["status"]) for c in hold.missing_cells] == [("ap", "UNREACHABLE")]
    with schema_context(DE):
        release = holds.order_credit_release(finance(), order, comment="Japan ist down, ok")
    assert release.missing_regions == ["ap"]
    assert release.exposure == d("0.00")
    assert confirm(order).confirmed is True


def test_the_exposure_is_taken_now_everywhere(world):
    """No BU's today is after the check's reporting date (UTC+14 is the first to start a day)."""
    for handle in ("acme.de", "acme.jp", "acme.hq"):
        assert business_unit(handle).today() <= latest_business_date()


def test_releasing_needs_finance_a_waiting_hold_and_a_reason(world):
    one_cell()
    customer = credit_customer(limit="10.00")
    blocked = new_order(customer, "100")
    refused(lambda: confirm(blocked))
    fine = new_order(credit_customer(), "1")
    with schema_context(DE):
        hold_before = model_to_dict(CreditHold.objects.get(order_id=blocked.pk))

        def release(order: Order, comment: str = "ok", access=None):
            return refused(
                lambda: holds.order_credit_release(access or finance(), order, comment=comment)
            )

        assert release(blocked, access=manager()).code == ErrorCode.PERMISSION_DENIED
        assert release(fine).code == ErrorCode.CREDIT_NOT_BLOCKED
        error = release(blocked, comment="   ")
        assert (error.code, error.field) == (ErrorCode.INVALID_ARGUMENT, "comment")
        assert release(blocked, comment="x" * 1001).code == ErrorCode.INVALID_ARGUMENT
        assert CreditHold.objects.get(order_id=blocked.pk).status == HoldStatus.WAITING
        assert model_to_dict(CreditHold.objects.get(order_id=blocked.pk)) == hold_before
        assert not CreditRelease.objects.filter(order_id=blocked.pk).exists()
    confirm(fine)
    with schema_context(DE):
        assert release(fine).code == ErrorCode.INVALID_STAGE_CHANGE
    cancelled = new_order(customer, "100")
    refused(lambda: confirm(cancelled))
    with schema_context(DE):
        orders.order_cancel(manager(), cancelled)
        assert release(cancelled).code == ErrorCode.RECORD_CLOSED
        assert not CreditRelease.objects.filter(order_id__in=[blocked.pk, cancelled.pk]).exists()


def test_the_worklist_shows_what_waits_for_finance(world):
    one_cell()
    customer = credit_customer(limit="10.00")
    waiting = new_order(customer, "100")
    cancelled = new_order(customer, "100")
    released = new_order(customer, "100")
    for order in (waiting, cancelled, released):
        refused(lambda order=order: confirm(order))
    with schema_context(DE):
        orders.order_cancel(manager(), cancelled)
        holds.order_credit_release(finance(), released, comment="Sicherheit hinterlegt")
        worklist = {hold.order_id for hold in holds.holds(finance(), waiting=True)}
        others = {hold.order_id for hold in holds.holds(finance(), waiting=False)}
        assert {waiting.pk, cancelled.pk, released.pk} & worklist == {waiting.pk}
        assert {cancelled.pk, released.pk} <= others
        assert {hold.order_id for hold in holds.holds(manager(), waiting=True)} >= {waiting.pk}
