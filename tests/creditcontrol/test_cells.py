"""Credit control across real cells: the German BU (eu) confirms an order of a customer who
also has business in Japan (ap) and at HQ (cn); the check asks every cell over signed HTTP.
A cell that is down makes the check fail safe, naming the region; finance's release lets the
order through all the same. Kept to a few tests: every one starts HTTP fan-outs.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from graphql_relay import to_global_id

from crm.tests.creditcontrol.cells_seed import golden_everywhere, orders_in, user_token
from crm.tests.fixtures.cell_directory import Directory
from crm.tests.fixtures.cells import Cells

pytestmark = pytest.mark.cells

HOLD = "status reason amount { amount } exposure { amount } missingCells { region status }"
CONFIRM = f"""mutation($id: ID!) {{ orderConfirm(id: $id) {{
  errors {{ code message }} order {{ confirmed }} creditHold {{ {HOLD} }} }} }}"""
RELEASE = """mutation($order: ID!) {
  orderCreditRelease(order: $order, comment: "Vorkasse eingegangen") {
    errors { code } release { amount { amount } exposure { amount } missingCells { region } } } }"""
EXPOSURE = """query($customer: ID!) { customerCreditExposure(customer: $customer) {
  complete missingRegions exposure { amount } cells { region status businessUnits }
  businessUnits { region businessUnit openOrders { amount } } } }"""


@pytest.fixture(scope="module")
def lumina(cells: Cells) -> dict[str, Any]:
    directory = cells.seed_directory()
    finance = user_token(cells["eu"], "lumina.de.finance", "finance", "de")
    return {"directory": directory, "finance": finance}


def _customer(cells: Cells, limit: str) -> tuple[str, int]:
    code = f"CC{secrets.token_hex(4)}".upper()
    return code, golden_everywhere(cells, code, limit)


def _order_id(directory: Directory, pk: int) -> str:
    return to_global_id("Order", f"{directory.business_units['de']}.{pk}")


def _in_germany(cells: Cells, lumina: dict[str, Any], query: str, variables: Any, *, as_: str):
    directory: Directory = lumina["directory"]
    token = lumina["finance"] if as_ == "finance" else directory.token("eu", "lumina.de.manager")
    reply = cells["eu"].graphql(query, variables, bu="lumina.de", token=token, timeout=60)
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    return payload


def test_exposure_in_another_cells_business_unit_counts(cells: Cells, lumina: dict[str, Any]):
    code, pk = _customer(cells, "1000.00")
    orders_in(cells["ap"], "jp", code, [(f"{code}-JP", "600.00", True)])
    orders_in(cells["cn"], "hq", code, [(f"{code}-HQ", "100.00", True)])
    ids = orders_in(
        cells["eu"], "de", code, [(f"{code}-1", "300.01", False), (f"{code}-2", "300.00", False)]
    )
    directory: Directory = lumina["directory"]
    over = _in_germany(
        cells, lumina, CONFIRM, {"id": _order_id(directory, ids[f"{code}-1"])}, as_="manager"
    )
    assert [error["code"] for error in over["errors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    assert over["creditHold"] is not None  # the manager sees holds
    assert over["creditHold"]["exposure"] == {"amount": "700.00"}  # Japan's 600 and HQ's 100
    assert over["creditHold"]["amount"] == {"amount": "300.01"}
    assert over["creditHold"]["missingCells"] == []
    # Exactly at the limit: 600 + 100 + 300.
    at = _in_germany(
        cells, lumina, CONFIRM, {"id": _order_id(directory, ids[f"{code}-2"])}, as_="manager"
    )
    assert at["errors"] == []
    assert at["order"]["confirmed"] is True
    view = _in_germany(
        cells, lumina, EXPOSURE, {"customer": to_global_id("Customer", pk)}, as_="finance"
    )
    assert view["complete"] is True
    assert {(c["region"], c["status"]) for c in view["cells"]} == {
        ("cn", "OK"),
        ("eu", "OK"),
        ("ap", "OK"),
    }
    assert {
        (u["region"], u["businessUnit"], u["openOrders"]["amount"]) for u in view["businessUnits"]
    } == {
        ("ap", "jp", "600.00"),
        ("cn", "hq", "100.00"),
        ("eu", "de", "300.00"),
    }
    assert view["exposure"] == {"amount": "1000.00"}


def test_a_stopped_cell_fails_safe_and_finance_releases(cells: Cells, lumina: dict[str, Any]):
    code, _pk = _customer(cells, "1000000.00")
    ids = orders_in(cells["eu"], "de", code, [(f"{code}-1", "250.00", False)])
    order = _order_id(lumina["directory"], ids[f"{code}-1"])
    cells["ap"].stop()
    try:
        refused = _in_germany(cells, lumina, CONFIRM, {"id": order}, as_="manager")
        assert [error["code"] for error in refused["errors"]] == ["CREDIT_CHECK_UNAVAILABLE"]
        assert "ap (UNREACHABLE" in refused["errors"][0]["message"]
        assert refused["order"] is None
        hold = refused["creditHold"]
        assert (hold["status"], hold["reason"]) == ("WAITING", "CHECK_UNAVAILABLE")
        assert hold["missingCells"] == [{"region": "ap", "status": "UNREACHABLE"}]
        released = _in_germany(cells, lumina, RELEASE, {"order": order}, as_="finance")
        assert released["errors"] == []
        assert released["release"]["amount"] == {"amount": "250.00"}
        assert released["release"]["missingCells"] == [{"region": "ap"}]
        confirmed = _in_germany(cells, lumina, CONFIRM, {"id": order}, as_="manager")
        assert confirmed["errors"] == []
        assert confirmed["order"]["confirmed"] is True
    finally:
        cells["ap"].start()
