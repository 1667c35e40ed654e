"""The audit log: refusals and personal-data reads are written, and only the group reads them.

Entries are queued on the request's access and written after the response is built, outside the
transaction a refused mutation rolled back; auditors list them newest first, paging by cursor.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from graphql_relay import from_global_id, to_global_id

SALES = "acme.de.sales"
AUDITOR = "acme.auditor"

UPDATE_COST = """
mutation($id: ID!, $cost: Decimal) {
  materialUpdate(id: $id, standardCost: $cost) { errors { field code } material { code } }
}
"""
COSTS = """
query($first: Int, $filter: MaterialFilter, $orderBy: MaterialOrder) {
  materials(first: $first, filter: $filter, orderBy: $orderBy) {
    edges { node { code standardCost { amount } } }
  }
}
"""
ENTRIES = """
query($first: Int, $after: String, $event: AuditEvent) {
  auditEntries(first: $first, after: $after, event: $event) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id event actor origin userAgent action objectType objectIds field code
                   businessUnit } }
  }
}
"""
ENTRIES_WITHOUT_PERSONAL_DATA = """
query($first: Int, $after: String, $event: AuditEvent) {
  auditEntries(first: $first, after: $after, event: $event) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id event action objectType } }
  }
}
"""


def entries(**filters: Any) -> list[Any]:
    from crm.platform.permissions.models import AuditEntry

    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def user(username: str) -> Any:
    from crm.platform.accounts.models import User

    return User.objects.get(username=username)


def material(world: Any, code: str) -> Any:
    from crm.masterdata.models import Material

    return Material.objects.get(group_id=world.acme_id, code=code)


def pk_of(node: dict[str, Any]) -> int:
    kind, raw = from_global_id(node["id"])
    assert kind == "AuditEntry"
    return int(raw)


def refuse_cost_edit(world: Any, graphql: Any) -> Any:
    """acme.de.sales tries to set M-001's standard cost: refused."""
    reply = graphql(
        UPDATE_COST,
        {"id": to_global_id("Material", material(world, "M-001").pk), "cost": "1.5"},
        bu="acme.de",
        as_=SALES,
    )
    assert reply.errors == []
    return reply.data["materialUpdate"]


def refuse_cost_filter(graphql: Any) -> Any:
    reply = graphql(
        COSTS, {"first": 5, "filter": {"standardCostAtLeast": "1"}}, bu="acme.de", as_=SALES
    )
    assert reply.codes == ["FIELD_FORBIDDEN"]
    return reply


def rival_denial(world: Any) -> Any:
    from crm.platform.permissions.models import AuditEntry, AuditEvent
    from crm.tenants.models import BusinessUnit

    return AuditEntry.objects.create(
        group_id=world.rival_id,
        business_unit=BusinessUnit.objects.get(group_id=world.rival_id, code="main"),
        event=AuditEvent.DENIED,
        user=user("rival.admin"),
        actor="rival.admin",
        action="edit",
        object_type="material",
        object_ids=["1"],
        code="PERMISSION_DENIED",
        origin="10.0.0.9",
    )


# -- what is written ----------------------------------------------------------------------------


def test_a_refused_mutation_is_audited_although_it_rolled_back(world, graphql, settings):
    from crm.platform.permissions.models import AuditEntry

    settings.REGION = "eu"
    m001 = material(world, "M-001")
    assert entries(event="DENIED") == []
    with CaptureQueriesContext(connection) as queries:
        result = refuse_cost_edit(world, graphql)
    assert result == {"errors": [{"field": None, "code": "PERMISSION_DENIED"}], "material": None}
    m001.refresh_from_db()
    assert m001.standard_cost is None

    (entry,) = entries(event="DENIED")
    assert entry.action == "edit"
    assert entry.object_type == "material"
    assert entry.object_ids == [str(m001.pk)]
    assert entry.user == user(SALES)
    assert entry.actor == SALES
    assert entry.origin == "127.0.0.1"
    assert entry.code == "PERMISSION_DENIED"
    assert entry.group_id == world.acme_id
    assert entry.business_unit.code == "de"
    assert entry.api_key_id is None

    # The write happened after the mutation's savepoint was rolled back, not inside it.
    sql = [query["sql"] for query in queries.captured_queries]
    table = AuditEntry._meta.db_table
    # (Inside a mutation, history context is prepended to each statement: match anywhere.)
    rolled_back = max(i for i, text in enumerate(sql) if "ROLLBACK TO SAVEPOINT" in text)
    locked = next(i for i, text in enumerate(sql) if "FOR UPDATE" in text)
    (written,) = [i for i, text in enumerate(sql) if text.startswith(f'INSERT INTO "{table}"')]
    assert locked < rolled_back < written


