"""Who may call at all: sign-in tokens, API keys, memberships, and the refusals at the edge.

Bad, revoked or expired credentials are refused with 401 UNAUTHENTICATED before any resolver
runs; a valid principal without a role in the requested business unit gets 403 NOT_A_MEMBER,
which is audited. API keys act with one role, optionally bound to one business unit, and are
stored only as a digest.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

ME = "{ me { name isApiKey rolesHere { role { code } businessUnit } } }"
MATERIALS = "{ materials(first: 1) { edges { node { code } } } }"
SIGN_IN = """
mutation($u: String!, $p: String!) {
  signIn(username: $u, password: $p) { token expiresAt errors { field code } }
}
"""
API_KEY_CREATE = """
mutation($name: String!, $role: String!, $bu: String) {
  apiKeyCreate(name: $name, role: $role, businessUnit: $bu) {
    token
    apiKey { id name prefix role businessUnit revokedAt }
    errors { field code }
  }
}
"""
API_KEY_REVOKE = """
mutation($id: ID!) { apiKeyRevoke(id: $id) { apiKey { revokedAt } errors { field code } } }
"""
API_KEYS = "{ apiKeys { name prefix role businessUnit revokedAt } }"
KEY_MATERIALS = """
{ materials(first: 50) { edges { node { code status standardCost { amount } } } } }
"""
GRANT = """
mutation($u: String!, $r: String!, $bu: String) {
  membershipGrant(username: $u, role: $r, businessUnit: $bu) {
    membership { id user role businessUnit }
    errors { field code }
  }
}
"""
REVOKE = "mutation($id: ID!) { membershipRevoke(id: $id) { deletedId errors { field code } } }"


def payload_of(reply: Any) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    assert isinstance(payload, dict)
    return payload


def error_pairs(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def post_with_authorization(graphql: Any, header: str, bu: str = "acme.hq") -> tuple[int, Any]:
    """A request with a raw Authorization header, for schemes the fixture does not send."""
    response = graphql.client.post(
        "/graphql/",
        data=json.dumps({"query": ME, "variables": {}}),
        content_type="application/json",
        headers={"Authorization": header, "X-Business-Unit": bu},
    )
    return response.status_code, json.loads(response.content)


def codes_of(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def fresh_token(username: str) -> tuple[str, Any]:
    from crm.platform.accounts.authentication import issue_user_token
    from crm.platform.accounts.models import User

    return issue_user_token(User.objects.get(username=username))


def create_key(graphql: Any, role: str, bu: str | None, name: str = "SAP sync") -> dict[str, Any]:
    payload = payload_of(graphql(API_KEY_CREATE, {"name": name, "role": role, "bu": bu}))
    assert payload["errors"] == []
    return payload


# -- without a token ---------------------------------------------------------------------------


def test_query_without_token_is_unauthenticated_with_null_data(world, graphql):
    reply = graphql(MATERIALS, as_=None)
    assert reply.codes == ["UNAUTHENTICATED"]
    assert reply.data == {"materials": None}


def test_sign_in_works_without_token_and_returns_an_expiring_user_token(world, graphql):
    payload = payload_of(graphql(SIGN_IN, {"u": "acme.steward", "p": "pw"}, as_=None))
    assert payload["errors"] == []
    assert payload["token"].startswith("crm_u")
    expires_at = datetime.datetime.fromisoformat(payload["expiresAt"])
    assert expires_at > timezone.now()


def test_sign_in_with_wrong_password_gives_invalid_credentials_and_no_token(world, graphql):
    payload = payload_of(graphql(SIGN_IN, {"u": "acme.steward", "p": "wrong"}, as_=None))
    assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
    assert payload["token"] is None
    assert payload["expiresAt"] is None


def test_signed_in_token_works_as_bearer(world, graphql):
    token = payload_of(graphql(SIGN_IN, {"u": "acme.steward", "p": "pw"}, as_=None))["token"]
    reply = graphql(ME, token=token)
    assert reply.status == 200
    assert reply.errors == []
    assert reply.data["me"] == {
        "name": "acme.steward",
        "isApiKey": False,
        "rolesHere": [{"role": {"code": "hq_steward"}, "businessUnit": None}],
    }


# -- bad credentials: 401 ----------------------------------------------------------------------


def test_garbage_bearer_token_is_401(world, graphql):
    reply = graphql(ME, token="not-a-token")
    assert reply.status == 401
    assert reply.codes == ["UNAUTHENTICATED"]
    assert reply.data is None


def test_well_formed_but_unknown_token_is_401(world, graphql):
    secret = "x" * 43
    reply = graphql(ME, token="crm_uabcdef12_" + secret)
    assert reply.status == 401
    assert reply.codes == ["UNAUTHENTICATED"]
    # Recorded against the BU it was sent to, with the public prefix only.
    from crm.platform.permissions.models import AuditEntry

    (entry,) = AuditEntry.objects.filter(action="authenticate")
    assert entry.code == "UNAUTHENTICATED"
    assert entry.actor == "token crm_uabcdef12"
    assert entry.business_unit.handle == "acme.hq"
    assert entry.origin == "127.0.0.1"
    assert secret not in str(entry.__dict__)


def test_basic_authorization_scheme_is_401(world, graphql):
    status, body = post_with_authorization(graphql, "Basic xyz")
    assert status == 401
    assert codes_of(body) == ["UNAUTHENTICATED"]
    assert body.get("data") is None


def test_expired_user_token_is_401(world, graphql):
    token, record = fresh_token("acme.steward")
    assert graphql(ME, token=token).status == 200
    record.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    record.save(update_fields=["expires_at"])
    reply = graphql(ME, token=token)
    assert reply.status == 401
    assert reply.codes == ["UNAUTHENTICATED"]


def test_deactivated_user_token_is_401(world, graphql):
    from crm.platform.accounts.models import User

    token, _record = fresh_token("acme.steward")
    assert graphql(ME, token=token).status == 200
    User.objects.filter(username="acme.steward").update(is_active=False)
    reply = graphql(ME, token=token)
    assert reply.status == 401
    assert reply.codes == ["UNAUTHENTICATED"]


# -- valid principal, no role here: 403 --------------------------------------------------------


def test_user_of_another_group_is_not_a_member_and_the_refusal_is_audited(world, graphql):
    from crm.platform.permissions.models import AuditEntry

    reply = graphql(MATERIALS, as_="rival.admin")
    assert reply.status == 403
    assert reply.codes == ["NOT_A_MEMBER"]
    assert reply.errors[0]["extensions"]["business_unit"] == "acme.hq"
    entry = AuditEntry.objects.get(event="DENIED", actor="rival.admin")
    assert entry.action == "access"
    assert entry.code == "NOT_A_MEMBER"
    assert entry.group_id == world.acme_id
    assert entry.business_unit.code == "hq"


def test_user_with_a_role_in_another_bu_is_not_a_member(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(MATERIALS, bu="acme.de", as_="acme.jp.sales")
    assert reply.status == 403
    assert reply.codes == ["NOT_A_MEMBER"]


def test_user_without_any_role_is_not_a_member(world, graphql):
    reply = graphql(ME, as_="acme.nobody")
    assert reply.status == 403
    assert reply.codes == ["NOT_A_MEMBER"]


# -- API keys ----------------------------------------------------------------------------------


def test_api_key_token_is_shown_once_and_stored_only_as_a_digest(world, graphql):
    from crm.platform.accounts.models import ApiKey

    payload = create_key(graphql, "integration", "de")
    token, key = payload["token"], payload["apiKey"]
    assert token.startswith(f"crm_k{key['prefix']}_")
    assert key == {
        "id": key["id"],
        "name": "SAP sync",
        "prefix": key["prefix"],
        "role": "integration",
        "businessUnit": "de",
        "revokedAt": None,
    }
    row = ApiKey.objects.get(prefix=key["prefix"])
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    secret = token.rsplit("_", 1)[1]
    for column, value in model_to_dict(row).items():
        assert token not in str(value), column
        assert secret not in str(value), column
    # The token is not shown again: the list of keys has no place for it.
    listed = graphql(API_KEYS)
    assert token not in json.dumps(listed.body)


def test_bu_api_key_reads_live_materials_without_standard_cost(world, graphql, settings):
    from crm.masterdata.models import Material, MaterialStatus, UnitOfMeasure

    # The world's materials are all ACTIVE: add one in every stage, sorted before them.
    for status in MaterialStatus.values:
        Material.objects.create(
            group_id=world.acme_id,
            code=f"A-{status}",
            unit=UnitOfMeasure.PIECE,
            name=status,
            status=status,
            standard_cost=1,
        )
    token = create_key(graphql, "integration", "de")["token"]
    settings.REGION = "eu"

    me = graphql("{ me { name isApiKey } }", bu="acme.de", token=token)
    assert me.errors == []
    assert me.data["me"]["isApiKey"] is True
    assert me.data["me"]["name"].endswith(":SAP sync")

    reply = graphql(KEY_MATERIALS, bu="acme.de", token=token)
    nodes = [edge["node"] for edge in reply.data["materials"]["edges"]]
    assert len(nodes) == 50
    assert {node["status"] for node in nodes} == {"ACTIVE", "PHASED_OUT"}
    codes = {node["code"] for node in nodes}
    assert {"A-ACTIVE", "A-PHASED_OUT"} <= codes
    assert not {"A-DRAFT", "A-OBSOLETE"} & codes
    assert all(node["standardCost"] is None for node in nodes)
    assert set(reply.codes) == {"FIELD_FORBIDDEN"}
    assert len(reply.errors) == len(nodes)
    assert {tuple(e["path"][-1:]) for e in reply.errors} == {("standardCost",)}


def test_api_key_use_is_recorded(world, graphql, settings):
    from crm.platform.accounts.models import ApiKey

    payload = create_key(graphql, "integration", "de")
    row = ApiKey.objects.get(prefix=payload["apiKey"]["prefix"])
    assert row.last_used_at is None
    settings.REGION = "eu"
    before = timezone.now()
    assert graphql(ME, bu="acme.de", token=payload["token"]).status == 200
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert row.last_used_at >= before


def test_bu_api_key_is_not_a_member_of_another_bu(world, graphql):
    token = create_key(graphql, "integration", "de")["token"]
    reply = graphql(ME, bu="acme.hq", token=token)
    assert reply.status == 403
    assert reply.codes == ["NOT_A_MEMBER"]


def test_revoked_api_key_is_401_and_stays_listed_as_revoked(world, graphql, settings):
    payload = create_key(graphql, "integration", "de", name="ERP bridge")
    token, key = payload["token"], payload["apiKey"]

    revoked = payload_of(graphql(API_KEY_REVOKE, {"id": key["id"]}))
    assert revoked["errors"] == []
    assert revoked["apiKey"]["revokedAt"] is not None

    listed = graphql(API_KEYS)
    assert listed.errors == []
    assert {
        "name": "ERP bridge",
        "prefix": key["prefix"],
        "role": "integration",
        "businessUnit": "de",
        "revokedAt": revoked["apiKey"]["revokedAt"],
    } in listed.data["apiKeys"]

    settings.REGION = "eu"
    reply = graphql(ME, bu="acme.de", token=token)
    assert reply.status == 401
    assert reply.codes == ["UNAUTHENTICATED"]


def test_admin_lists_keys_of_the_group(world, graphql):
    create_key(graphql, "integration", "de", name="BU key")
    create_key(graphql, "auditor", None, name="Group key")
    reply = graphql(API_KEYS)
    assert reply.errors == []
    listed = {key["name"]: key for key in reply.data["apiKeys"]}
    assert listed["BU key"]["role"] == "integration"
    assert listed["BU key"]["businessUnit"] == "de"
    assert listed["BU key"]["revokedAt"] is None
    assert listed["Group key"]["role"] == "auditor"
    assert listed["Group key"]["businessUnit"] is None


def test_front_sales_may_not_create_api_keys(world, graphql, settings):
    from crm.platform.accounts.models import ApiKey

    settings.REGION = "eu"
    before = ApiKey.objects.count()
    payload = payload_of(
        graphql(
            API_KEY_CREATE,
            {"name": "mine", "role": "integration", "bu": "de"},
            bu="acme.de",
            as_="acme.de.sales",
        )
    )
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    assert payload["token"] is None
    assert payload["apiKey"] is None
    assert ApiKey.objects.count() == before


def test_api_key_with_unknown_role_is_not_found(world, graphql):
    from crm.platform.accounts.models import ApiKey

    before = ApiKey.objects.count()
    payload = payload_of(graphql(API_KEY_CREATE, {"name": "x", "role": "wizard", "bu": "de"}))
    assert error_pairs(payload) == [("NOT_FOUND", "role")]
    assert payload["token"] is None
    assert ApiKey.objects.count() == before


def test_group_wide_auditor_key_works_in_every_bu_of_the_group(world, graphql, settings):
    token = create_key(graphql, "auditor", None, name="Audit export")["token"]
    at_hq = graphql(ME, bu="acme.hq", token=token)
    settings.REGION = "eu"
    at_de = graphql(ME, bu="acme.de", token=token)
    for reply in (at_hq, at_de):
        assert reply.status == 200
        assert reply.errors == []
        me = reply.data["me"]
        assert me["name"].endswith(":Audit export")
        assert me["isApiKey"] is True
        assert me["rolesHere"] == [{"role": {"code": "auditor"}, "businessUnit": None}]
    materials = graphql(MATERIALS, bu="acme.de", token=token)
    assert materials.errors == []
    assert materials.data["materials"]["edges"] != []


def test_group_wide_key_is_not_a_member_of_another_group(world, graphql):
    token = create_key(graphql, "auditor", None)["token"]
    reply = graphql(ME, bu="rival.main", token=token)
    assert reply.status == 403
    assert reply.codes == ["NOT_A_MEMBER"]


# -- memberships -------------------------------------------------------------------------------


def test_granted_role_lets_the_user_in_and_revoking_it_shuts_them_out(world, graphql):
    assert graphql(ME, as_="acme.nobody").status == 403

    granted = payload_of(graphql(GRANT, {"u": "acme.nobody", "r": "front_sales", "bu": "hq"}))
    assert granted["errors"] == []
    membership = granted["membership"]
    assert membership | {"id": None} == {
        "id": None,
        "user": "acme.nobody",
        "role": "front_sales",
        "businessUnit": "hq",
    }

    me = graphql(ME, as_="acme.nobody")
    assert me.status == 200
    assert me.errors == []
    assert me.data["me"]["rolesHere"] == [{"role": {"code": "front_sales"}, "businessUnit": "hq"}]

    revoked = payload_of(graphql(REVOKE, {"id": membership["id"]}))
    assert revoked == {"deletedId": membership["id"], "errors": []}

    again = graphql(ME, as_="acme.nobody")
    assert again.status == 403
    assert again.codes == ["NOT_A_MEMBER"]


def test_role_granted_in_one_bu_does_not_reach_another(world, graphql, settings):
    payload_of(graphql(GRANT, {"u": "acme.nobody", "r": "front_sales", "bu": "hq"}))
    settings.REGION = "eu"
    reply = graphql(ME, bu="acme.de", as_="acme.nobody")
    assert reply.status == 403
    assert reply.codes == ["NOT_A_MEMBER"]


def test_granting_to_a_user_of_another_group_is_not_found(world, graphql):
    from crm.platform.accounts.models import Membership

    before = Membership.objects.count()
    payload = payload_of(graphql(GRANT, {"u": "rival.admin", "r": "front_sales", "bu": "hq"}))
    assert error_pairs(payload) == [("NOT_FOUND", "username")]
    assert payload["membership"] is None
    assert Membership.objects.count() == before


@pytest.mark.parametrize("username", ["acme.de.sales", "acme.steward"])
def test_only_the_admin_grants_roles(world, graphql, settings, username):
    from crm.platform.accounts.models import Membership

    bu = "acme.de" if username == "acme.de.sales" else "acme.hq"
    settings.REGION = "eu" if bu == "acme.de" else "cn"
    before = Membership.objects.count()
    payload = payload_of(
        graphql(GRANT, {"u": "acme.nobody", "r": "front_sales", "bu": "de"}, bu=bu, as_=username)
    )
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    assert Membership.objects.count() == before


# -- nobody hands out more reach than they have --------------------------------------------------

LET_MANAGERS_GRANT = """
mutation { policyUpdate(note: "BU managers staff their BU", changes: [
  {objectType: "membership", role: "bu_manager", scope: BUSINESS_UNIT, actions: [VIEW, CREATE],
   defaultFieldMode: WRITE},
  {objectType: "api_key", role: "bu_manager", scope: BUSINESS_UNIT, actions: [VIEW, CREATE],
   defaultFieldMode: WRITE}
]) { errors { code } } }
"""
GRANT_TO_NOBODY = """
mutation($role: String!, $bu: String) {
  membershipGrant(username: "acme.nobody", role: $role, businessUnit: $bu) {
    errors { field code } membership { role businessUnit } }
}
"""
KEY_FOR_SHOP = """
mutation($role: String!, $bu: String) {
  apiKeyCreate(name: "shop", role: $role, businessUnit: $bu) { errors { field code } token }
}
"""


@pytest.mark.parametrize(
    ("role", "bu", "refused_field"),
    [
        ("front_sales", "de", None),  # a BU role in their own BU: allowed
        ("group_admin", "de", "role"),  # reaches the whole group
        ("hq_director", "de", "role"),  # group-wide reading
        ("front_sales", "jp", "business_unit"),  # another BU
        ("front_sales", None, "business_unit"),  # group level
    ],
)
def test_a_bu_manager_grants_only_bu_roles_in_their_own_bu(
    world, graphql, settings, role, bu, refused_field
):
    assert graphql(LET_MANAGERS_GRANT).data["policyUpdate"]["errors"] == []
    settings.REGION = "eu"
    for document, payload_name in (
        (GRANT_TO_NOBODY, "membershipGrant"),
        (KEY_FOR_SHOP, "apiKeyCreate"),
    ):
        reply = graphql(document, {"role": role, "bu": bu}, bu="acme.de", as_="acme.de.manager")
        errors = [(e["code"], e["field"]) for e in reply.data[payload_name]["errors"]]
        if refused_field is None:
            assert errors == [], payload_name
        else:
            assert errors == [("PERMISSION_DENIED", refused_field)], payload_name


def test_the_group_admin_grants_any_role_anywhere(world, graphql):
    for role, bu in (("group_admin", None), ("hq_director", "de"), ("front_sales", "jp")):
        reply = graphql(GRANT_TO_NOBODY, {"role": role, "bu": bu})
        assert reply.data["membershipGrant"]["errors"] == [], (role, bu)
