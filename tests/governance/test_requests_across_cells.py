"""A change request is filed where HQ decides it: in the group's home cell. A BU served by
another cell gets READ_ONLY_REPLICA naming the home cell, and nothing is filed there (real
cells, real HTTP)."""

from __future__ import annotations

import pytest

from crm.tests.fixtures.cells import Cells

pytestmark = pytest.mark.cells

REQUEST_NEW = """
mutation($customer: NewCustomerInput!, $why: String!) {
  customerRequestNew(customer: $customer, why: $why, confirmDuplicate: true) {
    changeRequest { id }
    errors { code message }
  }
}
"""
CUSTOMER = {"legalName": "Cross Cell Optics GmbH", "country": "DE"}


def test_a_bu_in_another_cell_is_sent_to_the_home_cell_and_nothing_is_filed(cells: Cells) -> None:
    directory = cells.seed_directory()
    eu = cells["eu"]
    before = eu.sql("SELECT count(*) FROM governance_changerequest")[0][0]
    reply = eu.graphql(
        REQUEST_NEW,
        {"customer": CUSTOMER, "why": "new distributor"},
        bu="lumina.de",
        token=directory.token("eu", "lumina.de.manager"),
        language="en",
    )
    payload = reply.data["customerRequestNew"]
    assert payload["changeRequest"] is None
    assert [error["code"] for error in payload["errors"]] == ["READ_ONLY_REPLICA"]
    assert "“cn”" in payload["errors"][0]["message"]
    assert eu.sql("SELECT count(*) FROM governance_changerequest")[0][0] == before


def test_in_the_home_cell_the_request_is_filed(cells: Cells) -> None:
    directory = cells.seed_directory()
    cn = cells["cn"]
    reply = cn.graphql(
        REQUEST_NEW,
        {"customer": {**CUSTOMER, "legalName": "Home Cell Optics Co."}, "why": "new dealer"},
        bu="lumina.hq",
        token=directory.token("cn", "lumina.hq.manager"),
        language="en",
    )
    payload = reply.data["customerRequestNew"]
    assert payload["errors"] == []
    assert payload["changeRequest"]["id"]
    filed = cn.sql(
        "SELECT count(*) FROM governance_changerequest WHERE proposed->>'legal_name' = %s",
        ["Home Cell Optics Co."],
    )
    assert filed[0][0] == 1