def test_a_refused_delete_is_audited_without_a_field(world, graphql):
    m001 = material(world, "M-001")
    reply = graphql(
        "mutation($id: ID!) { materialDelete(id: $id) { errors { field code } deletedId } }",
        {"id": to_global_id("Material", m001.pk)},
        as_="acme.director",
    )
    assert reply.data["materialDelete"] == {
        "errors": [{"field": None, "code": "PERMISSION_DENIED"}],
        "deletedId": None,
    }
    assert material(world, "M-001").pk == m001.pk
    (entry,) = entries(event="DENIED")
    assert (entry.action, entry.object_type, entry.object_ids, entry.field, entry.code) == (
        "delete",
        "material",
        [str(m001.pk)],
        "",
        "PERMISSION_DENIED",
    )
    assert entry.user == user("acme.director")
    assert entry.business_unit.code == "hq"


def test_a_refused_field_write_names_the_field(world, graphql):
    """The steward may edit a live list, but only its end date: renaming it is refused."""
    from crm.masterdata.models import PriceList

    group_list = PriceList.objects.get(group_id=world.acme_id, code="G")
    before = model_to_dict(group_list)
    reply = graphql(
        """mutation($id: ID!) { priceListUpdate(id: $id, names: [{language: "en", text: "x"}])
             { errors { field code } priceList { code } } }""",
        {"id": to_global_id("PriceList", group_list.pk)},
        as_="acme.steward",
    )
    assert reply.data["priceListUpdate"] == {
        "errors": [{"field": "name", "code": "PERMISSION_DENIED"}],
        "priceList": None,
    }
    assert model_to_dict(PriceList.objects.get(pk=group_list.pk)) == before
    (entry,) = entries(event="DENIED")
    assert (entry.action, entry.object_type, entry.object_ids, entry.field) == (
        "edit",
        "price_list",
        [str(group_list.pk)],
        "name",
    )
    assert entry.user == user("acme.steward")


