"""Merging duplicate golden customers: old ids resolve, BU references move to the survivor."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer
from crm.masterdata.governance import merges
from crm.masterdata.governance.models import CustomerMerge
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

MERGE = """
mutation($survivor: ID!, $merged: [ID!]!) {
  customerMerge(survivor: $survivor, merged: $merged, why: "same company, three codes") {
    errors { field code } survivor { code } merge { status pendingBusinessUnits } } }
"""
BY_CODE = "query($c: String!) { customer(code: $c) { code status mergedInto { code } } }"


def golden(group_id: int, code: str, name: str) -> Customer:
    return Customer.objects.create(
        group_id=group_id,
        code=code,
        legal_name=name,
        normalized_name=normalized_name(name),
        country="DE",
    )


def gid(customer: Customer) -> str:
    return to_global_id("Customer", customer.pk)


def local(schema: str, customer: Customer, code: str) -> None:
    with schema_context(schema):
        LocalCustomer.objects.create(customer_id=customer.pk, local_code=code)


def local_rows(schema: str) -> dict[str, tuple[int, list[str]]]:
    with schema_context(schema):
        return {r.local_code: (r.customer_id, r.former_codes) for r in LocalCustomer.objects.all()}


@pytest.fixture
def three(world: Any) -> tuple[Customer, Customer, Customer]:
    return (
        golden(world.acme_id, "C-A", "Muster AG"),
        golden(world.acme_id, "C-B", "Muster Aktiengesellschaft"),
        golden(world.acme_id, "C-C", "MUSTER"),
    )


def test_a_merge_points_old_records_at_the_survivor_and_redirects_the_bu(world, graphql, three):
    a, b, c = three
    local("bu_acme_hq", b, "HQ-B")
    reply = graphql(MERGE, {"survivor": gid(a), "merged": [gid(b), gid(c)]}, as_="acme.steward")
    payload = reply.data["customerMerge"]
    assert payload["errors"] == []
    assert payload["merge"] == {"status": "REDIRECTING", "pendingBusinessUnits": 1}  # acme.hq
    for old in (b, c):
        found = graphql(BY_CODE, {"c": old.code}, as_="acme.steward").data["customer"]
        assert found == {"code": old.code, "status": "MERGED", "mergedInto": {"code": "C-A"}}
    merge = CustomerMerge.objects.get()
    hq = BusinessUnit.objects.get(schema_name="bu_acme_hq")
    assert merges.redirect_in_business_unit(merge, hq) == 1
    assert local_rows("bu_acme_hq") == {"HQ-B": (a.pk, [])}
    merge.refresh_from_db()
    assert (merge.status, merge.pending_business_units) == ("DONE", [])
    assert merges.redirect_in_business_unit(merge, hq) == 0  # again: nothing to do


def test_a_bu_with_records_of_both_keeps_the_survivors_and_remembers_the_old_code(world, three):
    a, b, _c = three
    local("bu_acme_hq", a, "HQ-A")
    local("bu_acme_hq", b, "HQ-B")
    merge = CustomerMerge.objects.create(
        group_id=world.acme_id,
        survivor=a,
        merged_ids=[b.pk],
        reason="t",
        pending_business_units=[BusinessUnit.objects.get(schema_name="bu_acme_hq").pk],
    )
    merges.redirect_in_business_unit(merge, BusinessUnit.objects.get(schema_name="bu_acme_hq"))
    assert local_rows("bu_acme_hq") == {"HQ-A": (a.pk, ["HQ-B"])}


def test_bad_merges_are_typed_errors_and_merge_nothing(world, graphql, settings, three):
    a, b, _c = three
    rival = golden(world.rival_id, "R-1", "Muster")

    def codes(survivor: str, merged: list[str], **kw: Any) -> list[tuple[str, str]]:
        reply = graphql(MERGE, {"survivor": survivor, "merged": merged}, **kw)
        return [(e["code"], e["field"]) for e in reply.data["customerMerge"]["errors"]]

    steward = {"as_": "acme.steward"}
    assert codes(gid(a), [gid(a)], **steward) == [("INVALID_ARGUMENT", "merged")]
    assert codes(gid(a), [], **steward) == [("INVALID_ARGUMENT", "merged")]
    assert codes(gid(a), [gid(rival)], **steward) == [("NOT_FOUND", "merged")]
    assert codes(gid(a), ["nonsense"], **steward) == [("MALFORMED_ID", "merged")]
    settings.REGION = "eu"
    assert codes(gid(a), [gid(b)], bu="acme.de", as_="acme.de.sales") == [
        ("PERMISSION_DENIED", None)
    ]
    settings.REGION = "cn"
    assert not CustomerMerge.objects.exists()
    assert set(Customer.objects.filter(code__startswith="C-").values_list("status", flat=True)) == {
        "ACTIVE"
    }
    assert codes(gid(a), [gid(b)], **steward) == []
    assert codes(gid(a), [gid(b)], **steward) == [("INVALID_ARGUMENT", "merged")]  # done already


# -- with a real worker: lost messages are resumed ---------------------------------------------


def committed(work: Callable[[], Any]) -> Any:
    """Run `work` on its own connection, committed, so the worker sees it."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return outcome.get("value")


@pytest.fixture
def committed_pair(world: Any) -> Iterator[tuple[int, int]]:
    def create() -> tuple[int, int]:
        a, b = golden(world.acme_id, "W-A", "Worker AG"), golden(world.acme_id, "W-B", "Worker")
        local("bu_acme_hq", b, "HQ-WB")
        return a.pk, b.pk

    pair = committed(create)
    yield pair

    def clean() -> None:
        with schema_context("bu_acme_hq"):
            LocalCustomer.objects.filter(local_code="HQ-WB").delete()
        CustomerMerge.objects.filter(survivor_id=pair[0]).delete()
        Customer.objects.filter(pk__in=pair).update(merged_into=None, status="ACTIVE")
        Customer.objects.filter(pk__in=pair).delete()

    committed(clean)


@pytest.mark.django_db
def test_a_merge_whose_messages_were_lost_resumes_in_the_worker(
    committed_pair, celery_worker_process
):
    from crm.platform.accounts.authentication import user_principal
    from crm.platform.accounts.models import User
    from crm.platform.permissions.engine import Access
    from crm.platform.permissions.policy_data import load_policy

    survivor, merged = committed_pair

    def merge_losing_messages() -> int:
        hq = BusinessUnit.objects.select_related("group").get(schema_name="bu_acme_hq")
        steward = User.objects.get(username="acme.steward")
        access = Access(user_principal(steward), hq, load_policy(hq.group_id))
        with mock.patch.object(merges, "send_redirects"):  # the broker lost them
            return merges.merge_customers(
                access=access, survivor_id=survivor, merged_ids=[merged], reason="dup"
            ).pk

    merge_id = committed(merge_losing_messages)
    assert CustomerMerge.objects.get(pk=merge_id).status == "REDIRECTING"
    assert committed(merges.resume_merges) == [merge_id]
    deadline = time.monotonic() + 60
    while CustomerMerge.objects.get(pk=merge_id).status != "DONE":
        assert time.monotonic() < deadline, "the worker did not redirect the BU"
        time.sleep(0.2)
    assert local_rows("bu_acme_hq")["HQ-WB"] == (survivor, [])
