"""People under the policy: users of a group, the teams of a business unit, and the team scope.

The group admin creates and changes users (a user name never changes, e-mail and names are
personal data); a BU manager sees the people holding a role in the BU, front-line roles see them
without e-mail. BU managers organise their BU's teams in a hierarchy, and a team's manager reaches
the members of the team and of the teams below.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql_relay import to_global_id

from crm.tests.fixtures.world import PEOPLE

ADMIN = "acme.admin"
MANAGER = "acme.de.manager"
SALES = "acme.de.sales"
LEGAL = "acme.de.legal"
FINANCE = "acme.de.finance"
JP_SALES = "acme.jp.sales"
STEWARD = "acme.steward"
RIVAL = "rival.admin"
DE_PEOPLE = [FINANCE, LEGAL, MANAGER, SALES]
STRONG_PASSWORD = "Corvid-Lantern-2931"

ME = "{ me { name rolesHere { role { code } businessUnit } } }"
SIGN_IN = """
mutation($u: String!, $p: String!) {
  signIn(username: $u, password: $p) { token errors { field code } }
}
"""
GRANT = """
mutation($u: String!, $r: String!, $bu: String) {
  membershipGrant(username: $u, role: $r, businessUnit: $bu) {
    membership { user role businessUnit }
    errors { field code }
  }
}
"""
USER_FIELDS = "id username email firstName lastName language isActive memberships { role }"
USER_CREATE = f"""
mutation($username: String!, $email: String!, $firstName: String, $lastName: String,
         $language: String, $password: String!) {{
  userCreate(username: $username, email: $email, firstName: $firstName, lastName: $lastName,
             language: $language, password: $password) {{
    errors {{ field code message }}
    user {{ {USER_FIELDS} }}
  }}
}}
"""
USER_UPDATE = f"""
mutation($id: ID!, $email: String, $firstName: String, $lastName: String, $language: String,
         $isActive: Boolean) {{
  userUpdate(id: $id, email: $email, firstName: $firstName, lastName: $lastName,
             language: $language, isActive: $isActive) {{
    errors {{ field code message }}
    user {{ {USER_FIELDS} }}
  }}
}}
"""
USER_NAMES = "{ users { username } }"
USERS_PERSONAL = "{ users { id username email firstName } }"
TEAMS = """
{ teams { id name parent manager members permissions { actions } } }
"""
TEAM_FIELDS = "id name parent manager members"
TEAM_CREATE = f"""
mutation($name: String!, $parent: ID, $manager: String) {{
  teamCreate(name: $name, parent: $parent, manager: $manager) {{
    errors {{ field code message }}
    team {{ {TEAM_FIELDS} }}
  }}
}}
"""
TEAM_UPDATE = f"""
mutation($id: ID!, $name: String, $parent: ID, $manager: String, $members: [String!]) {{
  teamUpdate(id: $id, name: $name, parent: $parent, manager: $manager, members: $members) {{
    errors {{ field code message }}
    team {{ {TEAM_FIELDS} }}
  }}
}}
"""
TEAM_DELETE = """
mutation($id: ID!) { teamDelete(id: $id) { errors { field code message } deletedId } }
"""


# -- helpers ------------------------------------------------------------------------------------


def payload_of(reply: Any) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    assert isinstance(payload, dict)
    return payload


def error_pairs(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def ok(reply: Any) -> dict[str, Any]:
    payload = payload_of(reply)
    assert payload["errors"] == [], payload["errors"]
    return payload


def user(username: str) -> Any:
    from crm.platform.accounts.models import User

    return User.objects.get(username=username)


def user_gid(username: str) -> str:
    return to_global_id("User", user(username).pk)


def team(name: str) -> Any:
    from crm.platform.accounts.models import Team

    return Team.objects.get(name=name)


def new_user(**overrides: Any) -> dict[str, Any]:
    variables = {
        "username": "jane.doe",
        "email": "Jane.Doe@Example.COM",
        "firstName": "Jane",
        "lastName": "Doe",
        "language": "de",
        "password": STRONG_PASSWORD,
    }
    return variables | overrides


def acme_usernames() -> set[str]:
    return {name for name, (group, _roles) in PEOPLE.items() if group == "acme"}


def de_teams(graphql: Any, settings: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """As the DE manager: "Sales DACH" (managed by them) and "Sales Austria" below it."""
    settings.REGION = "eu"
    dach = ok(
        graphql(TEAM_CREATE, {"name": "Sales DACH", "manager": MANAGER}, bu="acme.de", as_=MANAGER)
    )["team"]
    austria = ok(
        graphql(
            TEAM_CREATE, {"name": "Sales Austria", "parent": dach["id"]}, bu="acme.de", as_=MANAGER
        )
    )["team"]
    return dach, austria


def team_count() -> int:
    from crm.platform.accounts.models import Team

    return Team.objects.count()


# -- userCreate ---------------------------------------------------------------------------------

POLICY_UPDATE = """
mutation($changes: [PolicyRuleInput!]!, $note: String!) {
  policyUpdate(changes: $changes, note: $note) { policy { number } errors { field code } }
}
"""
# The admin's user rule as in the default policy.
ADMIN_NAMES_USERS = {
    "objectType": "user",
    "role": "group_admin",
    "stage": "",
    "scope": "GROUP",
    "actions": ["VIEW", "CREATE", "EDIT"],
    "defaultFieldMode": "WRITE",
    "fieldModes": [],
}


def let_the_admin_name_users(graphql: Any) -> None:
    """Re-save the admin's user rule as a new policy version."""
    ok(graphql(POLICY_UPDATE, {"changes": [ADMIN_NAMES_USERS], "note": "name users"}))