def test_a_hidden_field_read_writes_one_entry_for_all_its_records(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(COSTS, {"first": 3}, bu="acme.de", as_=SALES)
    assert [edge["node"] for edge in reply.data["materials"]["edges"]] == [
        {"code": f"M-00{n}", "standardCost": None} for n in (1, 2, 3)
    ]
    assert reply.codes == ["FIELD_FORBIDDEN"] * 3

    (entry,) = entries(event="DENIED")
    assert entry.code == "FIELD_FORBIDDEN"
    assert entry.field == "standard_cost"
    assert entry.action == "view"
    assert entry.object_type == "material"
    assert sorted(entry.object_ids) == sorted(
        str(material(world, f"M-00{n}").pk) for n in (1, 2, 3)
    )
    assert entry.user == user(SALES)
    assert entry.origin == "127.0.0.1"
    # Reading the same again is a new attempt: a second entry, again just one.
    graphql(COSTS, {"first": 3}, bu="acme.de", as_=SALES)
    assert len(entries(event="DENIED")) == 2


def test_reading_allowed_fields_writes_nothing(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(
        "{ materials(first: 5) { edges { node { code name status } } } }",
        bu="acme.de",
        as_=SALES,
    )
    assert reply.errors == []
    assert entries() == []


def test_a_forbidden_filter_is_audited(world, graphql, settings):
    settings.REGION = "eu"
    reply = refuse_cost_filter(graphql)
    assert reply.data == {"materials": None}
    (entry,) = entries(event="DENIED")
    assert entry.code == "FIELD_FORBIDDEN"
    assert entry.action == "view"
    assert entry.object_type == "material"
    assert entry.object_ids == []
    assert entry.user == user(SALES)
    assert entry.business_unit.code == "de"
    assert entry.origin == "127.0.0.1"


def test_a_forbidden_ordering_is_audited(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(
        COSTS, {"first": 5, "orderBy": {"field": "STANDARD_COST"}}, bu="acme.de", as_=SALES
    )
    assert reply.codes == ["FIELD_FORBIDDEN"]
    (entry,) = entries(event="DENIED")
    assert (entry.code, entry.action, entry.object_type) == ("FIELD_FORBIDDEN", "view", "material")
    assert entry.user == user(SALES)


@pytest.mark.parametrize(
    "variables",
    [
        {"orderBy": {"field": "STANDARD_COST", "direction": "DESC"}},
        {"filter": {"standardCostAtLeast": "1"}},
    ],
    ids=["orderBy", "filter"],
)
def test_a_forbidden_filter_or_ordering_entry_names_the_hidden_field(
    world, graphql, settings, variables
):
    settings.REGION = "eu"
    reply = graphql(COSTS, {"first": 5, **variables}, bu="acme.de", as_=SALES)
    assert reply.codes == ["FIELD_FORBIDDEN"]
    # The hidden-field read of the same field is logged with field "standard_cost".
    (entry,) = entries(event="DENIED")
    assert entry.field == "standard_cost"
    assert entry.details["argument"] == (
        "orderBy" if "orderBy" in variables else "standardCostAtLeast"
    )


def test_personal_data_reads_are_audited(world, graphql, settings):
    settings.REGION = "eu"
    refuse_cost_filter(graphql)
    refuse_cost_edit(world, graphql)
    listed = entries()
    assert len(listed) == 2
    settings.REGION = "cn"
    reply = graphql(
        "{ auditEntries(first: 10) { edges { node { actor origin userAgent event } } } }",
        as_=AUDITOR,
    )
    assert reply.errors == []
    assert [edge["node"] for edge in reply.data["auditEntries"]["edges"]] == [
        {"actor": SALES, "origin": "127.0.0.1", "userAgent": "", "event": "DENIED"}
    ] * 2

    (read,) = entries(event="PERSONAL_READ")
    assert read.object_type == "audit_entry"
    assert read.action == "view"
    assert read.details == {"fields": ["actor", "origin", "user_agent"]}
    assert sorted(read.object_ids) == sorted(str(entry.pk) for entry in listed)
    assert read.user == user(AUDITOR)
    assert read.business_unit.code == "hq"
    assert read.group_id == world.acme_id
    assert read.origin == "127.0.0.1"


def test_reading_the_log_without_personal_fields_is_not_a_personal_read(world, graphql, settings):
    settings.REGION = "eu"
    refuse_cost_filter(graphql)
    settings.REGION = "cn"
    reply = graphql(
        "{ auditEntries(first: 10) { totalCount edges { node { event action code } } } }",
        as_=AUDITOR,
    )
    assert reply.errors == []
    assert reply.data["auditEntries"]["totalCount"] == 1
    assert entries(event="PERSONAL_READ") == []


# -- who reads it -------------------------------------------------------------------------------


def test_auditor_lists_the_groups_denials_newest_first(world, graphql, settings):
    settings.REGION = "eu"
    refuse_cost_filter(graphql)
    refuse_cost_edit(world, graphql)
    graphql(COSTS, {"first": 2}, bu="acme.de", as_=SALES)  # hidden-field read
    settings.REGION = "cn"
    foreign = rival_denial(world)
    acme_denials = entries(event="DENIED", group_id=world.acme_id)
    assert len(acme_denials) == 3

    reply = graphql(ENTRIES, {"first": 50, "event": "DENIED"}, as_=AUDITOR)
    assert reply.errors == []
    found = reply.data["auditEntries"]
    assert found["totalCount"] == 3
    assert found["pageInfo"]["hasNextPage"] is False
    nodes = [edge["node"] for edge in found["edges"]]
    ids = [pk_of(node) for node in nodes]
    assert ids == sorted((entry.pk for entry in acme_denials), reverse=True)
    assert foreign.pk not in ids
    assert to_global_id("AuditEntry", foreign.pk) not in {node["id"] for node in nodes}
    assert {node["event"] for node in nodes} == {"DENIED"}
    assert {node["actor"] for node in nodes} == {SALES}
    assert {node["businessUnit"] for node in nodes} == {"de"}
    # Newest first: the hidden read, the refused edit, the refused filter.
    assert [(node["code"], node["action"]) for node in nodes] == [
        ("FIELD_FORBIDDEN", "view"),
        ("PERMISSION_DENIED", "edit"),
        ("FIELD_FORBIDDEN", "view"),
    ]
    assert [node["field"] for node in nodes] == [entry.field for entry in reversed(acme_denials)]
    assert nodes[0]["field"] == "standard_cost"
    m001 = material(world, "M-001")
    assert nodes[1]["objectIds"] == [str(m001.pk)]
    assert nodes[1]["objectType"] == "material"


def test_the_rival_group_sees_only_its_own_log(world, graphql, settings):
    settings.REGION = "eu"
    refuse_cost_edit(world, graphql)
    foreign = rival_denial(world)
    settings.REGION = "cn"
    reply = graphql(ENTRIES, {"first": 50}, bu="rival.main", as_="rival.admin")
    assert reply.errors == []
    ids = [pk_of(edge["node"]) for edge in reply.data["auditEntries"]["edges"]]
    assert ids == [foreign.pk]
    assert reply.data["auditEntries"]["totalCount"] == 1


def test_a_bu_role_may_not_read_the_log(world, graphql, settings):
    settings.REGION = "eu"
    refuse_cost_edit(world, graphql)
    reply = graphql(ENTRIES, {"first": 10}, bu="acme.de", as_=SALES)
    assert reply.data == {"auditEntries": None}
    assert reply.codes == ["PERMISSION_DENIED"]
    assert reply.errors[0]["extensions"]["object"] == "audit_entry"
    # The refusal itself is logged.
    last = entries(event="DENIED")[-1]
    assert (last.action, last.object_type, last.code) == (
        "view",
        "audit_entry",
        "PERMISSION_DENIED",
    )
    assert last.user == user(SALES)
    # Filtering by event is no way around it either.
    filtered = graphql(ENTRIES, {"first": 10, "event": "DENIED"}, bu="acme.de", as_=SALES)
    assert filtered.codes == ["PERMISSION_DENIED"]
    assert filtered.data == {"auditEntries": None}


def test_paging_the_log_has_no_gaps_or_repeats(world, graphql, settings):
    from crm.platform.permissions.models import AuditEntry, AuditEvent
    from crm.tenants.models import BusinessUnit

    de = BusinessUnit.objects.get(group_id=world.acme_id, code="de")
    AuditEntry.objects.bulk_create(
        AuditEntry(
            group_id=world.acme_id,
            business_unit=de,
            event=AuditEvent.DENIED,
            actor=f"someone-{n}",
            action="view",
            object_type="material",
            code="FIELD_FORBIDDEN",
        )
        for n in range(11)
    )
    rival_denial(world)
    before = sorted(
        (entry.pk for entry in entries(group_id=world.acme_id, event="DENIED")), reverse=True
    )
    assert len(before) == 11

    for query, event in ((ENTRIES, None), (ENTRIES_WITHOUT_PERSONAL_DATA, "DENIED")):
        seen: list[int] = []
        after = None
        for _ in range(20):
            reply = graphql(query, {"first": 4, "after": after, "event": event}, as_=AUDITOR)
            assert reply.errors == []
            page = reply.data["auditEntries"]
            seen += [pk_of(edge["node"]) for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        # Reading personal fields adds PERSONAL_READ entries while paging: they are newer than
        # the first page, so they never show up behind the cursor.
        assert seen == before
        assert len(set(seen)) == len(seen)
    assert len(entries(event="PERSONAL_READ")) == 3
