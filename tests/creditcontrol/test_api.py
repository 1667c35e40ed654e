"""Credit control through GraphQL: a blocked confirmation with its hold, finance's worklist and
release, the customer's exposure for finance; typed errors with nothing changed; other BUs'
and other groups' records out of reach."""

from __future__ import annotations

import socket
from decimal import Decimal
from typing import Any

from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tenants.creditcontrol.models import CreditHold, CreditRelease
from crm.tenants.ledger.models import Order
from crm.tenants.models import BusinessUnit
from crm.tests.creditcontrol.helpers import (
    DE,
    account_in,
    credit_customer,
    new_order,
    one_cell,
    open_order,
    set_limit,
)
from crm.tests.ledger.helpers import errors_of, gid, make_order, manager
from crm.tests.permissions.matrix import member
from crm.tests.relationships.helpers import business_unit, golden, schema_of

MONEY = "{ amount currency }"
HOLD = f"""id status reason attempts amount {MONEY} exposure {MONEY} creditLimit {MONEY}
  missingCells {{ region status detail }} customer {{ id code }} order {{ id number status }}
  blockedBy lastBlockedAt release {{ id }}"""
RELEASE = f"""id amount {MONEY} exposure {MONEY} creditLimit {MONEY} comment releasedBy
  releasedAt usedAt missingCells {{ region status }} order {{ id number }} hold {{ id status }}"""
CONFIRM = f"""mutation($id: ID!) {{ orderConfirm(id: $id) {{
  errors {{ field code message }} order {{ id confirmed }} creditHold {{ {HOLD} }} }} }}"""
RELEASE_ORDER = f"""mutation($order: ID!, $comment: String!) {{
  orderCreditRelease(order: $order, comment: $comment) {{
    errors {{ field code message }} release {{ {RELEASE} }} hold {{ id status }}
    order {{ id confirmed }} }} }}"""
HOLDS = f"""query($filter: CreditHoldFilter) {{ creditHolds(first: 50, filter: $filter) {{
  totalCount edges {{ node {{ {HOLD} }} }} }} }}"""
ONE_HOLD = f"query($id: ID!) {{ creditHold(id: $id) {{ {HOLD} }} }}"
RELEASES = f"""query($filter: CreditReleaseFilter) {{ creditReleases(first: 50, filter: $filter) {{
  totalCount edges {{ node {{ {RELEASE} }} }} }} }}"""
EXPOSURE = f"""query($customer: ID!) {{ customerCreditExposure(customer: $customer) {{
  customer {{ code name }} asOf currency creditLimit {MONEY} openReceivables {MONEY}
  openOrders {MONEY} exposure {MONEY} available {MONEY} complete missingRegions
  cells {{ region status businessUnits }}
  businessUnits {{ region businessUnit businessUnitName openReceivables {MONEY}
                   openOrders {MONEY} exposure {MONEY} }} }} }}"""


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _blocked(graphql: Any, limit: str = "500.00") -> tuple[Any, Order, dict[str, Any]]:
    """A customer with 475.06 CNY on order in Japan and a 781.25 CNY order in Germany that
    the manager tried to confirm."""
    one_cell()
    customer = credit_customer()
    open_order("acme.jp", customer, "10000")
    set_limit(customer, limit)
    order = new_order(customer, "100")
    reply = graphql(CONFIRM, {"id": gid("Order", order)}, bu="acme.de", as_="acme.de.manager")
    return customer, order, reply.data["orderConfirm"]


def test_a_blocked_confirmation_says_why_and_leaves_a_hold(world, graphql):
    customer, order, payload = _blocked(graphql)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CREDIT_LIMIT_EXCEEDED", None)]
    assert "475.06" in payload["errors"][0]["message"]
    assert "781.25" in payload["errors"][0]["message"]
    assert payload["order"] is None
    hold = payload["creditHold"]
    assert hold["status"] == "WAITING"
    assert hold["reason"] == "LIMIT_EXCEEDED"
    assert hold["attempts"] == 1
    assert (hold["amount"], hold["exposure"], hold["creditLimit"]) == (
        cny("781.25"),
        cny("475.06"),
        cny("500.00"),
    )
    assert hold["missingCells"] == []
    assert hold["customer"] == {"id": to_global_id("Customer", customer.pk), "code": customer.code}
    assert hold["order"]["id"] == gid("Order", order)
    assert hold["blockedBy"]
    assert hold["release"] is None
    with schema_context(DE):
        assert Order.objects.get(pk=order.pk).confirmed is False