@pytest.fixture(params=["default policy", "policy rewritten by the admin"])
def user_creating_policy(request: Any, world: Any, graphql: Any) -> str:
    """A successful userCreate under the default policy, and under the same rule re-saved by
    the admin through policyUpdate (a new version)."""
    if request.param == "policy rewritten by the admin":
        let_the_admin_name_users(graphql)
    return str(request.param)


def test_admin_creates_a_user_of_the_group_with_a_hashed_password(
    world, graphql, user_creating_policy
):
    payload = ok(graphql(USER_CREATE, new_user()))
    created = payload["user"]
    assert created == {
        "id": created["id"],
        "username": "jane.doe",
        "email": "jane.doe@example.com",
        "firstName": "Jane",
        "lastName": "Doe",
        "language": "de",
        "isActive": True,
        "memberships": [],
    }
    row = user("jane.doe")
    assert created["id"] == to_global_id("User", row.pk)
    assert row.group_id == world.acme_id
    assert row.email == "jane.doe@example.com"
    assert (row.first_name, row.last_name, row.language) == ("Jane", "Doe", "de")
    assert row.password != STRONG_PASSWORD
    assert STRONG_PASSWORD not in row.password
    assert row.check_password(STRONG_PASSWORD)
    assert not row.check_password("wrong")
    assert not row.memberships.exists()


