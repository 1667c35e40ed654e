"""Fixtures of the ledger tests: the tax rates of the German and the Japanese BU.

Every ledger test that uses the test world gets, in acme.de, `standard` 19 % (the default),
`reduced` 7 % (materials of category REDUCED) and `exempt` 0 %; in acme.jp 10 %, 8 % and 0 %
(made in the test's transaction, rolled back with it). The helpers' orders are `exempt` unless
a line names another code, so the figures of tests about something else than tax stay round;
what tax does is tested with the real rates (test_taxes.py).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def ledger_tax_rates(request: Any) -> None:
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    from crm.tests.ledger.helpers import tax_rates

    tax_rates()
