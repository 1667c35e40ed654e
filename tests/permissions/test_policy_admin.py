"""Reading and changing a group's policy through the API.

A change makes a new version, active at once for the next request; the previous version stays,
inactive, for history. Invalid changes, and changes that would leave nobody able to edit the
policy, are refused and leave the active version as it was.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

POLICY = """
{ policy { number active note
  rules { objectType role stage scope actions defaultFieldMode fieldModes { name mode } }
  permissions { actions } } }
"""
POLICY_UPDATE = """
mutation($changes: [PolicyRuleInput!]!, $note: String!) {
  policyUpdate(changes: $changes, note: $note) {
    policy { number active note }
    errors { field code }
  }
}
"""
MATERIAL_COST = '{ material(code: "M-001") { code standardCost { amount currency } } }'
MY_PERMISSIONS = """
query($t: ObjectTypeName!, $s: String) {
  myPermissions(objectType: $t, stage: $s) { objectType stage actions fields { name mode } }
}
"""

SALES_SEES_COST = {
    "objectType": "material",
    "role": "front_sales",
    "stage": "ACTIVE",
    "scope": "BUSINESS_UNIT",
    "actions": ["VIEW"],
    "fieldModes": [{"name": "standard_cost", "mode": "READ"}],
}
REMOVE_SALES_ACTIVE = {
    "objectType": "material",
    "role": "front_sales",
    "stage": "ACTIVE",
    "scope": "BUSINESS_UNIT",
    "remove": True,
}
REMOVE_ADMIN_POLICY_RULE = {
    "objectType": "policy",
    "role": "group_admin",
    "stage": "",
    "scope": "GROUP",
    "remove": True,
}


def payload_of(reply: Any) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    assert isinstance(payload, dict)
    return payload


def versions(world: Any) -> list[tuple[int, bool]]:
    from crm.platform.permissions.models import PolicyVersion

    return list(
        PolicyVersion.objects.filter(group_id=world.acme_id)
        .order_by("number")
        .values_list("number", "active")
    )


def update(graphql: Any, changes: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return payload_of(graphql(POLICY_UPDATE, {"changes": changes, "note": "test"}, **kw))


def as_de_sales(graphql: Any, settings: Any, query: str, variables: Any = None) -> Any:
    settings.REGION = "eu"
    reply = graphql(query, variables, bu="acme.de", as_="acme.de.sales")
    settings.REGION = "cn"
    return reply


def give_m001_a_cost() -> None:
    from crm.masterdata.models import Material

    Material.objects.filter(code="M-001").update(standard_cost=Decimal("42.5"))


# -- reading the policy ------------------------------------------------------------------------


def test_admin_reads_the_active_default_policy(world, graphql):
    reply = graphql(POLICY)
    assert reply.errors == []
    policy = reply.data["policy"]
    assert policy["number"] == 1
    assert policy["active"] is True
    assert policy["note"] == "default policy"
    assert set(policy["permissions"]["actions"]) == {"VIEW", "EDIT"}
    assert {
        "objectType": "material",
        "role": "front_sales",
        "stage": "ACTIVE",
        "scope": "BUSINESS_UNIT",
        "actions": ["VIEW"],
        "defaultFieldMode": "READ",
        "fieldModes": [{"name": "standard_cost", "mode": "HIDDEN"}],
    } in policy["rules"]
    admin_policy_rule = {
        "objectType": "policy",
        "role": "group_admin",
        "stage": "",
        "scope": "GROUP",
        "actions": ["VIEW", "EDIT"],
        "defaultFieldMode": "WRITE",
        "fieldModes": [],
    }
    assert any(
        rule | {"actions": sorted(rule["actions"])}
        == admin_policy_rule | {"actions": sorted(admin_policy_rule["actions"])}
        for rule in policy["rules"]
    )


def test_the_policy_lists_every_default_rule(world, graphql):
    from crm.platform.permissions.defaults import DEFAULT_POLICY

    rules = graphql(POLICY).data["policy"]["rules"]
    assert len(rules) == sum(len(specs) for specs in DEFAULT_POLICY.values())
    assert {rule["objectType"] for rule in rules} == set(DEFAULT_POLICY)


def test_auditor_reads_the_policy_but_may_not_change_it(world, graphql):
    reply = graphql(POLICY, as_="acme.auditor")
    assert reply.errors == []
    assert reply.data["policy"]["number"] == 1
    assert reply.data["policy"]["permissions"]["actions"] == ["VIEW"]

    payload = update(graphql, [SALES_SEES_COST], as_="acme.auditor")
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    assert payload["policy"] is None
    assert versions(world) == [(1, True)]


@pytest.mark.parametrize(
    ("username", "bu", "region"),
    [("acme.steward", "acme.hq", "cn"), ("acme.de.sales", "acme.de", "eu")],
)
def test_only_policy_editors_may_change_the_policy(world, graphql, settings, username, bu, region):
    settings.REGION = region
    payload = update(graphql, [SALES_SEES_COST], bu=bu, as_=username)
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    assert payload["policy"] is None
    assert versions(world) == [(1, True)]


# -- changing it -------------------------------------------------------------------------------


def test_policy_change_applies_to_the_very_next_request(world, graphql, settings):
    from crm.platform.permissions.models import AuditEntry

    give_m001_a_cost()
    before = as_de_sales(graphql, settings, MATERIAL_COST)
    assert before.codes == ["FIELD_FORBIDDEN"]
    assert before.data["material"] == {"code": "M-001", "standardCost": None}

    payload = update(graphql, [SALES_SEES_COST])
    assert payload["errors"] == []
    assert payload["policy"] == {"number": 2, "active": True, "note": "test"}

    after = as_de_sales(graphql, settings, MATERIAL_COST)
    assert after.errors == []
    assert after.data["material"]["standardCost"] == {"amount": "42.5000", "currency": "CNY"}

    assert versions(world) == [(1, False), (2, True)]
    entry = AuditEntry.objects.get(event="POLICY_CHANGED", group_id=world.acme_id)
    assert entry.actor == "acme.admin"
    assert entry.details["from"] == 1
    assert entry.details["to"] == 2


def test_changed_rule_shows_in_the_new_version(world, graphql):
    update(graphql, [SALES_SEES_COST])
    policy = graphql(POLICY).data["policy"]
    assert policy["number"] == 2
    (rule,) = [
        r
        for r in policy["rules"]
        if (r["objectType"], r["role"], r["stage"], r["scope"])
        == ("material", "front_sales", "ACTIVE", "BUSINESS_UNIT")
    ]
    assert rule["actions"] == ["VIEW"]
    assert rule["defaultFieldMode"] == "READ"
    assert rule["fieldModes"] == [{"name": "standard_cost", "mode": "READ"}]


def test_previous_version_keeps_its_rules(world, graphql):
    from crm.platform.permissions.models import PolicyRule, PolicyVersion

    update(graphql, [SALES_SEES_COST])
    old = PolicyVersion.objects.get(group_id=world.acme_id, number=1)
    rule = PolicyRule.objects.get(
        version=old, object_type="material", role__code="front_sales", stage="ACTIVE", scope="bu"
    )
    assert rule.field_modes == {"standard_cost": "hidden"}


def test_removing_a_rule_takes_the_view_away(world, graphql, settings):
    assert as_de_sales(graphql, settings, MATERIAL_COST).data["material"]["code"] == "M-001"

    payload = update(graphql, [REMOVE_SALES_ACTIVE])
    assert payload["errors"] == []
    assert payload["policy"]["number"] == 2

    after = as_de_sales(graphql, settings, MATERIAL_COST)
    assert after.codes == ["NOT_FOUND"]
    assert after.data["material"] is None


def test_my_permissions_follow_the_new_policy(world, graphql, settings):
    update(graphql, [SALES_SEES_COST])
    reply = as_de_sales(graphql, settings, MY_PERMISSIONS, {"t": "MATERIAL", "s": "ACTIVE"})
    fields = {f["name"]: f["mode"] for f in reply.data["myPermissions"]["fields"]}
    assert fields["standard_cost"] == "READ"


# -- refused changes ---------------------------------------------------------------------------

INVALID_CHANGES = {
    "unknown object type": {"objectType": "spaceship", "role": "front_sales", "scope": "GROUP"},
    "unknown role": {"objectType": "material", "role": "wizard", "scope": "GROUP"},
    "stage of another type": {
        "objectType": "material",
        "role": "front_sales",
        "stage": "RETIRED",
        "scope": "BUSINESS_UNIT",
        "actions": ["VIEW"],
    },
    "unknown field": {
        "objectType": "material",
        "role": "front_sales",
        "stage": "ACTIVE",
        "scope": "BUSINESS_UNIT",
        "actions": ["VIEW"],
        "fieldModes": [{"name": "margin", "mode": "READ"}],
    },
    "removing a rule that does not exist": {
        "objectType": "material",
        "role": "front_sales",
        "stage": "DRAFT",
        "scope": "BUSINESS_UNIT",
        "remove": True,
    },
    "removing the last policy-edit rule": REMOVE_ADMIN_POLICY_RULE,
}


@pytest.mark.parametrize("change", list(INVALID_CHANGES.values()), ids=list(INVALID_CHANGES))
def test_invalid_change_is_refused_and_makes_no_version(world, graphql, change):
    from crm.platform.permissions.models import AuditEntry

    payload = update(graphql, [change])
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_POLICY", "changes")]
    assert payload["policy"] is None
    assert versions(world) == [(1, True)]
    assert not AuditEntry.objects.filter(event="POLICY_CHANGED").exists()


def test_an_invalid_change_refuses_the_whole_batch(world, graphql, settings):
    payload = update(graphql, [SALES_SEES_COST, INVALID_CHANGES["unknown role"]])
    assert [e["code"] for e in payload["errors"]] == ["INVALID_POLICY"]
    assert versions(world) == [(1, True)]
    give_m001_a_cost()
    assert as_de_sales(graphql, settings, MATERIAL_COST).codes == ["FIELD_FORBIDDEN"]


def test_an_empty_change_list_is_refused(world, graphql):
    payload = update(graphql, [])
    assert [e["code"] for e in payload["errors"]] == ["INVALID_POLICY"]
    assert versions(world) == [(1, True)]


def test_lockout_is_refused_even_when_another_rule_is_added_in_the_same_change(world, graphql):
    # The auditor may read the policy; giving it VIEW again does not make anyone an editor.
    auditor_reads = {
        "objectType": "policy",
        "role": "auditor",
        "scope": "GROUP",
        "actions": ["VIEW"],
    }
    payload = update(graphql, [auditor_reads, REMOVE_ADMIN_POLICY_RULE])
    assert [e["code"] for e in payload["errors"]] == ["INVALID_POLICY"]
    assert versions(world) == [(1, True)]


def test_moving_policy_edit_to_another_role_is_allowed(world, graphql):
    auditor_edits = {
        "objectType": "policy",
        "role": "auditor",
        "scope": "GROUP",
        "actions": ["VIEW", "EDIT"],
        "defaultFieldMode": "WRITE",
    }
    payload = update(graphql, [auditor_edits, REMOVE_ADMIN_POLICY_RULE])
    assert payload["errors"] == []
    assert versions(world) == [(1, False), (2, True)]
    # The admin lost the policy; the auditor now edits it.
    assert graphql(POLICY).data["policy"] is None
    again = update(graphql, [SALES_SEES_COST], as_="acme.auditor")
    assert again["errors"] == []
    assert again["policy"]["number"] == 3


def test_edit_without_writable_fields_is_a_lockout_and_is_refused(world, graphql):
    # Resending the admin's rule without defaultFieldMode (READ by default): EDIT on paper only.
    admin_edits_read_only = {
        "objectType": "policy",
        "role": "group_admin",
        "scope": "GROUP",
        "actions": ["VIEW", "EDIT"],
    }
    payload = update(graphql, [admin_edits_read_only])
    assert [e["code"] for e in payload["errors"]] == ["INVALID_POLICY"]
    assert versions(world) == [(1, True)]


# -- what may I do -----------------------------------------------------------------------------


def test_front_sales_permissions_on_active_materials(world, graphql, settings):
    reply = as_de_sales(graphql, settings, MY_PERMISSIONS, {"t": "MATERIAL", "s": "ACTIVE"})
    assert reply.errors == []
    mine = reply.data["myPermissions"]
    assert mine["objectType"] == "material"
    assert mine["stage"] == "ACTIVE"
    assert mine["actions"] == ["VIEW"]
    fields = {f["name"]: f["mode"] for f in mine["fields"]}
    assert fields["standard_cost"] == "HIDDEN"
    assert {name for name, mode in fields.items() if mode != "HIDDEN"} == {
        "code",
        "name",
        "description",
        "unit",
        "status",
        "price",
        "local_codes",
        "category",
    }
    assert set(fields.values()) <= {"HIDDEN", "READ"}


def test_front_sales_may_do_nothing_on_draft_materials(world, graphql, settings):
    reply = as_de_sales(graphql, settings, MY_PERMISSIONS, {"t": "MATERIAL", "s": "DRAFT"})
    assert reply.errors == []
    assert reply.data["myPermissions"]["actions"] == []
    assert {f["mode"] for f in reply.data["myPermissions"]["fields"]} == {"HIDDEN"}


def test_my_permissions_with_an_unknown_stage_is_invalid_argument(world, graphql, settings):
    reply = as_de_sales(graphql, settings, MY_PERMISSIONS, {"t": "MATERIAL", "s": "LAUNCHED"})
    assert reply.codes == ["INVALID_ARGUMENT"]
    assert reply.errors[0]["extensions"]["field"] == "stage"
    assert reply.data is None


def test_the_policy_history_keeps_every_version_with_its_rules(world, graphql, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    update(graphql, [SALES_SEES_COST])
    update(graphql, [SALES_SEES_COST])
    with CaptureQueriesContext(connection) as queries:
        reply = graphql(
            "{ policyVersions { number active note rules { objectType role } } }",
        )
    assert reply.errors == []
    versions_seen = reply.data["policyVersions"]
    assert [(v["number"], v["active"]) for v in versions_seen] == [
        (3, True),
        (2, False),
        (1, False),
    ]
    assert all(v["rules"] for v in versions_seen)
    assert len(queries) <= 12  # rules and roles prefetched: no query per version
    old = graphql("{ policy(number: 1) { number active } }")
    assert old.data["policy"] == {"number": 1, "active": False}
    # An auditor reads the history; a salesperson does not see it.
    assert graphql("{ policyVersions { number } }", as_="acme.auditor").data["policyVersions"]
    settings.REGION = "eu"
    sales = graphql("{ policyVersions { number } }", bu="acme.de", as_="acme.de.sales")
    assert sales.codes == ["PERMISSION_DENIED"]
    assert sales.data is None


ROLE_CREATE = """
mutation($code: String!, $names: [TranslationInput!]!) {
  roleCreate(code: $code, names: $names) { errors { field code } role { code name } }
}
"""
ROLE_DELETE = """
mutation($code: String!) { roleDelete(code: $code) { errors { field code } deletedCode } }
"""


def test_a_new_role_grants_nothing_until_the_policy_gives_it_rules(world, graphql):
    from crm.platform.accounts.models import Membership, Role, User
    from crm.tenants.models import BusinessUnit

    created = payload_of(
        graphql(
            ROLE_CREATE,
            {
                "code": "key_account",
                "names": [
                    {"language": "en", "text": "Key account manager"},
                    {"language": "de", "text": "Key-Account-Manager"},
                ],
            },
        )
    )
    assert created["errors"] == []
    assert created["role"] == {"code": "key_account", "name": "Key account manager"}
    role = Role.objects.get(group_id=world.acme_id, code="key_account")
    assert role.name_de == "Key-Account-Manager"
    person = User.objects.get(username="acme.nobody")
    Membership.objects.create(
        group_id=world.acme_id,
        user=person,
        role=role,
        business_unit=BusinessUnit.objects.get(group_id=world.acme_id, code="hq"),
    )
    nothing = graphql("{ materials(first: 1) { totalCount } }", as_="acme.nobody")
    assert nothing.codes == ["PERMISSION_DENIED"]
    rule = {
        "objectType": "material",
        "role": "key_account",
        "stage": "ACTIVE",
        "scope": "BUSINESS_UNIT",
        "actions": ["VIEW"],
    }
    assert update(graphql, [rule])["errors"] == []
    seen = graphql("{ materials(first: 1) { totalCount } }", as_="acme.nobody")
    assert seen.data["materials"]["totalCount"] == 61


def test_role_codes_are_validated_and_unique(world, graphql):
    def codes(code: str) -> list[tuple[str, str]]:
        payload = payload_of(
            graphql(ROLE_CREATE, {"code": code, "names": [{"language": "en", "text": "x"}]})
        )
        return [(e["code"], e["field"]) for e in payload["errors"]]

    assert codes("front_sales") == [("ALREADY_EXISTS", "code")]
    assert codes("Has Spaces") == [("INVALID_ARGUMENT", "code")]
    bad_language = payload_of(
        graphql(ROLE_CREATE, {"code": "ok_code", "names": [{"language": "xx", "text": "x"}]})
    )
    assert [e["code"] for e in bad_language["errors"]] == ["UNKNOWN_LANGUAGE"]


def test_only_policy_editors_manage_roles_and_used_roles_stay(world, graphql, settings):
    settings.REGION = "eu"
    refused = payload_of(
        graphql(
            ROLE_CREATE,
            {"code": "mine", "names": [{"language": "en", "text": "x"}]},
            bu="acme.de",
            as_="acme.de.manager",
        )
    )
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    settings.REGION = "cn"
    in_use = payload_of(graphql(ROLE_DELETE, {"code": "front_sales"}))
    assert [(e["code"], e["field"]) for e in in_use["errors"]] == [("IN_USE", "code")]
    assert payload_of(graphql(ROLE_DELETE, {"code": "no_such_role"}))["errors"][0]["code"] == (
        "NOT_FOUND"
    )
    payload_of(graphql(ROLE_CREATE, {"code": "spare", "names": [{"language": "en", "text": "x"}]}))
    deleted = payload_of(graphql(ROLE_DELETE, {"code": "spare"}))
    assert deleted == {"errors": [], "deletedCode": "spare"}


def test_a_release_adding_a_type_gives_existing_groups_its_default_rules(world, graphql):
    """A group whose policy predates a type gets the type's defaults in a new version; the
    group's own changes to other types stay as they were."""
    from crm.platform.permissions.defaults import install_default_policy
    from crm.platform.permissions.models import PolicyRule, PolicyVersion
    from crm.tenants.models import Group

    assert update(graphql, [SALES_SEES_COST])["errors"] == []  # the group's own change
    acme = Group.objects.get(pk=world.acme_id)
    current = PolicyVersion.objects.get(group=acme, active=True)
    PolicyRule.objects.filter(version=current, object_type="customer").delete()  # "old" policy
    upgraded = install_default_policy(acme)
    assert upgraded.number == current.number + 1
    assert upgraded.note == "default rules for new object types: customer"
    rules = PolicyRule.objects.filter(version=upgraded)
    assert rules.filter(object_type="customer").exists()
    own = rules.get(object_type="material", role__code="front_sales", stage="ACTIVE", scope="bu")
    assert own.field_modes == {"standard_cost": "read"}
    assert install_default_policy(acme).pk == upgraded.pk  # nothing missing: no new version