def test_created_user_signs_in_but_is_not_a_member_until_granted_a_role(
    world, graphql, user_creating_policy
):
    ok(graphql(USER_CREATE, new_user()))
    signed_in = ok(graphql(SIGN_IN, {"u": "jane.doe", "p": STRONG_PASSWORD}, as_=None))
    token = signed_in["token"]
    assert token.startswith("crm_u")

    refused = graphql(ME, token=token)
    assert refused.status == 403
    assert refused.codes == ["NOT_A_MEMBER"]

    granted = ok(graphql(GRANT, {"u": "jane.doe", "r": "front_sales", "bu": "hq"}))
    assert granted["membership"] == {
        "user": "jane.doe",
        "role": "front_sales",
        "businessUnit": "hq",
    }

    me = graphql(ME, token=token)
    assert me.status == 200
    assert me.errors == []
    assert me.data["me"] == {
        "name": "jane.doe",
        "rolesHere": [{"role": {"code": "front_sales"}, "businessUnit": "hq"}],
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"username": STEWARD}, ("ALREADY_EXISTS", "username"), id="duplicate"),
        pytest.param({"email": "not-an-e-mail"}, ("INVALID_ARGUMENT", "email"), id="email"),
        pytest.param({"email": ""}, ("INVALID_ARGUMENT", "email"), id="empty-email"),
        pytest.param({"password": "Sh0rt-pw!"}, ("INVALID_ARGUMENT", "password"), id="short"),
        pytest.param({"password": "password1234"}, ("INVALID_ARGUMENT", "password"), id="common"),
        pytest.param({"password": "498273615092"}, ("INVALID_ARGUMENT", "password"), id="numeric"),
        pytest.param(
            {"username": "marguerite.x", "password": "marguerite.x1"},
            ("INVALID_ARGUMENT", "password"),
            id="like-username",
        ),
        pytest.param({"language": "xx"}, ("UNKNOWN_LANGUAGE", "language"), id="language"),
        pytest.param({"username": "jane doe"}, ("INVALID_ARGUMENT", "username"), id="spaces"),
        pytest.param({"username": "jd"}, ("INVALID_ARGUMENT", "username"), id="too-short"),
    ],
)
def test_bad_user_input_gives_its_typed_error_and_creates_nothing(
    world, graphql, overrides, expected
):
    from crm.platform.accounts.models import User

    before = User.objects.count()
    payload = payload_of(graphql(USER_CREATE, new_user(**overrides)))
    assert error_pairs(payload) == [expected]
    assert payload["errors"][0]["message"]
    assert payload["user"] is None
    assert User.objects.count() == before
    assert not User.objects.filter(email__iexact="jane.doe@example.com").exists()


def test_duplicate_user_name_leaves_the_existing_user_untouched(world, graphql):
    before = user(STEWARD)
    payload = payload_of(graphql(USER_CREATE, new_user(username=STEWARD)))
    assert error_pairs(payload) == [("ALREADY_EXISTS", "username")]
    after = user(STEWARD)
    assert (after.email, after.password, after.group_id) == (
        before.email,
        before.password,
        before.group_id,
    )
    assert after.check_password("pw")


@pytest.mark.parametrize(
    ("username", "bu", "region"), [(SALES, "acme.de", "eu"), (STEWARD, "acme.hq", "cn")]
)
def test_only_the_admin_creates_users(world, graphql, settings, username, bu, region):
    from crm.platform.accounts.models import User

    settings.REGION = region
    before = User.objects.count()
    payload = payload_of(graphql(USER_CREATE, new_user(), bu=bu, as_=username))
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    assert payload["user"] is None
    assert User.objects.count() == before


# -- userUpdate ---------------------------------------------------------------------------------


def test_admin_changes_e_mail_and_names(world, graphql):
    payload = ok(
        graphql(
            USER_UPDATE,
            {
                "id": user_gid(SALES),
                "email": "Sales.DE@Acme.EXAMPLE",
                "firstName": " Hanna ",
                "lastName": "Weber",
            },
        )
    )
    changed = payload["user"]
    assert changed["username"] == SALES
    assert changed["email"] == "sales.de@acme.example"
    assert (changed["firstName"], changed["lastName"]) == ("Hanna", "Weber")
    assert changed["isActive"] is True
    row = user(SALES)
    assert (row.email, row.first_name, row.last_name) == ("sales.de@acme.example", "Hanna", "Weber")
    assert row.check_password("pw")


