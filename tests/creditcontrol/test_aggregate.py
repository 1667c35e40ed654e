"""The `receivables` aggregate's `customer` parameter: one golden customer's exposure per BU,
which is what the credit check asks every cell for."""

from __future__ import annotations

import pytest

from crm.regions.federation.aggregates.receivables import RECEIVABLES
from crm.regions.federation.contract import ContractError
from crm.tests.creditcontrol.helpers import credit_customer, one_cell, open_order
from crm.tests.groupviews.helpers import answer_of


def test_the_parameter_is_a_customer_code_or_nothing():
    assert RECEIVABLES.clean_parameters({}) == {}
    assert RECEIVABLES.clean_parameters({"customer": "C-000123"}) == {"customer": "C-000123"}
    for bad in ({"customer": 5}, {"customer": "no spaces"}, {"customer": ""}, {"since": "x"}):
        with pytest.raises(ContractError):
            RECEIVABLES.clean_parameters(bad)


def test_a_cell_answers_for_the_customer_asked_only(world):
    one_cell()
    asked, other = credit_customer(), credit_customer()
    japan = open_order("acme.jp", asked, "10000")
    germany = open_order("acme.de", asked, "10")
    open_order("acme.de", other, "20")
    answer = answer_of("cn", "receivables", parameters={"customer": asked.code})
    assert answer["available"] is True
    assert answer["business_units"] == ["de", "hq", "jp"]
    assert sorted(answer["rows"], key=lambda row: row["business_unit"]) == [
        {
            "business_unit": "de",
            "customer": asked.code,
            "open_receivables": "0.00",
            "open_orders": f"{germany.total_group:.2f}",
        },
        {
            "business_unit": "jp",
            "customer": asked.code,
            "open_receivables": "0.00",
            "open_orders": f"{japan.total_group:.2f}",
        },
    ]
    unknown = answer_of("cn", "receivables", parameters={"customer": "NO-SUCH-CODE"})
    assert unknown["available"] is True
    assert unknown["rows"] == []
