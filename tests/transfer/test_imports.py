"""Importing customers, materials and prices from CSV and XLSX: rows checked one by one,
refused rows reported with their reason and changing nothing, the same file twice a no-op."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pghistory.models import Events

from crm.masterdata.customers.models import Customer
from crm.masterdata.models import Material, PriceBreak, PriceList, PriceListItem, PriceScope
from crm.masterdata.transfer import jobs
from crm.masterdata.transfer.models import RowError
from crm.platform.core.errors import CrmError
from crm.tests.transfer.helpers import (
    access_of,
    csv_bytes,
    errors_of,
    run_export,
    run_import,
    xlsx_bytes,
    xlsx_rows,
)

HEADER = "code,legal_name,trade_name_de,country,tax_id,grade,credit_limit,parent"
CUSTOMERS = csv_bytes(
    HEADER,
    "IMP-1,Rheinmetall Optik GmbH,Rhein Optik,DE,DE 136 695 976,A,250000,",
    "IMP-2,Rhein Optik Service GmbH,,DE,,B,,IMP-1",
    "IMP-3,東京パネル株式会社,,JP,,C,1000.5,",
)


def customer_events(codes: list[str]) -> int:
    ids = list(Customer.objects.filter(code__in=codes).values_list("pk", flat=True))
    return Events.objects.filter(pgh_obj_model="customers.Customer", pgh_obj_id__in=ids).count()


def test_customers_import_creates_records_with_history_naming_the_job(world):
    job = run_import(CUSTOMERS, kind="CUSTOMERS", name="customers.csv")
    assert job.status == "SUCCEEDED"
    assert (job.total_rows, job.processed_rows, job.created, job.failed) == (3, 3, 3, 0)
    first = Customer.objects.get(group_id=world.acme_id, code="IMP-1")
    assert first.tax_id == "DE136695976"  # normalized as the API normalizes it
    assert first.trade_name_de == "Rhein Optik"
    assert first.credit_limit == Decimal("250000")
    assert first.normalized_name == "rheinmetall optik"
    child = Customer.objects.get(group_id=world.acme_id, code="IMP-2")
    assert child.parent_id == first.pk
    assert Customer.objects.get(code="IMP-3").search_text == "imp 3 東京パネル株式会社"
    event = Events.objects.filter(pgh_obj_model="customers.Customer", pgh_obj_id=first.pk).get()
    assert event.pgh_context["reason"] == f"import #{job.pk} customers.csv"
    assert event.pgh_context["operation"] == "masterDataImport"
    assert event.pgh_context["actor"] == "acme.steward"


def test_the_same_file_twice_changes_nothing(world):
    run_import(CUSTOMERS, kind="CUSTOMERS")
    events = customer_events(["IMP-1", "IMP-2", "IMP-3"])
    stamps = dict(
        Customer.objects.filter(code__startswith="IMP-").values_list("code", "updated_at")
    )
    again = run_import(CUSTOMERS, kind="CUSTOMERS")
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 3, 0)
    assert customer_events(["IMP-1", "IMP-2", "IMP-3"]) == events
    assert (
        dict(Customer.objects.filter(code__startswith="IMP-").values_list("code", "updated_at"))
        == stamps
    )


def test_a_changed_cell_updates_only_that_record(world):
    run_import(CUSTOMERS, kind="CUSTOMERS")
    changed = CUSTOMERS.replace(b"IMP-3,\xe6\x9d\xb1", b"IMP-3,\xe6\x9d\xb1").replace(
        b",C,1000.5,", b",B,1000.5,"
    )
    job = run_import(changed, kind="CUSTOMERS")
    assert (job.created, job.updated, job.unchanged) == (0, 1, 2)
    assert Customer.objects.get(code="IMP-3").grade == "B"
    labels = Events.objects.filter(
        pgh_obj_model="customers.Customer", pgh_obj_id=Customer.objects.get(code="IMP-3").pk
    ).values_list("pgh_label", flat=True)
    assert sorted(labels) == ["insert", "update"]


BAD_ROWS = csv_bytes(
    HEADER,
    "BAD-1,Valid Company GmbH,,DE,,A,,",  # fine
    "BAD-2,Broken Tax GmbH,,DE,DE123,A,,",  # invalid VAT number
    "BAD-3,Nowhere Ltd,,XX,,A,,",  # unknown country
    "BAD-4,,,DE,,A,,",  # no legal name for a new record
    "BAD-5,Cheap Credit AG,,DE,,A,lots,",  # not a number
    "BAD-6,Orphan AG,,DE,,A,,NO-SUCH-PARENT",  # unknown parent
    "BAD-1,Valid Company Again GmbH,,DE,,A,,",  # the same code twice in a file
    "BAD-7,Bad Grade AG,,DE,,Z,,",  # not a grade
    "BAD-8,Rheinmetall Optik,,DE,,C,,",  # same normalized name as IMP-1
    "BAD-9,Different Name GmbH,,DE,DE136695976,C,,",  # IMP-1's tax id
)


def test_each_bad_row_is_refused_with_its_column_and_code_and_changes_nothing(world):
    run_import(CUSTOMERS, kind="CUSTOMERS")
    job = run_import(BAD_ROWS, kind="CUSTOMERS")
    assert job.status == "SUCCEEDED"
    assert (job.processed_rows, job.created, job.failed) == (10, 1, 9)
    assert errors_of(job) == {
        3: ("tax_id", "INVALID_TAX_ID"),
        4: ("country", "INVALID_ARGUMENT"),
        5: ("legal_name", "INVALID_ARGUMENT"),
        6: ("credit_limit", "INVALID_ARGUMENT"),
        7: ("parent", "NOT_FOUND"),
        8: ("code", "INVALID_ARGUMENT"),
        9: ("grade", "INVALID_ARGUMENT"),
        10: ("legal_name", "DUPLICATE_SUSPECTED"),
        11: ("legal_name", "DUPLICATE_SUSPECTED"),
    }
    assert set(Customer.objects.filter(code__startswith="BAD-").values_list("code", flat=True)) == {
        "BAD-1"
    }
    assert Customer.objects.get(code="BAD-1").legal_name == "Valid Company GmbH"
    duplicate = RowError.objects.get(job=job, row=11)
    assert duplicate.params["candidate"] == "IMP-1"


def test_the_error_report_gives_the_reason_and_the_row_as_it_was(world):
    job = run_import(BAD_ROWS, kind="CUSTOMERS")
    report = jobs.error_report(job, "CSV").decode("utf-8-sig").splitlines()
    assert report[0] == ("error_line,error_column,error_code,error_message," + HEADER)
    assert report[1].startswith("3,tax_id,INVALID_TAX_ID,")
    assert report[1].endswith(",BAD-2,Broken Tax GmbH,,DE,DE123,A,,")
    workbook = xlsx_rows(jobs.error_report(job, "XLSX"))
    assert workbook[0][:4] == ["error_line", "error_column", "error_code", "error_message"]
    assert workbook[2][:3] == [4, "country", "INVALID_ARGUMENT"]
    assert "XX" in workbook[2][3]  # the message names the bad value


def test_the_report_message_is_in_the_callers_language(world):
    from django.utils import translation

    job = run_import(BAD_ROWS, kind="CUSTOMERS")
    with translation.override("de"):
        german = jobs.error_report(job, "CSV").decode("utf-8-sig")
    with translation.override("en"):
        english = jobs.error_report(job, "CSV").decode("utf-8-sig")
    assert german != english
    assert "not a valid tax or registration id" in english


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (csv_bytes("code,legal_name,colour", "X,Y,red"), "unknown column 'colour'"),
        (csv_bytes("legal_name,country", "Y,DE"), "the column 'code' is missing"),
        (csv_bytes("code,code", "X,Y"), "column 'code' appears twice"),
        (b"", "the file is empty"),
        (b"code,legal_name\n\xff\xfe,broken\n", "not UTF-8"),
        (b"PK\x03\x04 not really a workbook", "not an XLSX workbook"),
    ],
)
def test_a_file_refused_as_a_whole_starts_no_job(world, content, reason):
    from crm.masterdata.transfer.models import TransferJob

    before = TransferJob.objects.count()
    with pytest.raises(CrmError) as refused:
        jobs.start_import(
            access=access_of("acme.steward"), kind="CUSTOMERS", file_name="x", content=content
        )
    assert refused.value.code == "INVALID_FILE"
    assert reason in refused.value.params["reason"]
    assert TransferJob.objects.count() == before


def test_semicolon_separated_csv_with_a_byte_order_mark_is_read(world):
    content = "\ufeffcode;legal_name;country\nSEMI-1;Semikolon GmbH;DE\n".encode()
    job = run_import(content, kind="CUSTOMERS")
    assert (job.created, job.failed) == (1, 0)
    assert Customer.objects.get(code="SEMI-1").legal_name == "Semikolon GmbH"


def test_an_unknown_kind_is_refused(world):
    with pytest.raises(CrmError) as refused:
        jobs.start_import(
            access=access_of("acme.steward"),
            kind="LEADS",
            file_name="x.csv",
            content=csv_bytes("code", "x"),
        )
    assert (refused.value.code, refused.value.field) == ("INVALID_ARGUMENT", "kind")


def test_only_stewards_import_golden_records(world):
    """A BU salesperson may not start a job; a BU manager may start one but not write
    customers (the policy, not the importer, decides)."""
    for username, bu in (("acme.de.sales", "de"), ("acme.de.manager", "de")):
        with pytest.raises(CrmError) as refused:
            jobs.start_import(
                access=access_of(username, bu),
                kind="CUSTOMERS",
                file_name="x.csv",
                content=CUSTOMERS,
            )
        assert refused.value.code == "PERMISSION_DENIED"
    assert not Customer.objects.filter(code__startswith="IMP-").exists()


def test_another_groups_codes_are_never_touched(world):
    from crm.masterdata.customers.models import Customer as Model

    rival = Model.objects.create(
        group_id=world.rival_id, code="SHARED-1", legal_name="Rival Own AG", country="DE"
    )
    job = run_import(
        csv_bytes("code,legal_name,country", "SHARED-1,Acme Own AG,DE"), kind="CUSTOMERS"
    )
    assert job.created == 1
    rival.refresh_from_db()
    assert rival.legal_name == "Rival Own AG"
    assert Model.objects.get(group_id=world.acme_id, code="SHARED-1").legal_name == "Acme Own AG"


# -- materials ---------------------------------------------------------------------------------

MATERIALS = [
    ["code", "unit", "name_en", "name_de", "name_ja", "category", "standard_cost", "status"],
    ["X-1", "PCS", "Bezel", "Rahmen", "ベゼル", "", 12.5, "ACTIVE"],
    ["X-2", "KG", "Glue", "", "", "", None, ""],
    ["X-3", "BOX", "Crate", "", "", "", None, ""],  # not a unit
    ["X-4", "PCS", "", "", "", "", None, ""],  # no name
    ["M-001", "PCS", "Panel 1 (renamed)", "Bildschirm 1", "パネル 1", "", None, "ACTIVE"],
]


def test_materials_import_from_xlsx(world):
    job = run_import(xlsx_bytes(MATERIALS), kind="MATERIALS", name="materials.xlsx")
    assert job.format == "XLSX"
    assert (job.created, job.updated, job.failed) == (2, 1, 2)
    assert errors_of(job) == {4: ("unit", "INVALID_ARGUMENT"), 5: ("name_en", "INVALID_ARGUMENT")}
    bezel = Material.objects.get(group_id=world.acme_id, code="X-1")
    assert (bezel.name_de, bezel.name_ja, bezel.standard_cost) == (
        "Rahmen",
        "ベゼル",
        Decimal("12.5"),
    )
    assert bezel.status == "DRAFT"  # status is read past: new materials start as drafts
    assert Material.objects.get(group_id=world.acme_id, code="M-001").name_en == "Panel 1 (renamed)"
    again = run_import(xlsx_bytes(MATERIALS), kind="MATERIALS", name="materials.xlsx")
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 3, 2)


# -- prices ------------------------------------------------------------------------------------


@pytest.fixture
def draft_list(world):
    import datetime

    return PriceList.objects.create(
        group_id=world.acme_id,
        code="IMP-DRAFT",
        name="Import draft",
        currency="EUR",
        scope=PriceScope.GROUP,
        valid_from=datetime.date(2026, 1, 1),
    )


def test_prices_and_breaks_import_onto_a_draft_list(world, draft_list):
    content = csv_bytes(
        "price_list,material,min_quantity,amount",
        "IMP-DRAFT,M-001,,10.50",
        "IMP-DRAFT,M-001,100,9.75",
        "IMP-DRAFT,M-002,1,11",
        "IMP-DRAFT,M-003,50,8",  # a break without the material's price
        "IMP-DRAFT,NO-SUCH,,1",
        "NO-LIST,M-001,,1",
        "IMP-DRAFT,M-004,,-3",
        "IMP-DRAFT,M-005,0.5,3",
        "G,M-001,,1",  # an active list: the steward may only move its end date
    )
    job = run_import(content, kind="PRICE_LISTS")
    assert (job.created, job.failed) == (3, 6)
    assert errors_of(job) == {
        5: ("min_quantity", "INVALID_ARGUMENT"),
        6: ("material", "NOT_FOUND"),
        7: ("price_list", "NOT_FOUND"),
        8: ("amount", "INVALID_ARGUMENT"),
        9: ("min_quantity", "INVALID_ARGUMENT"),
        10: ("price_list", "PERMISSION_DENIED"),
    }
    item = PriceListItem.objects.get(price_list=draft_list, material__code="M-001")
    assert item.amount == Decimal("10.50")
    assert [(b.min_quantity, b.amount) for b in PriceBreak.objects.filter(item=item)] == [
        (Decimal(100), Decimal("9.75"))
    ]
    assert not PriceListItem.objects.filter(price_list=draft_list, material__code="M-004")
    again = run_import(content, kind="PRICE_LISTS")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_an_overlapping_live_price_is_refused_by_the_database(world):
    import datetime

    live = PriceList.objects.create(
        group_id=world.acme_id,
        code="IMP-LIVE",
        name="Overlapping",
        currency="CNY",  # the same scope and currency as the active group list G
        scope=PriceScope.GROUP,
        valid_from=datetime.date(2026, 6, 1),
        status="ACTIVE",
    )
    access = access_of("acme.admin")  # the admin may edit items of a live list
    job = jobs.start_import(
        access=access,
        kind="PRICE_LISTS",
        file_name="p.csv",
        content=csv_bytes("price_list,material,amount", "IMP-LIVE,M-001,5", "IMP-LIVE,M-NOPRICE,7"),
    )
    job = jobs.run(job, access)
    assert errors_of(job) == {2: ("material", "PRICE_WINDOW_OVERLAP")}
    assert job.created == 1  # M-NOPRICE has no group price to overlap
    assert list(live.items.values_list("material__code", flat=True)) == ["M-NOPRICE"]


def test_materials_carry_each_business_units_own_codes(world):
    from crm.masterdata.models import MaterialLocalCode

    content = csv_bytes(
        "code,unit,name_en,local_codes",
        "LC-1,PCS,Bracket,de=DE-100; jp=JP-100",
        "LC-2,PCS,Clamp,de=DE-100",  # DE-100 is LC-1's in the German BU: refused
        "LC-3,PCS,Spring,xx=1",  # no such business unit
        "LC-4,PCS,Screw,de",  # not business-unit=code
        "LC-5,PCS,Washer,",
    )
    job = run_import(content, kind="MATERIALS")
    assert errors_of(job) == {
        3: ("local_codes", "ALREADY_EXISTS"),
        4: ("local_codes", "NOT_FOUND"),
        5: ("local_codes", "INVALID_ARGUMENT"),
    }
    assert not Material.objects.filter(code__in=["LC-2", "LC-3", "LC-4"]).exists()
    mapping = dict(
        MaterialLocalCode.objects.filter(material__code="LC-1").values_list(
            "business_unit__code", "code"
        )
    )
    assert mapping == {"de": "DE-100", "jp": "JP-100"}
    again = run_import(content, kind="MATERIALS")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    moved = csv_bytes(
        "code,unit,name_en,local_codes", "LC-1,PCS,Bracket,jp=JP-100", "LC-5,PCS,Washer,de=DE-100"
    )
    job = run_import(moved, kind="MATERIALS")  # the German code moves from LC-1 to LC-5
    assert (job.updated, job.failed) == (2, 0)
    assert dict(
        MaterialLocalCode.objects.filter(material__code__in=["LC-1", "LC-5"]).values_list(
            "code", "material__code"
        )
    ) == {"JP-100": "LC-1", "DE-100": "LC-5"}
    exported = run_export("MATERIALS").decode("utf-8-sig")
    assert "LC-1,PCS,Bracket" in exported
    assert "jp=JP-100" in exported
