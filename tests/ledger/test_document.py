"""The printable invoice: HTML in the customer's language, VAT stated per rate (19 % and 7 % in
Germany), amounts and dates in the customer's locale, yen without decimals; downloadable with
the API's headers and refused like the invoice itself."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from crm.tenants.localcustomers.models import LocalCustomer
from crm.tests.ledger.helpers import (
    DE,
    JP,
    confirmed_order,
    deliver_all,
    gid,
    issued_invoice,
    make_account,
    pay,
    reduced,
    user_in,
)
from crm.tests.relationships.helpers import business_unit, golden


def download(client: Any, graphql: Any, invoice: Any, username: str, bu: str = "acme.de") -> Any:
    return client.get(
        f"/files/invoices/{invoice.pk}/invoice.html",
        headers={
            "Authorization": f"Bearer {graphql.token_for(username)}",
            "X-Business-Unit": bu,
        },
    )


def test_a_german_invoice_states_its_vat_by_rate(world, client, graphql, settings):
    settings.REGION = "eu"
    with schema_context(DE):
        reduced("M-002")
        account = make_account()
        order = confirmed_order(
            account,
            [("M-001", "1200", "11.50", "standard"), ("M-002", "3", "4.99", "reduced")],
        )
        invoice = issued_invoice(deliver_all(order))
        pay(account, "1000.00", [(invoice, "1000.00")])
    response = download(client, graphql, invoice, "acme.de.finance")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Language"] == "de"  # a German customer
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert invoice.number in html
    assert order.number in html
    assert "Bildschirm 1" in html  # the material's German name
    # 13,800.00 at 19 % (2,622.00) and 14.97 at 7 % (1.0479: 1.05), in German style.
    assert "13.800,00\xa0€" in html
    assert "19 %" in html
    assert "7 %" in html
    assert "2.622,00\xa0€" in html
    assert "1,05\xa0€" in html
    assert "16.438,02\xa0€" in html  # the gross: 13,814.97 + 2,623.05
    assert "15.438,02\xa0€" in html  # open after 1,000.00 paid
    rows = html.split('<tr class="vat">')[1:]
    assert len(rows) == 2  # one VAT line per rate
    assert "2.622,00" in rows[0]
    assert "1,05" in rows[1]


def test_a_japanese_invoice_prints_yen_without_decimals(world, client, graphql, settings):
    settings.REGION = "ap"
    with schema_context(JP):
        unit = business_unit("acme.jp")
        customer = golden(unit.group_id, "JP-DOC-1", "山田商事", country="JP")
        account = LocalCustomer.objects.create(customer_id=customer.pk, local_code="K-JP-DOC")
        order = confirmed_order(account, [("M-003", "2", "3000", "standard")], "acme.jp")
        invoice = issued_invoice(deliver_all(order, "acme.jp"), "acme.jp")
    response = download(client, graphql, invoice, user_in("acme.jp", "finance"), bu="acme.jp")
    assert response.status_code == 200
    assert response["Content-Language"] == "ja"
    html = response.content.decode()
    assert "パネル 3" in html
    assert "￥6,000" in html  # 2 × 3,000 yen net
    assert "￥600" in html  # 10 % tax
    assert "￥6,600" in html
    assert "￥6,600.00" not in html


def test_the_document_is_refused_like_the_invoice(world, client, graphql, settings):
    settings.REGION = "eu"
    with schema_context(DE):
        theirs = make_account(owner="acme.de.manager")
        invoice = issued_invoice(deliver_all(confirmed_order(theirs, [("M-001", "1", "10")])))
    assert download(client, graphql, invoice, "acme.de.sales").status_code == 404  # not theirs
    assert download(client, graphql, invoice, "acme.de.legal").status_code == 404
    assert download(client, graphql, invoice, "acme.de.finance").status_code == 200
    anonymous = client.get(
        f"/files/invoices/{invoice.pk}/invoice.html", headers={"X-Business-Unit": "acme.de"}
    )
    assert anonymous.status_code == 401
    missing = client.get(
        f"/files/invoices/{invoice.pk + 1000}/invoice.html",
        headers={
            "Authorization": f"Bearer {graphql.token_for('acme.de.finance')}",
            "X-Business-Unit": "acme.de",
        },
    )
    assert missing.status_code == 404
    # The API names where to get it.
    shown = graphql(
        "query($id: ID!) { invoice(id: $id) { document { url } } }",
        {"id": gid("Invoice", invoice)},
        bu="acme.de",
        as_="acme.de.finance",
    )
    assert shown.data["invoice"]["document"] == {
        "url": f"/files/invoices/{invoice.pk}/invoice.html"
    }