def test_update_with_a_bad_e_mail_or_language_changes_nothing(world, graphql):
    before = user(SALES)
    bad_email = payload_of(
        graphql(USER_UPDATE, {"id": user_gid(SALES), "email": "nope", "firstName": "X"})
    )
    assert error_pairs(bad_email) == [("INVALID_ARGUMENT", "email")]
    assert bad_email["user"] is None
    bad_language = payload_of(
        graphql(USER_UPDATE, {"id": user_gid(SALES), "firstName": "X", "language": "xx"})
    )
    assert error_pairs(bad_language) == [("UNKNOWN_LANGUAGE", "language")]
    after = user(SALES)
    assert (after.email, after.first_name, after.language) == (
        before.email,
        before.first_name,
        before.language,
    )


def test_deactivating_a_user_signs_them_out(world, graphql):
    from crm.platform.accounts.models import UserToken

    graphql.token_for(STEWARD)
    assert graphql(ME, as_=STEWARD).status == 200

    payload = ok(graphql(USER_UPDATE, {"id": user_gid(STEWARD), "isActive": False}))
    assert payload["user"]["isActive"] is False
    assert user(STEWARD).is_active is False
    tokens = UserToken.objects.filter(user__username=STEWARD)
    assert tokens.exists()
    assert not tokens.filter(revoked_at=None).exists()

    reply = graphql(ME, as_=STEWARD)
    assert reply.status == 401
    assert reply.codes == ["UNAUTHENTICATED"]
    signed_in = payload_of(graphql(SIGN_IN, {"u": STEWARD, "p": "pw"}, as_=None))
    assert signed_in["token"] is None
    assert signed_in["errors"] != []


def test_admin_cannot_update_a_user_of_another_group(world, graphql):
    before = user(RIVAL)
    payload = payload_of(
        graphql(
            USER_UPDATE, {"id": user_gid(RIVAL), "email": "owned@acme.example", "isActive": False}
        )
    )
    assert error_pairs(payload) == [("NOT_FOUND", "id")]
    assert payload["user"] is None
    after = user(RIVAL)
    assert (after.email, after.is_active) == (before.email, True)


def test_a_bu_manager_cannot_update_users(world, graphql, settings):
    settings.REGION = "eu"
    payload = payload_of(
        graphql(
            USER_UPDATE, {"id": user_gid(SALES), "firstName": "Mallory"}, bu="acme.de", as_=MANAGER
        )
    )
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    assert user(SALES).first_name == ""


def test_user_name_is_not_an_argument_of_user_update(world, graphql):
    from crm.graphql.schema import schema

    arguments = schema.graphql_schema.mutation_type.fields["userUpdate"].args
    assert "username" not in arguments
    assert {"id", "email", "firstName", "lastName", "language", "isActive", "reason"} == set(
        arguments
    )

    reply = graphql(
        'mutation($id: ID!) { userUpdate(id: $id, username: "sales.boss") { errors { code } } }',
        {"id": user_gid(SALES)},
    )
    assert reply.status == 400
    assert reply.data is None
    assert "username" in reply.errors[0]["message"]
    assert user(SALES).username == SALES


# -- users --------------------------------------------------------------------------------------


def test_admin_sees_every_user_of_the_group_and_none_of_another(world, graphql):
    reply = graphql(USER_NAMES)
    assert reply.errors == []
    names = [row["username"] for row in reply.data["users"]]
    assert names == sorted(acme_usernames())
    assert RIVAL not in names


