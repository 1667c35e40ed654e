"""A real worker imports FX rates into the shared schema and re-prices the BU's price book."""

from __future__ import annotations

import time

from django_tenants.utils import schema_context

from crm.masterdata.models import ExchangeRate
from crm.masterdata.tasks import import_fx_rates_task
from crm.platform.accounts.actors import Actor
from crm.platform.accounts.models import User
from crm.platform.permissions.models import AuditEntry
from crm.tenants.models import BusinessUnit
from crm.tenants.pricebook.models import PriceBookEntry


def actor(username: str, bu: str = "hq") -> Actor:
    """Ids only, as a request would queue them; the worker loads the rest itself."""
    return Actor(
        user_id=User.objects.get(username=username).pk,
        api_key_id=None,
        business_unit_id=BusinessUnit.objects.get(group__code="acme", code=bu).pk,
    )


def test_worker_imports_rates_and_refreshes_the_local_price_books(world, celery_worker_process):
    csv_text = "date,base,quote,rate\n2002-02-01,CNY,EUR,0.1111\n2002-02-01,CNY,JPY,19.5\n"
    result = import_fx_rates_task.delay(actor=actor("acme.steward"), csv_text=csv_text, source="t")
    outcome = result.get(timeout=60)
    assert outcome == {"rates": 2, "repriced": ["acme.hq"]}
    assert ExchangeRate.objects.filter(group_id=world.acme_id, source="t").count() == 2

    deadline = time.monotonic() + 60
    with schema_context("bu_acme_hq"):
        while PriceBookEntry.objects.count() < 60 and time.monotonic() < deadline:
            time.sleep(0.2)
        entries = {e.material_code: e for e in PriceBookEntry.objects.all()}
    assert len(entries) == 60  # every priced material; M-NOPRICE has no entry, never a zero
    assert "M-NOPRICE" not in entries
    assert entries["M-001"].price.currency.code == "CNY"
    assert str(entries["M-001"].amount) == "101.3700"


def test_worker_refuses_a_bad_rate_file_with_a_typed_result(world, celery_worker_process):
    csv_text = "date,base,quote,rate\n2002-03-01,CNY,EUR,zero\n"
    outcome = import_fx_rates_task.delay(
        actor=actor("acme.steward"), csv_text=csv_text, source="bad"
    ).get(timeout=60)
    assert outcome["error"]["code"] == "INVALID_RATE_FILE"
    assert outcome["error"]["line"] == "2"
    assert not ExchangeRate.objects.filter(source="bad").exists()


def test_worker_checks_the_actor_it_carries_and_audits_the_refusal(world, celery_worker_process):
    """A salesperson may read rates but not import them: the worker refuses, writes nothing."""
    csv_text = "date,base,quote,rate\n2002-04-01,CNY,EUR,0.1\n"
    sales = actor("acme.de.sales", bu="de")
    outcome = import_fx_rates_task.delay(actor=sales, csv_text=csv_text, source="denied").get(
        timeout=60
    )
    assert outcome["error"]["code"] == "PERMISSION_DENIED"
    assert outcome["error"]["action"] == "create"
    assert outcome["error"]["object"] == "exchange_rate"
    assert not ExchangeRate.objects.filter(source="denied").exists()
    denial = AuditEntry.objects.filter(
        user_id=sales["user_id"], event="DENIED", object_type="exchange_rate"
    ).first()
    assert denial is not None
    assert denial.origin == "task:crm.masterdata.import_fx_rates"


def test_worker_refuses_an_actor_whose_user_was_deactivated(world, celery_worker_process):
    gone = actor("acme.steward")
    gone["user_id"] = 0  # no such user any more
    outcome = import_fx_rates_task.delay(
        actor=gone, csv_text="date,base,quote,rate\n2002-05-01,CNY,EUR,0.1\n", source="gone"
    ).get(timeout=60)
    assert outcome["error"]["code"] == "UNAUTHENTICATED"
    assert not ExchangeRate.objects.filter(source="gone").exists()


IMPORT = """
mutation($csv: String!) { exchangeRatesImport(csv: $csv, source: "api") {
  errors { field code } taskId } }
"""


def test_import_through_the_api_runs_in_the_worker_as_the_caller(
    world, graphql, celery_worker_process, django_capture_on_commit_callbacks
):
    from celery.result import AsyncResult

    csv_text = "date,base,quote,rate\n2002-06-01,CNY,EUR,0.1234\n"
    with django_capture_on_commit_callbacks(execute=True):
        reply = graphql(IMPORT, {"csv": csv_text}, as_="acme.steward")
    payload = reply.data["exchangeRatesImport"]
    assert payload["errors"] == []
    outcome = AsyncResult(payload["taskId"]).get(timeout=60)
    assert outcome["rates"] == 1
    rate = ExchangeRate.objects.get(group_id=world.acme_id, source="api", quote="EUR")
    assert str(rate.rate) == "0.1234000000"


def test_import_through_the_api_is_refused_before_queueing_for_who_may_not(
    world, graphql, settings, django_capture_on_commit_callbacks
):
    settings.REGION = "eu"
    with django_capture_on_commit_callbacks() as queued:
        reply = graphql(
            IMPORT, {"csv": "date,base,quote,rate\n"}, bu="acme.de", as_="acme.de.sales"
        )
    assert [e["code"] for e in reply.data["exchangeRatesImport"]["errors"]] == ["PERMISSION_DENIED"]
    assert reply.data["exchangeRatesImport"]["taskId"] is None
    assert queued == []


def test_the_morning_fetch_imports_what_the_source_gives_each_group(world, celery_worker_process):
    """The worker's source is a drop folder (see the worker fixture); beat sends this task."""
    import datetime

    from crm.masterdata.tasks import fetch_fx_rates_task
    from crm.tests.fixtures.worker import FX_DROP_FOLDER

    day = datetime.date(2003, 7, 1)
    folder = FX_DROP_FOLDER / "acme"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{day.isoformat()}.csv").write_text(
        "date,base,quote,rate\n2003-07-01,CNY,EUR,0.1077\n", encoding="utf-8"
    )
    outcome = fetch_fx_rates_task.delay(day=day.isoformat()).get(timeout=60)
    assert outcome["acme"]["rates"] == 1
    assert outcome["rival"] == {"skipped": "no rates for 2003-07-01"}
    rate = ExchangeRate.objects.get(group_id=world.acme_id, date=day, quote="EUR")
    assert (str(rate.rate), rate.source) == ("0.1077000000", "drop-folder")


def test_a_bad_rate_file_from_the_source_imports_nothing(world, celery_worker_process):
    import datetime

    from crm.masterdata.tasks import fetch_fx_rates_task
    from crm.tests.fixtures.worker import FX_DROP_FOLDER

    day = datetime.date(2003, 7, 2)
    folder = FX_DROP_FOLDER / "acme"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{day.isoformat()}.csv").write_text(
        "date,base,quote,rate\n2003-07-02,CNY,EUR,0.1\n2003-07-02,CNY,JPY,minus\n",
        encoding="utf-8",
    )
    outcome = fetch_fx_rates_task.delay(day=day.isoformat()).get(timeout=60)
    assert outcome["acme"]["error"]["code"] == "INVALID_RATE_FILE"
    assert not ExchangeRate.objects.filter(group_id=world.acme_id, date=day).exists()
