"""Exports write the import's columns, only what the caller may export, and import back
unchanged."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crm.masterdata.models import Material, PriceBreak, PriceList, PriceListItem, PriceScope
from crm.masterdata.transfer import jobs
from crm.platform.core.errors import CrmError
from crm.tests.transfer.helpers import (
    access_of,
    csv_bytes,
    run_export,
    run_import,
    xlsx_rows,
)

CUSTOMERS = csv_bytes(
    "code,legal_name,trade_name_ja,country,tax_id,credit_limit,parent",
    "EXP-1,Export Eins GmbH,エクスポート,DE,DE136695976,5000.25,",
    "EXP-2,Export Zwei GmbH,,DE,,,EXP-1",
    "EXP-3,出口三有限公司,,CN,,,",
)


@pytest.mark.parametrize("fmt", ["CSV", "XLSX"])
def test_an_export_imports_back_unchanged(world, fmt):
    run_import(CUSTOMERS, kind="CUSTOMERS")
    exported = run_export("CUSTOMERS", fmt=fmt)
    again = run_import(exported, kind="CUSTOMERS", name=f"back.{fmt.lower()}")
    assert again.failed == 0, list(again.row_errors.values_list("row", "code", "params"))
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == again.processed_rows >= 3


def test_the_customer_export_has_the_import_columns_and_values(world):
    run_import(CUSTOMERS, kind="CUSTOMERS")
    text = run_export("CUSTOMERS", country="DE").decode("utf-8-sig").splitlines()
    header = text[0].split(",")
    assert header[:3] == ["code", "legal_name", "country"]
    assert header[-1] == "merged_into"
    rows = {
        line.split(",")[0]: dict(zip(header, line.split(","), strict=True)) for line in text[1:]
    }
    assert "EXP-3" not in rows  # filtered by country
    assert rows["EXP-1"]["credit_limit"] == "5000.2500"
    assert rows["EXP-1"]["trade_name_ja"] == "エクスポート"
    assert rows["EXP-2"]["parent"] == "EXP-1"


def test_hidden_fields_are_empty_and_out_of_view_records_absent(world):
    """A BU manager exports the live materials only, without standard cost."""
    Material.objects.filter(group_id=world.acme_id, code="M-001").update(standard_cost=7)
    Material.objects.create(
        group_id=world.acme_id, code="M-DRAFT", unit="PCS", name="Draft", status="DRAFT"
    )
    access = access_of("acme.de.manager", "de")
    job = jobs.run(jobs.start_export(access=access, kind="MATERIALS", file_format="XLSX"), access)
    rows = xlsx_rows(jobs.result_file(job))
    header = rows[0]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert "M-DRAFT" not in by_code
    assert by_code["M-001"]["standard_cost"] == ""
    assert by_code["M-001"]["name_ja"] == "パネル 1"
    steward = xlsx_rows(run_export("MATERIALS", fmt="XLSX"))
    cost = steward[0].index("standard_cost")
    assert {row[0]: row[cost] for row in steward[1:]}["M-001"] == "7.0000"


def test_price_export_lists_prices_and_breaks_and_reimports(world):
    draft = PriceList.objects.create(
        group_id=world.acme_id,
        code="EXP-LIST",
        name="Export",
        currency="USD",
        scope=PriceScope.GROUP,
        valid_from=datetime.date(2026, 1, 1),
    )
    item = PriceListItem.objects.create(
        price_list=draft, material=Material.objects.get(code="M-001"), amount=Decimal("3.5")
    )
    PriceBreak.objects.create(item=item, min_quantity=10, amount=Decimal("3.25"))
    exported = run_export("PRICE_LISTS", priceLists=["EXP-LIST"])
    assert exported.decode("utf-8-sig").splitlines() == [
        "price_list,material,min_quantity,amount",
        "EXP-LIST,M-001,,3.5000",
        "EXP-LIST,M-001,10.0000,3.2500",
    ]
    again = run_import(exported, kind="PRICE_LISTS")
    assert (again.unchanged, again.failed) == (2, 0)


def test_a_role_without_export_is_refused(world):
    with pytest.raises(CrmError) as refused:
        jobs.start_export(
            access=access_of("acme.de.sales", "de"), kind="CUSTOMERS", file_format="CSV"
        )
    assert refused.value.code == "PERMISSION_DENIED"


def test_another_groups_records_are_never_exported(world):
    exported = run_export("MATERIALS").decode("utf-8-sig")
    assert "RIVAL-SECRET" not in exported
    assert "M-001" in exported
