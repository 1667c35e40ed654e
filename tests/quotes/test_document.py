"""The printable quote: HTML in the customer's language, amounts and dates in its locale,
material names translated, no cost or margin; downloadable like the API, refused likewise."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.masterdata.models import Material
from crm.tests.quotes.helpers import make_quote, schema


@pytest.fixture
def eu(settings: Any, world: Any) -> Any:
    settings.REGION = "eu"
    return world


def download(client: Any, graphql: Any, quote: Any, username: str, bu: str = "acme.de") -> Any:
    return client.get(
        f"/files/quotes/{quote.pk}/quote.html",
        headers={
            "Authorization": f"Bearer {graphql.token_for(username)}",
            "X-Business-Unit": bu,
        },
    )


def test_a_german_customer_reads_german_numbers_and_names(eu, client, graphql):
    Material.objects.filter(code="M-001").update(standard_cost=Decimal("3.33"))
    quote = make_quote(codes=["M-001", "M-031"], quantities=["1200", "1"], discounts=["2.5", "0"])
    response = download(client, graphql, quote, "acme.de.sales")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Language"] == "de"
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert "Bildschirm 1" in html
    assert "Bildschirm 31" in html
    # 1,200 × 11.50 = 13,800.00 less 2.5 % = 13,455.00 EUR, German style.
    assert "13.455,00\xa0€" in html
    assert "2,5 %" in html
    assert quote.number in html
    body = html.split("<body>")[1]
    assert "3,33" not in body
    assert "Marge" not in body


def test_a_japanese_quote_prints_yen_without_decimals(settings, world, client, graphql):
    settings.REGION = "ap"
    quote = make_quote(
        bu="jp", as_="acme.jp.sales", codes=["M-003"], quantities=["2"], language="ja"
    )
    response = download(client, graphql, quote, "acme.jp.sales", bu="acme.jp")
    html = response.content.decode()
    assert response.status_code == 200
    assert "パネル 3" in html
    assert "￥6,000" in html  # 2 × 3,000 yen
    assert "￥6,600" in html  # with 10 % tax


def test_the_document_is_refused_like_the_record(eu, client, graphql):
    quote = make_quote(as_="acme.de.manager")
    assert download(client, graphql, quote, "acme.de.sales").status_code == 404  # not theirs
    assert download(client, graphql, quote, "acme.de.manager").status_code == 200
    anonymous = client.get(
        f"/files/quotes/{quote.pk}/quote.html", headers={"X-Business-Unit": "acme.de"}
    )
    assert anonymous.status_code == 401
    with schema_context(schema()):
        missing = quote.pk + 1000
    assert (
        client.get(
            f"/files/quotes/{missing}/quote.html",
            headers={
                "Authorization": f"Bearer {graphql.token_for('acme.de.manager')}",
                "X-Business-Unit": "acme.de",
            },
        ).status_code
        == 404
    )
