"""Golden customers through GraphQL: create, update, duplicates, search, policy and isolation.

Customers are written by HQ stewards (and the group admin); every business unit reads the group's
records, credit limits only for managers and finance; a merged record is read-only; nothing of
one group is seen, found or paired from another.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from crm.graphql.customers import queries as customer_queries
from crm.masterdata.customers import duplicates, identity
from crm.masterdata.customers.models import Customer

STEWARD = "acme.steward"
ADMIN = "acme.admin"
SALES = "acme.de.sales"
FINANCE = "acme.de.finance"
MANAGER = "acme.de.manager"
BOSCH_VAT = "DE136695976"

FIELDS = """
fragment F on Customer {
  id code legalName tradeName country taxId industry size classification grade status
  creditLimit { amount currency } parent { code } mergedInto { code } permissions { actions }
}
"""
# Without the credit limit: what every BU role may read.
PUBLIC_FIELDS = """
fragment F on Customer {
  id code legalName tradeName country taxId grade status parent { code } mergedInto { code }
}
"""
PAYLOAD = """
    errors { field code message }
    customer { ...F }
    duplicates { customer { code } score reason }
"""
CREATE = (
    """
mutation($legalName: String, $tradeNames: [TranslationInput!], $country: String,
         $taxId: String, $code: String, $industry: String, $size: CompanySize,
         $classification: Classification, $grade: Grade, $parent: ID, $status: CustomerStatus,
         $creditLimit: Decimal, $confirmDuplicate: Boolean) {
  customerCreate(legalName: $legalName, tradeNames: $tradeNames, country: $country,
                 taxId: $taxId, code: $code, industry: $industry, size: $size,
                 classification: $classification, grade: $grade, parent: $parent,
                 status: $status, creditLimit: $creditLimit,
                 confirmDuplicate: $confirmDuplicate) {"""
    + PAYLOAD
    + "} }"
)
UPDATE = (
    """
mutation($id: ID!, $legalName: String, $tradeNames: [TranslationInput!], $country: String,
         $taxId: String, $code: String, $grade: Grade, $parent: ID, $status: CustomerStatus,
         $creditLimit: Decimal, $confirmDuplicate: Boolean) {
  customerUpdate(id: $id, legalName: $legalName, tradeNames: $tradeNames, country: $country,
                 taxId: $taxId, code: $code, grade: $grade, parent: $parent, status: $status,
                 creditLimit: $creditLimit, confirmDuplicate: $confirmDuplicate) {"""
    + PAYLOAD
    + "} }"
)
LIST = """
query($first: Int, $filter: CustomerFilter) {
  customers(first: $first, filter: $filter) { totalCount edges { node { ...F } } }
}
"""
ONE = "query($code: String, $id: ID) { customer(code: $code, id: $id) { ...F } }"
DUPLICATES = """
{ customerDuplicates { first { code } second { code } score reason } }
"""


# -- helpers ------------------------------------------------------------------------------------


def make(
    world: Any,
    code: str,
    legal_name: str,
    country: str = "DE",
    *,
    group_id: int | None = None,
    **fields: Any,
) -> Customer:
    """A customer written with the ORM, for setup."""
    return Customer.objects.create(
        group_id=world.acme_id if group_id is None else group_id,
        code=code,
        legal_name=legal_name,
        normalized_name=identity.normalized_name(legal_name),
        country=country,
        **fields,
    )


def gid(customer: Customer) -> str:
    return to_global_id("Customer", customer.pk)


def acme_count(world: Any) -> int:
    return Customer.objects.filter(group_id=world.acme_id).count()


def create(graphql: Any, *, as_: str = STEWARD, bu: str = "acme.hq", **variables: Any) -> Any:
    return graphql(CREATE + FIELDS, variables, as_=as_, bu=bu)


def update(
    graphql: Any, customer: Customer, *, as_: str = STEWARD, bu: str = "acme.hq", **variables: Any
) -> Any:
    return graphql(UPDATE + FIELDS, {"id": gid(customer), **variables}, as_=as_, bu=bu)


def payload(reply: Any, name: str) -> dict[str, Any]:
    assert reply.status == 200
    assert reply.errors == [], reply.errors
    result: dict[str, Any] = reply.data[name]
    return result


def written(reply: Any, name: str = "customerCreate") -> dict[str, Any]:
    """The customer of a successful mutation."""
    result = payload(reply, name)
    assert result["errors"] == [], result["errors"]
    assert result["duplicates"] == []
    customer: dict[str, Any] = result["customer"]
    return customer


def refusal(reply: Any, name: str = "customerCreate") -> dict[str, Any]:
    """The one typed error of a refused mutation, whose customer is null."""
    result = payload(reply, name)
    (error,) = result["errors"]
    assert result["customer"] is None
    assert error["message"]
    return {"field": error["field"], "code": error["code"], "duplicates": result["duplicates"]}


def listed(reply: Any) -> list[str]:
    assert reply.data["customers"] is not None, reply.errors
    return [edge["node"]["code"] for edge in reply.data["customers"]["edges"]]


def search(graphql: Any, text: str, **ask: Any) -> list[str]:
    reply = graphql(LIST + PUBLIC_FIELDS, {"first": 10, "filter": {"search": text}}, **ask)
    assert reply.errors == [], reply.errors
    return listed(reply)


def next_generated_code() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM customers_code_seq")
        last_value, is_called = cursor.fetchone()
    return f"C{last_value + 1 if is_called else last_value:07d}"


def similarity(a: str, b: str) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute("SELECT round(similarity(%s, %s)::numeric, 3)", [a, b])
        (score,) = cursor.fetchone()
    return Decimal(score)


# -- create -------------------------------------------------------------------------------------


def test_steward_creates_a_customer_with_a_generated_code_and_normalized_keys(world, graphql):
    reply = create(
        graphql,
        legalName="Robert Bosch GmbH",
        tradeNames=[{"language": "en", "text": "Bosch"}, {"language": "ja", "text": "ボッシュ"}],
        country="de",
        taxId="DE 136 695 976",
        industry="Automotive",
        grade="A",
        classification="KEY",
        size="LARGE",
        creditLimit="500000",
    )
    customer = written(reply)
    assert re.fullmatch(r"C\d{7}", customer["code"])
    assert customer["legalName"] == "Robert Bosch GmbH"
    assert customer["country"] == "DE"
    assert customer["taxId"] == BOSCH_VAT
    assert customer["industry"] == "Automotive"
    assert (customer["grade"], customer["classification"], customer["size"]) == (
        "A",
        "KEY",
        "LARGE",
    )
    assert customer["status"] == "ACTIVE"
    assert customer["creditLimit"]["currency"] == "CNY"
    assert Decimal(customer["creditLimit"]["amount"]) == Decimal(500000)
    assert customer["parent"] is None
    assert customer["mergedInto"] is None
    assert {"VIEW", "EDIT"} <= set(customer["permissions"]["actions"])
    # The HQ speaks Chinese, which has no trade name: English is the last resort.
    assert customer["tradeName"] == "Bosch"

    stored = Customer.objects.get(group_id=world.acme_id, code=customer["code"])
    assert stored.normalized_name == "robert bosch"
    assert stored.tax_id == BOSCH_VAT
    assert stored.credit_limit == Decimal(500000)
    assert stored.trade_name_ja == "ボッシュ"
    assert customer["id"] == gid(stored)

    japanese = graphql(ONE + FIELDS, {"code": customer["code"]}, as_=STEWARD, language="ja")
    assert japanese.errors == [], japanese.errors
    assert japanese.data["customer"]["tradeName"] == "ボッシュ"
    assert Decimal(japanese.data["customer"]["creditLimit"]["amount"]) == Decimal(500000)


def test_generated_codes_are_distinct(world, graphql):
    first = written(create(graphql, legalName="Alpha Panels", country="DE"))
    second = written(create(graphql, legalName="Omega Glass", country="DE"))
    assert first["code"] != second["code"]
    assert all(re.fullmatch(r"C\d{7}", c["code"]) for c in (first, second))


def test_the_group_admin_may_create_too(world, graphql):
    customer = written(create(graphql, as_=ADMIN, legalName="Admin Made Ltd.", country="GB"))
    assert customer["country"] == "GB"


def test_a_generated_code_never_collides_with_a_chosen_one(world, graphql):
    chosen = next_generated_code()
    written(create(graphql, legalName="Hand Picked Code", country="DE", code=chosen))
    generated = written(create(graphql, legalName="Generated Code", country="FR"))
    assert generated["code"] != chosen


# -- duplicates on create -----------------------------------------------------------------------


def test_the_same_tax_id_is_a_suspected_duplicate_and_nothing_is_created(world, graphql):
    first = written(create(graphql, legalName="Robert Bosch GmbH", country="DE", taxId=BOSCH_VAT))
    before = acme_count(world)

    reply = create(
        graphql, legalName="Totally Different Name AG", country="DE", taxId="DE136695976"
    )

    error = refusal(reply)
    assert (error["field"], error["code"]) == ("legalName", "DUPLICATE_SUSPECTED")
    assert error["duplicates"] == [
        {"customer": {"code": first["code"]}, "score": "1", "reason": "TAX_ID"}
    ]
    assert acme_count(world) == before


def test_a_similar_name_in_the_same_country_is_a_suspected_duplicate(world, graphql):
    existing = make(world, "K-BOSCH", "BOSCH")
    make(world, "K-OTHER", "Siemens AG")
    before = acme_count(world)

    reply = create(graphql, legalName="Bosch GmbH", country="DE")

    error = refusal(reply)
    assert (error["field"], error["code"]) == ("legalName", "DUPLICATE_SUSPECTED")
    (candidate,) = error["duplicates"]
    assert candidate["customer"]["code"] == existing.code
    assert candidate["reason"] == "NAME"
    assert Decimal("0.6") <= Decimal(candidate["score"]) <= 1
    assert acme_count(world) == before


def test_a_name_that_is_only_alike_scores_below_one(world, graphql):
    make(world, "K-MELCO", "Mitsubishi Electric Corporation")

    error = refusal(create(graphql, legalName="Mitsubishi Electrik", country="DE"))

    (candidate,) = error["duplicates"]
    assert candidate["reason"] == "NAME"
    score = Decimal(candidate["score"])
    assert Decimal("0.6") <= score < 1
    assert score == similarity("mitsubishi electric", "mitsubishi electrik")


def test_candidates_are_ordered_by_score_then_code(world, graphql):
    by_tax = make(world, "K-TAX", "Unrelated Holding", tax_id=BOSCH_VAT)
    same_name = make(world, "K-SAME", "Bosch")
    alike = make(world, "K-ALIKE", "Boschs")
    far = make(world, "K-FAR", "Bosch Rexroth")  # similarity below 0.6

    error = refusal(create(graphql, legalName="Bosch AG", country="DE", taxId=BOSCH_VAT))

    alike_score = similarity("bosch", "boschs")
    assert Decimal("0.6") <= alike_score < 1
    assert [
        (d["customer"]["code"], d["reason"], Decimal(d["score"])) for d in error["duplicates"]
    ] == [
        (same_name.code, "NAME", Decimal(1)),  # ties: by code
        (by_tax.code, "TAX_ID", Decimal(1)),
        (alike.code, "NAME", alike_score),
    ]
    assert far.code not in {d["customer"]["code"] for d in error["duplicates"]}


def lookalikes_of_muster(world: Any) -> None:
    records = []
    for i, name in enumerate(
        [
            "Muster Maschinenbau",
            "Muster Maschinenbau Nord",
            "Muster Maschinenbau Süd",
            "Muster Maschinenbauer",
            "Muster Maschinebau",
            "Mustr Maschinenbau",
            "Muster Maschinenbau 1",
            "Muster Maschinenbau 22",
            "Muster Maschinenbau Berlin",
            "Muster Anlagenbau",
            "Muster Maschinenbau und Anlagen",
            "Maschinenbau Muster",
            "Muster Maschinenbau Ost",
            "Muster Maschinenbau West",
        ]
    ):
        records.append(make(world, f"K-M{i:02d}", name))
    make(world, "K-AT", "Muster Maschinenbau", "AT")
    make(world, "K-GONE", "Muster Maschinenbau", status="MERGED", merged_into=records[0])


def scores_by_sql(world: Any, name: str) -> list[tuple[str, Decimal]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, round(similarity(normalized_name, %s)::numeric, 3) AS score "
            "FROM customers_customer WHERE group_id = %s AND country = 'DE' "
            "AND status <> 'MERGED' ORDER BY score DESC, code",
            [name, world.acme_id],
        )
        return [(code, score) for code, score in cursor.fetchall() if score >= Decimal("0.6")]


@pytest.mark.parametrize("candidates", [300, 2])
def test_similar_names_are_the_best_ten_by_trigram_similarity(world, monkeypatch, candidates):
    # With few candidates read at once, names are read a few lengths at a time, best first.
    monkeypatch.setattr(duplicates, "CANDIDATES", candidates)
    monkeypatch.setattr(duplicates, "LENGTHS_AT_ONCE", 2)
    lookalikes_of_muster(world)
    records = Customer.objects.filter(group_id=world.acme_id)

    found = duplicates.candidates(
        records, country="DE", normalized_name="muster maschinenbau", tax_id=""
    )

    expected = scores_by_sql(world, "muster maschinenbau")
    assert len(expected) > 10
    assert [(c.customer.code, c.score) for c in found] == expected[:10]
    assert {c.reason for c in found} == {"NAME"}


def test_a_long_name_is_compared_too(world):
    name = "Internationale Gesellschaft für Maschinenbau und Anlagentechnik Nordrhein-Westfalen"
    existing = make(world, "K-LONG", name + " Süd")
    records = Customer.objects.filter(group_id=world.acme_id)
    normalized = identity.normalized_name(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT cardinality(show_trgm(%s))", [normalized])
        assert cursor.fetchone()[0] > duplicates.MAX_TRIGRAMS

    (found,) = duplicates.candidates(records, country="DE", normalized_name=normalized, tax_id="")

    assert found.customer == existing
    assert found.score == similarity(normalized, existing.normalized_name)


def test_the_same_name_in_another_country_is_not_a_duplicate(world, graphql):
    make(world, "K-BOSCH", "BOSCH", "DE")
    customer = written(create(graphql, legalName="Bosch GmbH", country="AT"))
    assert customer["country"] == "AT"
    assert acme_count(world) == 2


def test_confirming_creates_the_suspected_duplicate_anyway(world, graphql):
    existing = make(world, "K-BOSCH", "BOSCH", tax_id=BOSCH_VAT)

    customer = written(
        create(
            graphql,
            legalName="Bosch GmbH",
            country="DE",
            taxId="DE 136 695 976",
            confirmDuplicate=True,
        )
    )

    assert customer["code"] != existing.code
    assert customer["taxId"] == BOSCH_VAT
    assert Customer.objects.filter(group_id=world.acme_id, tax_id=BOSCH_VAT).count() == 2


def test_merged_records_are_not_duplicate_candidates(world, graphql):
    survivor = make(world, "K-ALPHA", "Alpha Displays")
    make(world, "K-ALPHA-OLD", "Alpha Displays GmbH", status="MERGED", merged_into=survivor)

    error = refusal(create(graphql, legalName="Alpha Displays AG", country="DE"))

    assert [d["customer"]["code"] for d in error["duplicates"]] == [survivor.code]


def test_another_groups_records_are_never_duplicate_candidates(world, graphql):
    make(world, "R-BOSCH", "Bosch GmbH", group_id=world.rival_id, tax_id=BOSCH_VAT)

    customer = written(create(graphql, legalName="Bosch GmbH", country="DE", taxId=BOSCH_VAT))

    assert customer["taxId"] == BOSCH_VAT


# -- bad input ----------------------------------------------------------------------------------


def rival_customer(world: Any) -> Customer:
    return make(world, "R-PARENT", "Rival Parent Inc.", "US", group_id=world.rival_id)


@pytest.mark.parametrize(
    ("arguments", "field", "code"),
    [
        ({"legalName": "Nowhere GmbH", "country": "XX"}, "country", "INVALID_ARGUMENT"),
        ({"legalName": "Nowhere GmbH", "country": "DEU"}, "country", "INVALID_ARGUMENT"),
        ({"legalName": "Nowhere GmbH"}, "country", "INVALID_ARGUMENT"),
        ({"legalName": "   ", "country": "DE"}, "legalName", "INVALID_ARGUMENT"),
        ({"legalName": "GmbH", "country": "DE"}, "legalName", "INVALID_ARGUMENT"),
        ({"legalName": "X" * 301, "country": "DE"}, "legalName", "INVALID_ARGUMENT"),
        (
            {"legalName": "Bad Vat GmbH", "country": "DE", "taxId": "DE136695977"},
            "taxId",
            "INVALID_TAX_ID",
        ),
        (
            {"legalName": "French Vat GmbH", "country": "DE", "taxId": "FR40303265045"},
            "taxId",
            "INVALID_TAX_ID",
        ),
        (
            {"legalName": "Bad Uscc Ltd.", "country": "CN", "taxId": "91350100M000100Y44"},
            "taxId",
            "INVALID_TAX_ID",
        ),
        (
            {"legalName": "Negative GmbH", "country": "DE", "creditLimit": "-1"},
            "creditLimit",
            "INVALID_ARGUMENT",
        ),
        (
            {"legalName": "Too Precise GmbH", "country": "DE", "creditLimit": "1.00001"},
            "creditLimit",
            "INVALID_ARGUMENT",
        ),
        (
            {
                "legalName": "Klingon GmbH",
                "country": "DE",
                "tradeNames": [{"language": "xx", "text": "Q'onoS"}],
            },
            "tradeNames",
            "UNKNOWN_LANGUAGE",
        ),
        (
            {"legalName": "Merged GmbH", "country": "DE", "status": "MERGED"},
            "status",
            "INVALID_ARGUMENT",
        ),
        (
            {"legalName": "Long Code GmbH", "country": "DE", "code": "C" * 21},
            "code",
            "INVALID_ARGUMENT",
        ),
        (
            {"legalName": "Blank Code GmbH", "country": "DE", "code": "  "},
            "code",
            "INVALID_ARGUMENT",
        ),
        (
            {"legalName": "Malformed Parent GmbH", "country": "DE", "parent": "not-an-id"},
            "parent",
            "MALFORMED_ID",
        ),
        (
            {
                "legalName": "Material Parent GmbH",
                "country": "DE",
                "parent": to_global_id("Material", 1),
            },
            "parent",
            "MALFORMED_ID",
        ),
        (
            {
                "legalName": "Missing Parent GmbH",
                "country": "DE",
                "parent": to_global_id("Customer", 2_000_000_000),
            },
            "parent",
            "NOT_FOUND",
        ),
    ],
    ids=[
        "unknown-country",
        "alpha-3-country",
        "no-country",
        "blank-name",
        "name-only-a-legal-form",
        "name-too-long",
        "german-vat-check-digit",
        "french-vat-for-germany",
        "chinese-uscc-check-digit",
        "negative-credit-limit",
        "credit-limit-precision",
        "unknown-language",
        "status-merged",
        "code-too-long",
        "blank-code",
        "malformed-parent",
        "parent-of-another-kind",
        "missing-parent",
    ],
)
def test_bad_input_is_a_typed_error_and_creates_nothing(world, graphql, arguments, field, code):
    before = acme_count(world)
    error = refusal(create(graphql, **arguments))
    assert (error["field"], error["code"]) == (field, code)
    assert error["duplicates"] is None
    assert acme_count(world) == before


def test_a_missing_legal_name_is_refused_and_creates_nothing(world, graphql):
    error = refusal(create(graphql, country="DE"))
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["field"] == "legalName"
    assert acme_count(world) == 0


def test_a_missing_legal_name_names_the_argument_like_a_blank_one(world, graphql):
    missing = refusal(create(graphql, country="DE"))
    blank = refusal(create(graphql, legalName=" ", country="DE"))
    assert missing["field"] == blank["field"] == "legalName"


def test_a_code_already_taken_in_the_group_is_refused(world, graphql):
    make(world, "K-TAKEN", "First Holder GmbH")
    make(world, "K-RIVAL", "Rival Holder GmbH", group_id=world.rival_id)
    before = acme_count(world)

    error = refusal(create(graphql, legalName="Second Holder SA", country="FR", code="K-TAKEN"))
    assert (error["field"], error["code"]) == ("code", "ALREADY_EXISTS")
    assert acme_count(world) == before

    # Codes are per group: another group's code is free here.
    customer = written(create(graphql, legalName="Second Holder SA", country="FR", code="K-RIVAL"))
    assert customer["code"] == "K-RIVAL"


def test_a_parent_of_another_group_is_not_found(world, graphql):
    rival = rival_customer(world)
    error = refusal(
        create(graphql, legalName="Child Of Rival GmbH", country="DE", parent=gid(rival))
    )
    assert (error["field"], error["code"]) == ("parent", "NOT_FOUND")
    assert acme_count(world) == 0


def test_a_parent_of_the_group_is_linked(world, graphql):
    parent = make(world, "K-PARENT", "Parent Holding AG")
    customer = written(
        create(graphql, legalName="Child Werke GmbH", country="DE", parent=gid(parent))
    )
    assert customer["parent"] == {"code": "K-PARENT"}
    assert Customer.objects.get(code=customer["code"]).parent_id == parent.pk


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1000000000000000"])
def test_an_impossible_credit_limit_is_a_typed_error(world, graphql, amount):
    error = refusal(create(graphql, legalName="Huge Limit GmbH", country="DE", creditLimit=amount))
    assert (error["field"], error["code"]) == ("creditLimit", "INVALID_ARGUMENT")
    assert acme_count(world) == 0


# -- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "bu", "region"),
    [
        (SALES, "acme.de", "eu"),
        (FINANCE, "acme.de", "eu"),
        (MANAGER, "acme.de", "eu"),
        ("acme.jp.sales", "acme.jp", "ap"),
        ("acme.director", "acme.hq", "cn"),
        ("acme.auditor", "acme.hq", "cn"),
    ],
)
def test_only_stewards_and_the_admin_create(world, graphql, settings, user, bu, region):
    settings.REGION = region
    error = refusal(create(graphql, as_=user, bu=bu, legalName="Not Allowed GmbH", country="DE"))
    assert error["code"] == "PERMISSION_DENIED"
    assert acme_count(world) == 0


def test_sales_see_the_groups_customers_without_credit_limits(world, graphql, settings):
    make(world, "K-1", "Alpha Panels GmbH", credit_limit=Decimal(1000))
    make(world, "K-2", "Omega Glass AG", credit_limit=Decimal(2000))
    settings.REGION = "eu"

    reply = graphql(LIST + FIELDS, {"first": 10}, bu="acme.de", as_=SALES)

    assert listed(reply) == ["K-1", "K-2"]
    assert reply.data["customers"]["totalCount"] == 2
    nodes = [edge["node"] for edge in reply.data["customers"]["edges"]]
    assert [node["creditLimit"] for node in nodes] == [None, None]
    assert [node["legalName"] for node in nodes] == ["Alpha Panels GmbH", "Omega Glass AG"]
    assert reply.codes == ["FIELD_FORBIDDEN", "FIELD_FORBIDDEN"]
    assert [error["path"] for error in reply.errors] == [
        ["customers", "edges", index, "node", "creditLimit"] for index in (0, 1)
    ]
    assert all(node["permissions"]["actions"] == ["VIEW"] for node in nodes)


@pytest.mark.parametrize("user", [FINANCE, MANAGER])
def test_finance_and_managers_see_credit_limits(world, graphql, settings, user):
    make(world, "K-1", "Alpha Panels GmbH", credit_limit=Decimal("1000.5"))
    settings.REGION = "eu"

    reply = graphql(LIST + FIELDS, {"first": 10}, bu="acme.de", as_=user)

    assert reply.errors == [], reply.errors
    (edge,) = reply.data["customers"]["edges"]
    limit = edge["node"]["creditLimit"]
    assert limit["currency"] == "CNY"  # the group currency, not the BU's EUR
    assert Decimal(limit["amount"]) == Decimal("1000.5")


def test_japanese_sales_read_the_same_golden_records(world, graphql, settings):
    make(world, "K-1", "Alpha Panels GmbH", trade_name_ja="アルファ", trade_name_en="Alpha")
    settings.REGION = "ap"
    reply = graphql(LIST + PUBLIC_FIELDS, {"first": 10}, bu="acme.jp", as_="acme.jp.sales")
    assert reply.errors == [], reply.errors
    (edge,) = reply.data["customers"]["edges"]
    assert edge["node"]["code"] == "K-1"
    assert edge["node"]["tradeName"] == "アルファ"  # the BU's language


def test_sales_may_not_update_and_nothing_changes(world, graphql, settings):
    customer = make(world, "K-1", "Alpha Panels GmbH", grade="C")
    settings.REGION = "eu"

    error = refusal(
        update(graphql, customer, as_=SALES, bu="acme.de", grade="A", legalName="Renamed"),
        "customerUpdate",
    )

    assert error["code"] == "PERMISSION_DENIED"
    customer.refresh_from_db()
    assert (customer.grade, customer.legal_name) == ("C", "Alpha Panels GmbH")


# -- update -------------------------------------------------------------------------------------


def test_steward_changes_grade_and_credit_limit(world, graphql):
    customer = make(world, "K-1", "Alpha Panels GmbH", grade="C", credit_limit=Decimal(100))

    changed = written(
        update(graphql, customer, grade="A", creditLimit="750000.25"), "customerUpdate"
    )

    assert changed["grade"] == "A"
    assert Decimal(changed["creditLimit"]["amount"]) == Decimal("750000.25")
    assert changed["creditLimit"]["currency"] == "CNY"
    assert changed["legalName"] == "Alpha Panels GmbH"  # untouched
    customer.refresh_from_db()
    assert customer.grade == "A"
    assert customer.credit_limit == Decimal("750000.25")


def test_an_update_normalizes_a_new_tax_id_and_name(world, graphql):
    customer = make(world, "K-1", "Alpha Panels GmbH")
    changed = written(
        update(graphql, customer, taxId="de 136 695 976", legalName="Robert Bosch GmbH"),
        "customerUpdate",
    )
    assert changed["taxId"] == BOSCH_VAT
    customer.refresh_from_db()
    assert (customer.tax_id, customer.normalized_name) == (BOSCH_VAT, "robert bosch")


def test_an_invalid_tax_id_changes_nothing(world, graphql):
    customer = make(world, "K-1", "Alpha Panels GmbH", tax_id=BOSCH_VAT, grade="C")

    error = refusal(update(graphql, customer, taxId="DE 136 695 977", grade="A"), "customerUpdate")

    assert (error["field"], error["code"]) == ("taxId", "INVALID_TAX_ID")
    customer.refresh_from_db()
    assert (customer.tax_id, customer.grade) == (BOSCH_VAT, "C")


def test_a_country_change_rechecks_the_kept_tax_id(world, graphql):
    customer = make(world, "K-1", "Alpha Panels GmbH", tax_id=BOSCH_VAT)
    error = refusal(update(graphql, customer, country="AT"), "customerUpdate")
    assert (error["field"], error["code"]) == ("taxId", "INVALID_TAX_ID")
    customer.refresh_from_db()
    assert customer.country == "DE"


def test_a_customer_is_not_its_own_parent(world, graphql):
    customer = make(world, "K-1", "Alpha Panels GmbH")
    error = refusal(update(graphql, customer, parent=gid(customer)), "customerUpdate")
    assert (error["field"], error["code"]) == ("parent", "INVALID_ARGUMENT")
    customer.refresh_from_db()
    assert customer.parent_id is None


def test_a_parent_cycle_is_refused(world, graphql):
    a = make(world, "K-A", "Alpha Panels GmbH")
    b = make(world, "K-B", "Omega Glass AG")
    c = make(world, "K-C", "Sigma Optics KK", "JP")

    assert written(update(graphql, a, parent=gid(b)), "customerUpdate")["parent"] == {"code": "K-B"}
    error = refusal(update(graphql, b, parent=gid(a)), "customerUpdate")
    assert (error["field"], error["code"]) == ("parent", "INVALID_ARGUMENT")

    # A longer loop: A -> B -> C, then C -> A.
    written(update(graphql, b, parent=gid(c)), "customerUpdate")
    error = refusal(update(graphql, c, parent=gid(a)), "customerUpdate")
    assert (error["field"], error["code"]) == ("parent", "INVALID_ARGUMENT")

    links = Customer.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("code", "parent__code")
    assert dict(links) == {"K-A": "K-B", "K-B": "K-C", "K-C": None}


def test_a_parent_can_be_removed(world, graphql):
    parent = make(world, "K-P", "Parent Holding AG")
    child = make(world, "K-C", "Child Werke GmbH", parent=parent)
    changed = written(update(graphql, child, parent=None), "customerUpdate")
    assert changed["parent"] is None
    child.refresh_from_db()
    assert child.parent_id is None


def test_a_parent_of_another_group_is_not_found_on_update(world, graphql):
    customer = make(world, "K-1", "Alpha Panels GmbH")
    error = refusal(update(graphql, customer, parent=gid(rival_customer(world))), "customerUpdate")
    assert (error["field"], error["code"]) == ("parent", "NOT_FOUND")


def test_renaming_to_a_lookalike_is_a_suspected_duplicate_unless_confirmed(world, graphql):
    bosch = make(world, "K-BOSCH", "BOSCH")
    other = make(world, "K-OTHER", "Alpha Panels GmbH")

    error = refusal(update(graphql, other, legalName="Bosch GmbH"), "customerUpdate")
    assert (error["field"], error["code"]) == ("legalName", "DUPLICATE_SUSPECTED")
    assert [(d["customer"]["code"], d["reason"]) for d in error["duplicates"]] == [
        (bosch.code, "NAME")
    ]
    other.refresh_from_db()
    assert other.legal_name == "Alpha Panels GmbH"

    changed = written(
        update(graphql, other, legalName="Bosch GmbH", confirmDuplicate=True), "customerUpdate"
    )
    assert changed["legalName"] == "Bosch GmbH"
    other.refresh_from_db()
    assert other.normalized_name == "bosch"


def test_a_record_is_not_its_own_duplicate_and_other_fields_skip_the_check(world, graphql):
    bosch = make(world, "K-BOSCH", "Bosch GmbH", tax_id=BOSCH_VAT)

    # A new spelling of its own name and the same tax id: only itself looks like it.
    written(update(graphql, bosch, legalName="BOSCH GmbH", taxId=BOSCH_VAT), "customerUpdate")
    # A known duplicate pair stays editable as long as no identity field changes.
    twin = make(world, "K-TWIN", "Bosch AG")
    assert written(update(graphql, twin, grade="A"), "customerUpdate")["grade"] == "A"


def test_changing_the_code_to_a_taken_one_is_refused(world, graphql):
    make(world, "K-1", "Alpha Panels GmbH")
    other = make(world, "K-2", "Omega Glass AG")
    error = refusal(update(graphql, other, code="K-1"), "customerUpdate")
    assert (error["field"], error["code"]) == ("code", "ALREADY_EXISTS")
    other.refresh_from_db()
    assert other.code == "K-2"


def test_a_malformed_or_foreign_id_is_refused(world, graphql):
    reply = graphql(UPDATE + FIELDS, {"id": "nonsense", "grade": "A"}, as_=STEWARD)
    error = refusal(reply, "customerUpdate")
    assert (error["field"], error["code"]) == ("id", "MALFORMED_ID")

    rival = rival_customer(world)
    error = refusal(update(graphql, rival, grade="A"), "customerUpdate")
    assert (error["field"], error["code"]) == ("id", "NOT_FOUND")
    rival.refresh_from_db()
    assert rival.grade == "C"


# -- merged records -----------------------------------------------------------------------------


def merged_pair(world: Any) -> tuple[Customer, Customer]:
    survivor = make(world, "K-SURVIVOR", "Alpha Panels GmbH")
    merged = make(
        world, "K-MERGED", "Alpha Panel GmbH", status="MERGED", merged_into=survivor, grade="B"
    )
    return survivor, merged


def test_a_merged_record_is_read_only_for_the_steward(world, graphql):
    _survivor, merged = merged_pair(world)

    for changes in ({"grade": "A"}, {"status": "ACTIVE"}, {"legalName": "Revived GmbH"}):
        error = refusal(update(graphql, merged, **changes), "customerUpdate")
        assert error["code"] == "PERMISSION_DENIED"

    merged.refresh_from_db()
    assert (merged.status, merged.grade, merged.legal_name) == ("MERGED", "B", "Alpha Panel GmbH")


def test_a_merged_record_still_resolves_and_points_to_its_survivor(world, graphql):
    survivor, merged = merged_pair(world)

    reply = graphql(ONE + FIELDS, {"code": "K-MERGED"}, as_=STEWARD)

    assert reply.errors == [], reply.errors
    found = reply.data["customer"]
    assert found["status"] == "MERGED"
    assert found["mergedInto"] == {"code": survivor.code}
    assert found["id"] == gid(merged)
    assert "EDIT" not in found["permissions"]["actions"]
    assert "VIEW" in found["permissions"]["actions"]

    by_id = graphql(ONE + FIELDS, {"id": gid(merged)}, as_=STEWARD)
    assert by_id.data["customer"]["mergedInto"] == {"code": survivor.code}


def test_the_admin_cannot_unmerge_a_record_through_update(world, graphql):
    _survivor, merged = merged_pair(world)

    error = refusal(update(graphql, merged, as_=ADMIN, status="ACTIVE"), "customerUpdate")

    assert error["code"] in ("INVALID_ARGUMENT", "PERMISSION_DENIED")
    merged.refresh_from_db()
    assert merged.status == "MERGED"


# -- search and filters -------------------------------------------------------------------------


@pytest.fixture
def catalogue(world: Any) -> dict[str, Customer]:
    return {
        "bosch": make(
            world,
            "K1001",
            "Robert Bosch GmbH",
            "DE",
            tax_id=BOSCH_VAT,
            grade="A",
            trade_name_en="Bosch",
            trade_name_ja="ボッシュ",
        ),
        "continental": make(world, "K1002", "Continental AG", "DE", grade="B"),
        "siemens": make(world, "K1003", "Siemens AG", "DE", grade="A", status="BLOCKED"),
        "csot": make(world, "K1004", "深圳华星光电技术有限公司", "CN", tax_id="91350100M000100Y43"),
        "toyota": make(
            world, "K1005", "Toyota Motor Corporation", "JP", status="INACTIVE", grade="B"
        ),
    }


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("K1002", ["K1002"]),
        ("k1002", ["K1002"]),  # codes match without case
        ("DE136695976", ["K1001"]),
        ("DE 136695976", ["K1001"]),  # as typed, with spaces
        ("de 136 695 976", ["K1001"]),
        ("91350100M000100Y43", ["K1004"]),
        ("Bosch", ["K1001"]),  # part of the legal name
        ("bert bos", ["K1001"]),
        ("华星光电", ["K1004"]),
        ("ボッシュ", ["K1001"]),  # the Japanese trade name
        ("Contnental", ["K1002"]),  # misspelled: trigram similarity
        ("Seimens", ["K1003"]),
        ("Zeppelin", []),
    ],
)
def test_search_finds_by_code_tax_id_name_trade_name_and_misspelling(
    world, graphql, catalogue, text, codes
):
    assert search(graphql, text, as_=STEWARD) == codes


def test_search_counts_only_the_matches(world, graphql, catalogue):
    reply = graphql(LIST + PUBLIC_FIELDS, {"first": 1, "filter": {"search": "AG"}}, as_=STEWARD)
    assert reply.errors == [], reply.errors
    assert reply.data["customers"]["totalCount"] == 2  # Continental AG, Siemens AG
    assert listed(reply) == ["K1002"]


@pytest.mark.parametrize(
    ("filter", "codes"),
    [
        ({}, ["K1001", "K1002", "K1003", "K1004", "K1005"]),
        ({"country": "de"}, ["K1001", "K1002", "K1003"]),
        ({"country": "JP"}, ["K1005"]),
        ({"grade": ["A"]}, ["K1001", "K1003"]),
        ({"grade": ["B", "C"]}, ["K1002", "K1004", "K1005"]),
        ({"status": ["BLOCKED", "INACTIVE"]}, ["K1003", "K1005"]),
        ({"status": ["ACTIVE"], "country": "DE"}, ["K1001", "K1002"]),
        ({"classification": ["NORMAL"], "grade": ["B"], "country": "DE"}, ["K1002"]),
        ({"search": "AG", "grade": ["A"]}, ["K1003"]),
    ],
)
def test_filters_and_total_count(world, graphql, catalogue, filter, codes):
    reply = graphql(LIST + PUBLIC_FIELDS, {"first": 10, "filter": filter}, as_=STEWARD)
    assert reply.errors == [], reply.errors
    assert listed(reply) == codes
    assert reply.data["customers"]["totalCount"] == len(codes)


def test_an_unknown_country_filter_is_a_typed_error(world, graphql, catalogue):
    reply = graphql(LIST + PUBLIC_FIELDS, {"first": 10, "filter": {"country": "XX"}}, as_=STEWARD)
    assert reply.data["customers"] is None
    assert reply.codes == ["INVALID_ARGUMENT"]
    assert reply.errors[0]["extensions"]["field"] == "country"


def test_sales_search_the_groups_customers_too(world, graphql, settings, catalogue):
    settings.REGION = "eu"
    assert search(graphql, "ボッシュ", bu="acme.de", as_=SALES) == ["K1001"]
    assert search(graphql, "DE 136695976", bu="acme.de", as_=SALES) == ["K1001"]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Robert Bosch GmbH", ["K1001"]),  # three words or more: read by pairs of words
        ("bosch gmbh bosch", ["K1001"]),  # across the legal and a trade name
        ("Toyota Motor Corp", ["K1005"]),  # the last word in part
        ("深圳华星光电技术", ["K1004"]),  # the Chinese name without its legal form
        ("Bosch Robert", ["K1001"]),  # every word of the name, in another order
        ("Contiental AG", ["K1002"]),  # a letter missing; the legal form left aside
        ("Siemens Toyota", []),  # words of two companies
        ("Robert Bosch Stuttgart", []),  # a word the name does not have
        ("Bosch K1001", ["K1001"]),  # a code among the words: part of the text
        ("k1001 de136695976 robert", ["K1001"]),  # across code and tax id: by trigrams
    ],
)
def test_search_finds_parts_of_several_words_and_names_by_their_words(
    world, graphql, catalogue, text, codes
):
    assert search(graphql, text, as_=STEWARD) == codes


def test_search_finds_a_chinese_name_with_one_character_wrong(world, graphql, catalogue):
    assert search(graphql, "深圳华星光电技朮", as_=STEWARD) == ["K1004"]


def test_very_long_words_are_searched_too(world, graphql):
    # Four bytes a character: the pair of these two words would be too long an index key.
    make(world, "K5001", "𠀀" * 300, trade_name_en="𠀁" * 300)

    assert search(graphql, "𠀀𠀀𠀀", as_=STEWARD) == ["K5001"]
    assert search(graphql, "𠀀" * 99 + "𠀂", as_=STEWARD) == []  # too long for a typo


def test_a_word_some_customer_has_is_not_read_as_a_misspelling(world, graphql):
    make(world, "K4001", "Siemens AG")
    make(world, "K4002", "Seimens Handel")

    assert search(graphql, "Seimens", as_=STEWARD) == ["K4002"]
    assert search(graphql, "Siemans", as_=STEWARD) == ["K4001"]  # no customer has "siemans"


def test_a_record_found_in_several_ways_counts_once(world, graphql, catalogue):
    # "Bosch" is part of K1001's names and one of its words.
    reply = graphql(LIST + PUBLIC_FIELDS, {"first": 5, "filter": {"search": "Bosch"}}, as_=STEWARD)
    assert listed(reply) == ["K1001"]
    assert reply.data["customers"]["totalCount"] == 1


PAGED = [
    ("muster maschinenbau", 2000, 1000),
    ("muster maschinenbau", 2000, 3),
    ("maschinenbau", 2000, 1000),  # all records tested row by row
    ("maschinenbau", 4, 1000),  # four records, then the indexes
    ("maschinenbau", 4, 3),
]
SEARCH_PAGE = """
query($first: Int, $after: String, $filter: CustomerFilter) {
  customers(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { code } }
  }
}
"""


@pytest.mark.parametrize(("text", "walk", "cap"), PAGED)
def test_search_results_are_paged_by_code(world, graphql, monkeypatch, text, walk, cap):
    # With a small cap, each way of matching has "many" matches: read again up to a code. A
    # search for one word tests the next `walk` records row by row first, then the indexes.
    monkeypatch.setattr(customer_queries, "SEARCH_WALK", walk)
    monkeypatch.setattr(customer_queries, "SEARCH_CAP", cap)
    for n in (7, 3, 11, 0, 9, 5, 1, 10, 2, 8, 4, 6):
        make(world, f"K2{n:03d}", f"Muster Maschinenbau {n}")
    make(world, "K1500", "Maschinenbau Muster Nord")  # the words, not the text
    make(world, "K3000", "Muster Handel")
    make(world, "K3001", "Anlagenbau AG")
    expected = [f"K2{n:03d}" for n in range(12)]
    expected.insert(0, "K1500")

    pages, after = [], None
    while True:
        variables = {"first": 5, "after": after, "filter": {"search": text}}
        reply = graphql(SEARCH_PAGE, variables, as_=STEWARD)
        assert reply.errors == [], reply.errors
        result = reply.data["customers"]
        assert result["totalCount"] == len(expected)
        pages.append([edge["node"]["code"] for edge in result["edges"]])
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]

    assert pages == [expected[0:5], expected[5:10], expected[10:]]


# -- duplicate report ---------------------------------------------------------------------------


def report(graphql: Any, **ask: Any) -> list[tuple[str, str, Decimal, str]]:
    reply = graphql(DUPLICATES, **ask)
    assert reply.errors == [], reply.errors
    return [
        (pair["first"]["code"], pair["second"]["code"], Decimal(pair["score"]), pair["reason"])
        for pair in reply.data["customerDuplicates"]
    ]


@pytest.fixture
def lookalikes(world: Any) -> dict[str, Customer]:
    melco = make(world, "K-MELCO", "Mitsubishi Electric Corporation")
    return {
        "melco": melco,
        "melco2": make(world, "K-MELCO2", "Mitsubishi Electrik"),
        "distinct": make(world, "K-SIEMENS", "Siemens AG"),
        "abroad": make(world, "K-MELCO-JP", "Mitsubishi Electric Corporation", "JP"),
        "merged": make(
            world, "K-MELCO-OLD", "Mitsubishi Electric GmbH", status="MERGED", merged_into=melco
        ),
    }


def test_the_report_pairs_lookalike_names_in_one_country_only(world, graphql, lookalikes):
    expected = similarity("mitsubishi electric", "mitsubishi electrik")
    assert Decimal("0.6") <= expected < 1

    assert report(graphql, as_=STEWARD) == [("K-MELCO", "K-MELCO2", expected, "NAME")]


def test_the_report_pairs_equal_tax_ids_first(world, graphql, lookalikes):
    make(world, "K-TAX-1", "Alpha Panels GmbH", tax_id=BOSCH_VAT)
    make(world, "K-TAX-2", "Omega Glass AG", tax_id=BOSCH_VAT)
    make(
        world,
        "K-TAX-OLD",
        "Sigma Optik GmbH",
        tax_id=BOSCH_VAT,
        status="MERGED",
        merged_into=lookalikes["melco"],
    )

    pairs = report(graphql, as_=ADMIN)

    assert pairs == [
        ("K-TAX-1", "K-TAX-2", Decimal(1), "TAX_ID"),
        ("K-MELCO", "K-MELCO2", similarity("mitsubishi electric", "mitsubishi electrik"), "NAME"),
    ]


def test_the_report_is_empty_without_lookalikes(world, graphql):
    make(world, "K-1", "Alpha Panels GmbH")
    make(world, "K-2", "Omega Glass AG")
    assert report(graphql, as_=STEWARD) == []


def test_sales_may_read_the_report(world, graphql, settings, lookalikes):
    # legal_name, tax_id and country are readable for every BU role of the default policy.
    settings.REGION = "eu"
    pairs = report(graphql, bu="acme.de", as_=SALES)
    assert [(a, b, reason) for a, b, _score, reason in pairs] == [("K-MELCO", "K-MELCO2", "NAME")]


# -- isolation ----------------------------------------------------------------------------------


def test_another_group_sees_none_of_acmes_customers(world, graphql, catalogue):
    rival = make(world, "R-1", "Robert Bosch GmbH", group_id=world.rival_id, tax_id=BOSCH_VAT)

    reply = graphql(LIST + PUBLIC_FIELDS, {"first": 50}, bu="rival.main", as_="rival.admin")
    assert listed(reply) == [rival.code]
    assert reply.data["customers"]["totalCount"] == 1

    for text in ("K1002", "Continental", "Contnental", "ボッシュ", "91350100M000100Y43"):
        assert search(graphql, text, bu="rival.main", as_="rival.admin") == []
    assert search(graphql, "Bosch", bu="rival.main", as_="rival.admin") == ["R-1"]

    for variables in ({"code": "K1001"}, {"id": gid(catalogue["bosch"])}):
        reply = graphql(ONE + PUBLIC_FIELDS, variables, bu="rival.main", as_="rival.admin")
        assert reply.data["customer"] is None
        assert reply.codes == ["NOT_FOUND"]

    # and acme does not see rival's
    reply = graphql(ONE + PUBLIC_FIELDS, {"code": "R-1"}, as_=ADMIN)
    assert reply.codes == ["NOT_FOUND"]


def test_the_report_never_pairs_across_groups(world, graphql, lookalikes):
    make(world, "R-MELCO", "Mitsubishi Electric Corp.", group_id=world.rival_id)
    make(world, "R-SIEMENS", "Siemens AG", group_id=world.rival_id)
    make(world, "R-TAX", "Other Name GmbH", group_id=world.rival_id, tax_id="")

    acme_pairs = report(graphql, as_=ADMIN)
    assert [(a, b) for a, b, _s, _r in acme_pairs] == [("K-MELCO", "K-MELCO2")]

    rival_pairs = report(graphql, bu="rival.main", as_="rival.admin")
    assert rival_pairs == []


# -- SQL ----------------------------------------------------------------------------------------

PAGE = """query($n: Int!) { customers(first: $n) { totalCount edges { node {
  code legalName tradeName grade status creditLimit { amount currency }
  parent { code legalName } mergedInto { code } permissions { actions } } } } }"""


def statements(graphql: Any, n: int, **ask: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        reply = graphql(PAGE, {"n": n}, **ask)
    assert reply.data["customers"] is not None, reply.errors
    assert len(reply.data["customers"]["edges"]) == n
    assert all(edge["node"]["parent"] for edge in reply.data["customers"]["edges"])
    return len(queries)


@pytest.mark.parametrize(
    ("user", "bu", "region"),
    [(STEWARD, "acme.hq", "cn"), (SALES, "acme.de", "eu")],
    ids=["steward", "sales-hidden-credit-limit"],
)
def test_a_page_of_one_or_twenty_costs_the_same_statements(
    world, graphql, settings, user, bu, region
):
    for number in range(1, 21):
        parent = make(world, f"Z-{number:02d}", f"Parent Company {number} Holding")
        make(
            world,
            f"A-{number:02d}",
            f"Child Company {number} Werke",
            parent=parent,
            credit_limit=Decimal(number),
        )
    settings.REGION = region
    graphql(PAGE, {"n": 1}, bu=bu, as_=user)  # the token's first use writes

    assert statements(graphql, 1, bu=bu, as_=user) == statements(graphql, 20, bu=bu, as_=user)