def test_the_hold_is_shown_only_to_who_may_view_holds(world, graphql):
    one_cell()
    customer = credit_customer(limit="1.00")
    order = new_order(customer, "100")
    support = member("back_support")  # confirms orders, does not see credit holds
    reply = graphql(CONFIRM, {"id": gid("Order", order)}, bu="acme.de", as_=support)
    payload = reply.data["orderConfirm"]
    assert [e["code"] for e in payload["errors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    assert payload["creditHold"] is None
    with schema_context(DE):
        assert CreditHold.objects.filter(order_id=order.pk).count() == 1


def test_finance_works_the_list_and_releases_then_the_order_confirms(world, graphql):
    _customer, order, blocked = _blocked(graphql)
    hold_id = blocked["creditHold"]["id"]
    worklist = graphql(HOLDS, {"filter": {"waiting": True}}, bu="acme.de", as_="acme.de.finance")
    assert worklist.errors == []
    assert hold_id in [e["node"]["id"] for e in worklist.data["creditHolds"]["edges"]]
    reply = graphql(
        RELEASE_ORDER,
        {"order": gid("Order", order), "comment": "Bankgarantie liegt vor"},
        bu="acme.de",
        as_="acme.de.finance",
    )
    assert errors_of(reply) == []
    payload = reply.data["orderCreditRelease"]
    release = payload["release"]
    assert (release["amount"], release["exposure"], release["creditLimit"]) == (
        cny("781.25"),
        cny("475.06"),
        cny("500.00"),
    )
    assert release["comment"] == "Bankgarantie liegt vor"
    assert release["releasedBy"]
    assert release["usedAt"] is None
    assert release["hold"] == {"id": hold_id, "status": "RELEASED"}
    assert payload["hold"] == {"id": hold_id, "status": "RELEASED"}
    assert payload["order"]["confirmed"] is False
    worklist = graphql(HOLDS, {"filter": {"waiting": True}}, bu="acme.de", as_="acme.de.finance")
    assert hold_id not in [e["node"]["id"] for e in worklist.data["creditHolds"]["edges"]]
    confirmed = graphql(CONFIRM, {"id": gid("Order", order)}, bu="acme.de", as_="acme.de.manager")
    assert errors_of(confirmed) == []
    assert confirmed.data["orderConfirm"]["order"]["confirmed"] is True
    releases = graphql(
        RELEASES, {"filter": {"order": gid("Order", order)}}, bu="acme.de", as_="acme.de.manager"
    )
    (edge,) = releases.data["creditReleases"]["edges"]
    assert edge["node"]["id"] == release["id"]
    assert edge["node"]["usedAt"] is not None
    one = graphql(ONE_HOLD, {"id": hold_id}, bu="acme.de", as_="acme.de.manager")
    assert one.data["creditHold"]["release"] == {"id": release["id"]}


def test_a_release_refused_changes_nothing(world, graphql):
    customer, order, _blocked_payload = _blocked(graphql)
    with schema_context(DE):
        before = model_to_dict(CreditHold.objects.get(order_id=order.pk))
    free = new_order(credit_customer(), "1")
    with schema_context(schema_of("acme.jp")):
        japanese = make_order(
            manager("acme.jp"), account_in("acme.jp", customer), [("M-001", "1", "100")]
        )

    def release(order_id: str, as_: str = "acme.de.finance", comment: str = "ok") -> list[Any]:
        reply = graphql(
            RELEASE_ORDER, {"order": order_id, "comment": comment}, bu="acme.de", as_=as_
        )
        return errors_of(reply)

    assert release("not-an-id") == [("MALFORMED_ID", "order")]
    assert release(to_global_id("Invoice", "1")) == [("MALFORMED_ID", "order")]
    assert release(gid("Order", japanese, "acme.jp")) == [("NOT_FOUND", "order")]
    # A salesperson does not even see another's order; a manager sees it but may not release.
    assert release(gid("Order", order), as_="acme.de.sales") == [("NOT_FOUND", "order")]
    assert release(gid("Order", order), as_="acme.de.manager") == [("PERMISSION_DENIED", None)]
    assert release(gid("Order", free)) == [("CREDIT_NOT_BLOCKED", "order")]
    assert release(gid("Order", order), comment=" ") == [("INVALID_ARGUMENT", "comment")]
    with schema_context(DE):
        assert model_to_dict(CreditHold.objects.get(order_id=order.pk)) == before
        assert not CreditRelease.objects.filter(order_id__in=[order.pk, free.pk]).exists()


def test_holds_and_releases_of_another_business_unit_are_not_found(world, graphql):
    _customer, _order, payload = _blocked(graphql)
    hold_id = payload["creditHold"]["id"]
    in_japan = graphql(ONE_HOLD, {"id": hold_id}, bu="acme.jp", as_="acme.admin")
    assert in_japan.codes == ["NOT_FOUND"]
    listed = graphql(HOLDS, bu="acme.jp", as_="acme.admin")
    assert hold_id not in [e["node"]["id"] for e in listed.data["creditHolds"]["edges"]]
    # Salespeople see no holds at all.
    sales = graphql(HOLDS, bu="acme.de", as_="acme.de.sales")
    assert sales.data["creditHolds"]["totalCount"] == 0
    assert graphql(ONE_HOLD, {"id": hold_id}, bu="acme.de", as_="acme.de.sales").codes == [
        "NOT_FOUND"
    ]


def test_finance_sees_the_customers_exposure_in_every_business_unit(world, graphql):
    one_cell()
    customer = credit_customer(limit="1000.00")
    open_order("acme.jp", customer, "10000")
    open_order("acme.de", customer, "10")
    reply = graphql(
        EXPOSURE,
        {"customer": to_global_id("Customer", customer.pk)},
        bu="acme.de",
        as_="acme.de.finance",
    )
    assert reply.errors == []
    view = reply.data["customerCreditExposure"]
    assert view["customer"] == {"code": customer.code, "name": customer.legal_name}
    assert view["currency"] == "CNY"
    assert view["complete"] is True
    assert view["missingRegions"] == []
    assert view["cells"] == [{"region": "cn", "status": "OK", "businessUnits": ["de", "hq", "jp"]}]
    by_bu = {row["businessUnit"]: row for row in view["businessUnits"]}
    assert set(by_bu) == {"de", "jp"}  # nothing open at HQ: no row
    assert by_bu["de"]["openOrders"] == cny("78.13")
    assert by_bu["jp"]["openOrders"] == cny("475.06")
    assert by_bu["jp"]["businessUnitName"] == "acme jp"
    assert view["exposure"] == cny("553.19")
    assert view["openReceivables"] == cny("0.00")
    assert view["creditLimit"] == cny("1000.00")
    assert view["available"] == cny("446.81")


def test_the_exposure_names_the_cells_that_did_not_answer(world, graphql, settings):
    one_cell()
    BusinessUnit.objects.filter(pk=business_unit("acme.jp").pk).update(region_id="ap")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.CELL_ENDPOINTS = {"ap": f"http://127.0.0.1:{probe.getsockname()[1]}"}
    customer = credit_customer()
    reply = graphql(
        EXPOSURE,
        {"customer": to_global_id("Customer", customer.pk)},
        bu="acme.de",
        as_="acme.de.manager",
    )
    view = reply.data["customerCreditExposure"]
    assert view["complete"] is False
    assert view["missingRegions"] == ["ap"]
    assert {c["region"]: c["status"] for c in view["cells"]} == {"ap": "UNREACHABLE", "cn": "OK"}
    assert view["creditLimit"] is None
    assert view["available"] is None


def test_the_exposure_is_for_credit_control_and_this_group_only(world, graphql):
    one_cell()
    customer = credit_customer(limit="10.00")
    variables = {"customer": to_global_id("Customer", customer.pk)}
    sales = graphql(EXPOSURE, variables, bu="acme.de", as_="acme.de.sales")
    assert sales.codes == ["PERMISSION_DENIED"]
    assert sales.data is None
    rival = golden(business_unit("rival.main").group_id, "RIV-CC", "Rival Kunde")
    other = graphql(
        EXPOSURE,
        {"customer": to_global_id("Customer", rival.pk)},
        bu="acme.de",
        as_="acme.de.finance",
    )
    assert other.codes == ["NOT_FOUND"]
    bad = graphql(EXPOSURE, {"customer": "Customer:x"}, bu="acme.de", as_="acme.de.finance")
    assert bad.codes == ["MALFORMED_ID"]
    assert Decimal(customer.credit_limit or 0) == Decimal("10.00")


def test_a_page_of_holds_costs_the_same_statements_for_2_or_6_holds(world, graphql):
    one_cell()
    customer = credit_customer(limit="1.00")

    def statements(count: int) -> int:
        with schema_context(DE):
            CreditRelease.objects.all().delete()
            CreditHold.objects.all().delete()
        for index in range(count):
            order = new_order(customer, "100")
            reply = graphql(
                CONFIRM, {"id": gid("Order", order)}, bu="acme.de", as_="acme.de.manager"
            )
            assert [e["code"] for e in reply.data["orderConfirm"]["errors"]] == [
                "CREDIT_LIMIT_EXCEEDED"
            ]
            if index % 2:
                graphql(
                    RELEASE_ORDER,
                    {"order": gid("Order", order), "comment": "ok"},
                    bu="acme.de",
                    as_="acme.de.finance",
                )
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(HOLDS, bu="acme.de", as_="acme.de.finance")
        assert reply.errors == []
        assert reply.data["creditHolds"]["totalCount"] == count
        return len(queries.captured_queries)

    statements(1)  # the first request of a user reads their grants and the policy once
    assert statements(6) == statements(2)