def test_bu_manager_sees_exactly_the_people_with_a_role_in_the_bu(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(
        "{ users { username email memberships { role businessUnit } } }", bu="acme.de", as_=MANAGER
    )
    assert reply.errors == []
    listed = {row["username"]: row for row in reply.data["users"]}
    assert sorted(listed) == DE_PEOPLE
    assert listed[SALES]["memberships"] == [{"role": "front_sales", "businessUnit": "de"}]
    assert listed[SALES]["email"] == ""


def test_front_sales_sees_the_bu_people_without_e_mail(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql("{ users { username email firstName } }", bu="acme.de", as_=SALES)
    rows = reply.data["users"]
    assert [row["username"] for row in rows] == DE_PEOPLE
    assert all(row["email"] is None for row in rows)
    assert all(row["firstName"] == "" for row in rows)
    assert set(reply.codes) == {"FIELD_FORBIDDEN"}
    assert sorted(tuple(error["path"]) for error in reply.errors) == [
        ("users", index, "email") for index in range(len(rows))
    ]


def test_front_sales_cannot_read_memberships_of_people(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql("{ users { username memberships { role } } }", bu="acme.de", as_=SALES)
    assert all(row["memberships"] is None for row in reply.data["users"])
    assert set(reply.codes) == {"FIELD_FORBIDDEN"}


def test_reading_e_mail_and_names_is_audited_as_a_personal_read(world, graphql):
    from crm.platform.permissions.models import AuditEntry

    reply = graphql(USERS_PERSONAL)
    assert reply.errors == []
    expected_ids = sorted(str(user(row["username"]).pk) for row in reply.data["users"])
    (read,) = AuditEntry.objects.filter(event="PERSONAL_READ")
    assert read.object_type == "user"
    assert read.action == "view"
    assert read.actor == ADMIN
    assert read.user == user(ADMIN)
    assert read.group_id == world.acme_id
    assert read.business_unit.code == "hq"
    assert read.details == {"fields": ["email", "first_name"]}
    assert sorted(read.object_ids) == expected_ids


def test_reading_only_user_names_is_not_a_personal_read(world, graphql):
    from crm.platform.permissions.models import AuditEntry

    assert graphql(USER_NAMES).errors == []
    assert not AuditEntry.objects.filter(event="PERSONAL_READ").exists()


def test_hidden_e_mail_is_not_a_personal_read_but_a_denial(world, graphql, settings):
    from crm.platform.permissions.models import AuditEntry

    settings.REGION = "eu"
    graphql("{ users { username email } }", bu="acme.de", as_=SALES)
    assert not AuditEntry.objects.filter(event="PERSONAL_READ").exists()
    (denied,) = AuditEntry.objects.filter(event="DENIED", actor=SALES)
    assert (denied.object_type, denied.field, denied.code) == ("user", "email", "FIELD_FORBIDDEN")
    assert sorted(denied.object_ids) == sorted(str(user(name).pk) for name in DE_PEOPLE)


def test_user_of_another_bu_does_not_see_the_de_people(world, graphql, settings):
    settings.REGION = "ap"
    reply = graphql(USER_NAMES, bu="acme.jp", as_=JP_SALES)
    assert reply.errors == []
    assert [row["username"] for row in reply.data["users"]] == [JP_SALES]


def test_search_finds_users_by_part_of_the_name_within_the_view(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql('{ users(search: "SALES") { username } }', bu="acme.de", as_=MANAGER)
    assert reply.errors == []
    assert [row["username"] for row in reply.data["users"]] == [SALES]


# -- teams --------------------------------------------------------------------------------------


def test_bu_manager_builds_a_team_hierarchy_and_sets_members(world, graphql, settings):
    dach, austria = de_teams(graphql, settings)
    assert dach | {"id": None} == {
        "id": None,
        "name": "Sales DACH",
        "parent": None,
        "manager": MANAGER,
        "members": [],
    }
    assert austria | {"id": None} == {
        "id": None,
        "name": "Sales Austria",
        "parent": "Sales DACH",
        "manager": None,
        "members": [],
    }
    assert dach["id"] == to_global_id("Team", team("Sales DACH").pk)

    updated = ok(
        graphql(
            TEAM_UPDATE,
            {"id": dach["id"], "members": [SALES, LEGAL]},
            bu="acme.de",
            as_=MANAGER,
        )
    )["team"]
    assert updated["members"] == [LEGAL, SALES]
    ok(graphql(TEAM_UPDATE, {"id": austria["id"], "members": [FINANCE]}, bu="acme.de", as_=MANAGER))

    reply = graphql(TEAMS, bu="acme.de", as_=MANAGER)
    assert reply.errors == []
    everything = ["VIEW", "CREATE", "EDIT", "DELETE"]
    assert reply.data["teams"] == [
        {
            "id": austria["id"],
            "name": "Sales Austria",
            "parent": "Sales DACH",
            "manager": None,
            "members": [FINANCE],
            "permissions": {"actions": everything},
        },
        {
            "id": dach["id"],
            "name": "Sales DACH",
            "parent": None,
            "manager": MANAGER,
            "members": [LEGAL, SALES],
            "permissions": {"actions": everything},
        },
    ]
    row = team("Sales DACH")
    assert row.business_unit.code == "de"
    assert row.group_id == world.acme_id


def test_members_are_replaced_as_a_whole_set(world, graphql, settings):
    dach, _austria = de_teams(graphql, settings)
    ok(
        graphql(
            TEAM_UPDATE, {"id": dach["id"], "members": [SALES, LEGAL]}, bu="acme.de", as_=MANAGER
        )
    )
    again = ok(
        graphql(TEAM_UPDATE, {"id": dach["id"], "members": [FINANCE]}, bu="acme.de", as_=MANAGER)
    )
    assert again["team"]["members"] == [FINANCE]
    emptied = ok(graphql(TEAM_UPDATE, {"id": dach["id"], "members": []}, bu="acme.de", as_=MANAGER))
    assert emptied["team"]["members"] == []


def test_unknown_member_is_not_found_and_the_members_stay(world, graphql, settings):
    dach, _austria = de_teams(graphql, settings)
    ok(graphql(TEAM_UPDATE, {"id": dach["id"], "members": [SALES]}, bu="acme.de", as_=MANAGER))
    for stranger in ("no.such.person", RIVAL):
        payload = payload_of(
            graphql(
                TEAM_UPDATE,
                {"id": dach["id"], "members": [LEGAL, stranger]},
                bu="acme.de",
                as_=MANAGER,
            )
        )
        assert error_pairs(payload) == [("NOT_FOUND", "members")]
        assert payload["team"] is None
    assert [member.username for member in team("Sales DACH").members.all()] == [SALES]


def test_manager_from_another_group_is_not_found(world, graphql, settings):
    dach, _austria = de_teams(graphql, settings)
    before = team_count()
    created = payload_of(
        graphql(TEAM_CREATE, {"name": "Sales Swiss", "manager": RIVAL}, bu="acme.de", as_=MANAGER)
    )
    assert error_pairs(created) == [("NOT_FOUND", "manager")]
    assert created["team"] is None
    assert team_count() == before

    updated = payload_of(
        graphql(TEAM_UPDATE, {"id": dach["id"], "manager": RIVAL}, bu="acme.de", as_=MANAGER)
    )
    assert error_pairs(updated) == [("NOT_FOUND", "manager")]
    assert team("Sales DACH").manager.username == MANAGER


def test_a_team_cannot_end_up_below_itself(world, graphql, settings):
    dach, austria = de_teams(graphql, settings)
    below = payload_of(
        graphql(TEAM_UPDATE, {"id": dach["id"], "parent": austria["id"]}, bu="acme.de", as_=MANAGER)
    )
    assert error_pairs(below) == [("INVALID_ARGUMENT", "parent")]
    assert below["team"] is None
    itself = payload_of(
        graphql(TEAM_UPDATE, {"id": dach["id"], "parent": dach["id"]}, bu="acme.de", as_=MANAGER)
    )
    assert error_pairs(itself) == [("INVALID_ARGUMENT", "parent")]
    assert team("Sales DACH").parent is None
    assert team("Sales Austria").parent == team("Sales DACH")


def test_duplicate_team_name_in_the_bu_already_exists(world, graphql, settings):
    dach, austria = de_teams(graphql, settings)
    before = team_count()
    created = payload_of(graphql(TEAM_CREATE, {"name": " Sales DACH "}, bu="acme.de", as_=MANAGER))
    assert error_pairs(created) == [("ALREADY_EXISTS", "name")]
    assert team_count() == before

    renamed = payload_of(
        graphql(TEAM_UPDATE, {"id": austria["id"], "name": "Sales DACH"}, bu="acme.de", as_=MANAGER)
    )
    assert error_pairs(renamed) == [("ALREADY_EXISTS", "name")]
    assert renamed["team"] is None
    assert team("Sales Austria").pk != team(dach["name"]).pk
    assert to_global_id("Team", team("Sales Austria").pk) == austria["id"]


def test_same_team_name_in_another_bu_is_fine(world, graphql, settings):
    from crm.platform.accounts.models import Team

    de_teams(graphql, settings)
    settings.REGION = "cn"
    ok(graphql(TEAM_CREATE, {"name": "Sales DACH"}))
    assert sorted(
        Team.objects.filter(name="Sales DACH").values_list("business_unit__code", flat=True)
    ) == ["de", "hq"]


def test_a_team_with_teams_below_is_in_use_until_they_are_deleted(world, graphql, settings):
    dach, austria = de_teams(graphql, settings)
    refused = payload_of(graphql(TEAM_DELETE, {"id": dach["id"]}, bu="acme.de", as_=MANAGER))
    assert error_pairs(refused) == [("IN_USE", "id")]
    assert refused["deletedId"] is None
    assert team_count() == 2

    assert ok(graphql(TEAM_DELETE, {"id": austria["id"]}, bu="acme.de", as_=MANAGER)) == {
        "errors": [],
        "deletedId": austria["id"],
    }
    assert (
        ok(graphql(TEAM_DELETE, {"id": dach["id"]}, bu="acme.de", as_=MANAGER))["deletedId"]
        == dach["id"]
    )
    assert team_count() == 0


def test_front_sales_lists_teams_but_may_not_change_them(world, graphql, settings):
    dach, _austria = de_teams(graphql, settings)
    listed = graphql(TEAMS, bu="acme.de", as_=SALES)
    assert listed.errors == []
    assert [row["name"] for row in listed.data["teams"]] == ["Sales Austria", "Sales DACH"]
    assert {tuple(row["permissions"]["actions"]) for row in listed.data["teams"]} == {("VIEW",)}

    before = team_count()
    created = payload_of(graphql(TEAM_CREATE, {"name": "My team"}, bu="acme.de", as_=SALES))
    assert [e["code"] for e in created["errors"]] == ["PERMISSION_DENIED"]
    assert created["team"] is None
    assert team_count() == before

    renamed = payload_of(
        graphql(TEAM_UPDATE, {"id": dach["id"], "name": "Mine"}, bu="acme.de", as_=SALES)
    )
    assert [e["code"] for e in renamed["errors"]] == ["PERMISSION_DENIED"]
    deleted = payload_of(graphql(TEAM_DELETE, {"id": dach["id"]}, bu="acme.de", as_=SALES))
    assert [e["code"] for e in deleted["errors"]] == ["PERMISSION_DENIED"]
    assert team("Sales DACH").name == "Sales DACH"


def test_a_de_team_is_not_seen_or_reached_from_other_bus(world, graphql, settings):
    dach, _austria = de_teams(graphql, settings)
    settings.REGION = "cn"
    at_hq = graphql(TEAMS)
    assert at_hq.errors == []
    assert at_hq.data["teams"] == []

    settings.REGION = "ap"
    at_jp = graphql(TEAMS, bu="acme.jp", as_=JP_SALES)
    assert at_jp.errors == []
    assert at_jp.data["teams"] == []
    updated = payload_of(
        graphql(TEAM_UPDATE, {"id": dach["id"], "members": [JP_SALES]}, bu="acme.jp", as_=JP_SALES)
    )
    assert error_pairs(updated) == [("NOT_FOUND", "id")]
    assert updated["team"] is None
    deleted = payload_of(graphql(TEAM_DELETE, {"id": dach["id"]}, bu="acme.jp", as_=JP_SALES))
    assert error_pairs(deleted) == [("NOT_FOUND", "id")]
    assert not team("Sales DACH").members.exists()


def test_a_team_cannot_be_moved_under_a_team_of_another_bu(world, graphql, settings):
    dach, _austria = de_teams(graphql, settings)
    settings.REGION = "cn"
    hq_team = ok(graphql(TEAM_CREATE, {"name": "HQ key accounts"}))["team"]
    payload = payload_of(graphql(TEAM_UPDATE, {"id": dach["id"], "parent": hq_team["id"]}))
    assert error_pairs(payload) == [("NOT_FOUND", "parent")]
    assert payload["team"] is None
    moved = team("Sales DACH")
    assert moved.parent is None
    assert moved.business_unit.code == "de"


def test_malformed_team_id_is_a_typed_error(world, graphql, settings):
    settings.REGION = "eu"
    payload = payload_of(
        graphql(
            TEAM_UPDATE,
            {"id": to_global_id("User", user(SALES).pk), "name": "x"},
            bu="acme.de",
            as_=MANAGER,
        )
    )
    assert error_pairs(payload) == [("MALFORMED_ID", "id")]


# -- the team scope in the engine ---------------------------------------------------------------


def access_for(username: str, bu: str) -> Any:
    from crm.platform.accounts.authentication import user_principal
    from crm.platform.permissions.engine import Access
    from crm.platform.permissions.policy_data import load_policy
    from crm.tenants.models import BusinessUnit

    person = user(username)
    business_unit = BusinessUnit.objects.get(group_id=person.group_id, code=bu)
    return Access(user_principal(person), business_unit, load_policy(person.group_id))


def test_team_scope_reaches_the_managers_team_members(world, graphql, settings):
    dach, _austria = de_teams(graphql, settings)
    ok(graphql(TEAM_UPDATE, {"id": dach["id"], "members": [SALES]}, bu="acme.de", as_=MANAGER))

    access = access_for(MANAGER, "de")
    reached = access.team_user_ids
    assert user(MANAGER).pk in reached
    assert user(SALES).pk in reached
    assert user(JP_SALES).pk not in reached
    assert reached == {user(MANAGER).pk, user(SALES).pk}


def test_team_scope_reaches_down_the_hierarchy_but_not_up(world, graphql, settings):
    dach, austria = de_teams(graphql, settings)
    ok(graphql(TEAM_UPDATE, {"id": dach["id"], "members": [SALES]}, bu="acme.de", as_=MANAGER))
    ok(
        graphql(
            TEAM_UPDATE,
            {"id": austria["id"], "members": [FINANCE], "manager": LEGAL},
            bu="acme.de",
            as_=MANAGER,
        )
    )

    assert access_for(MANAGER, "de").team_user_ids == {
        user(MANAGER).pk,
        user(SALES).pk,
        user(FINANCE).pk,
    }
    # The Austria manager reaches Austria's members, not the DACH team above.
    assert access_for(LEGAL, "de").team_user_ids == {user(LEGAL).pk, user(FINANCE).pk}
    # A member who manages nothing reaches only themselves.
    assert access_for(SALES, "de").team_user_ids == {user(SALES).pk}


def test_team_scope_is_per_business_unit(world, graphql, settings):
    dach, _austria = de_teams(graphql, settings)
    ok(graphql(TEAM_UPDATE, {"id": dach["id"], "members": [SALES]}, bu="acme.de", as_=MANAGER))
    # The same manager acting in another BU manages no team there.
    assert access_for(MANAGER, "jp").team_user_ids == {user(MANAGER).pk}
